"""Reading what an export states, not guessing it: money units, time zones, Excel serial dates.

Money: ``CN¥``, ``¥``, ``RMB``, ``CNY`` mark the currency; ``元``, ``千元``, ``万元`` (also
``千``, ``万``) the magnitude, in a cell (``1.5万元``) or in the header (``金额(万元)``,
``成交金额（元）``). Amounts are read exactly, to the cent, with :mod:`decimal`.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import numpy as np
import pandas as pd

from playbook.core.errors import ParameterError

__all__ = [
    "UNIT_FACTORS", "UNIT_NAMES", "unit_key", "header_unit", "read_amounts", "local_dates",
    "magnitude_outliers",
]

#: Multiplier of each money unit to yuan (CNY).
UNIT_FACTORS = {"cny": 1, "qian": 1_000, "wan": 10_000}
#: How each unit is written for people.
UNIT_NAMES = {"cny": "元", "qian": "千元", "wan": "万元"}
_ALIASES = {
    "cny": "cny", "yuan": "cny", "元": "cny", "rmb": "cny", "¥": "cny", "cn¥": "cny",
    "人民币": "cny", "人民币元": "cny",
    "qian": "qian", "千元": "qian", "千": "qian", "k": "qian",
    "wan": "wan", "万元": "wan", "万": "wan",
}
_HEADER_RE = re.compile(
    r"^(?P<base>.*?)\s*[(\[（【]\s*(?:单位\s*[:：]?\s*)?(?P<unit>人民币元|人民币|万元|千元|元|万|千|"
    r"RMB|CNY|CN¥|¥|yuan|wan)\s*[)\]）】]\s*$", re.IGNORECASE)
_SEP_CLASS = "[ ',]"  # after NFKC: space (also no-break/thin), apostrophe, comma
_NUMBER = (r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d{1,3}(?: \d{3})+(?:\.\d+)?|\d{1,3}(?:'\d{3})+(?:\.\d+)?"
           r"|\d+(?:\.\d*)?|\.\d+")
_AMOUNT_RE = (
    r"^(?P<neg1>[-−])?\s*(?P<cur>CN¥|RMB|CNY|¥)?\s*(?P<neg2>[-−])?\s*(?P<num>" + _NUMBER + r")"
    r"\s*(?P<unit>万元|千元|元|万|千|RMB|CNY)?$"
)


def unit_key(unit: object) -> str:
    """Return the unit key (``cny``, ``qian``, ``wan``) of a unit as people write it.

    Examples
    --------
    >>> [unit_key(u) for u in ("元", "万元", "CNY", "wan", "千元")]
    ['cny', 'wan', 'cny', 'wan', 'qian']
    """
    key = _ALIASES.get(unicodedata.normalize("NFKC", str(unit)).strip().casefold())
    if key is None:
        raise ParameterError("amount_unit", unit, "元 (cny), 千元 (qian) or 万元 (wan)")
    return key


def header_unit(header: str) -> tuple[str, str | None]:
    """Split a header into its name and the money unit it states, if any.

    Examples
    --------
    >>> header_unit("成交金额(元)"), header_unit("金额（万元）"), header_unit("Amount")
    (('成交金额', 'cny'), ('金额', 'wan'), ('Amount', None))
    """
    found = _HEADER_RE.match(unicodedata.normalize("NFKC", str(header)).strip())
    if not found or not found.group("base"):
        return str(header), None
    return found.group("base"), unit_key(found.group("unit"))


def _normal(values: pd.Series) -> pd.Series:
    """NFKC (full-width digits, ￥, no-break spaces become plain), U+2212 minus as '-'."""
    s = values.astype("str").fillna("").str.normalize("NFKC").str.strip()
    return s.str.replace("\u2212", "-", regex=False)


def _cents(num: str, factor: int) -> int | None:
    try:
        value = Decimal(re.sub(_SEP_CLASS, "", num)) * factor * 100
    except InvalidOperation:  # pragma: no cover - the pattern admits only digits
        return None
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def read_amounts(values: pd.Series, unit: str = "cny") -> pd.DataFrame:
    """Read money cells exactly: their cents in CNY and the unit each cell states.

    ``unit`` is the unit of a cell that states none (from the header or the map). A cell
    stating ``万``/``千`` uses it; ``元`` says yuan; ``¥``, ``CN¥``, ``RMB``, ``CNY`` say
    only the currency. Thousands are grouped with ``,``, a space (also no-break or thin)
    or ``'``; ``(5)`` is negative; full-width digits are read.

    Returns
    -------
    DataFrame
        Same index; ``cents`` (object: int, or None if unreadable or empty) and
        ``unit`` (the unit the cell states, or None).

    Examples
    --------
    >>> s = pd.Series(["CN¥120,000.00", "1.5万元", "(2 300)", "８８００", "12,3k", ""])
    >>> read_amounts(s, "cny")["cents"].tolist()
    [12000000, 1500000, -230000, 880000, None, None]
    >>> read_amounts(pd.Series(["1.5", "15,000元"]), "wan")["cents"].tolist()
    [1500000, 1500000]
    """
    factor_default = UNIT_FACTORS[unit]
    s = _normal(values)
    paren = s.str.startswith("(") & s.str.endswith(")")
    s = s.where(~paren, s.str.slice(1, -1).str.strip())
    m = s.str.extract(_AMOUNT_RE, flags=re.IGNORECASE)
    suffix = m["unit"].fillna("").str.casefold()
    stated = suffix.map({"万元": "wan", "万": "wan", "千元": "qian", "千": "qian", "元": "cny"})
    cur = m["cur"].notna() | suffix.isin(["rmb", "cny"])
    stated = stated.where(stated.notna() | ~cur, None)
    stated = stated.astype(object).where(stated.notna(), None)
    factors = stated.map(lambda u: UNIT_FACTORS[u] if u else factor_default)
    neg = m["neg1"].notna() | m["neg2"].notna() | paren
    cents = [
        None if not isinstance(num, str) else
        (-1 if n else 1) * (_cents(num, f) or 0)
        for num, f, n in zip(m["num"], factors, neg, strict=True)
    ]
    return pd.DataFrame({"cents": pd.Series(cents, index=s.index, dtype=object),
                         "unit": stated}, index=s.index)


_OFFSET_RE = r"^\d{4}-\d{1,2}-\d{1,2}[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:Z|UTC|GMT|[+-]\d{2}:?\d{2})$"
_SERIAL_RE = r"^\d{5}(?:\.\d+)?$"
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")


def local_dates(values: pd.Series, tz: str) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """Turn zoned timestamps into the team's local date; read Excel serial dates.

    Timestamps with ``Z`` or an offset are converted to ``tz`` before the date is taken
    (``2025-03-06T23:30:00Z`` is 7 March in Asia/Shanghai). Excel serial numbers
    (20000–80000, as a CSV saved from Excel may hold) become dates. Other values are
    returned NFKC-normalised (full-width digits read), unchanged otherwise.

    Returns
    -------
    tuple
        The values (text), the mask of converted timestamps, the mask of serial dates.

    Examples
    --------
    >>> out, zoned, serial = local_dates(pd.Series(["2025-03-06T23:30:00Z", "45723",
    ...                                             "２０２５/３/７"]), "Asia/Shanghai")
    >>> out.tolist(), zoned.tolist(), serial.tolist()
    (['2025-03-07', '2025-03-07', '2025/3/7'], [True, False, False], [False, True, False])
    """
    s = _normal(values)
    zoned = s.str.match(_OFFSET_RE).to_numpy(dtype=bool, copy=True)
    if zoned.any():
        stamps = pd.to_datetime(s[zoned].str.replace(r"\s*(UTC|GMT)$", "Z", regex=True),
                                utc=True, errors="coerce", format="ISO8601")
        local = stamps.dt.tz_convert(tz).dt.strftime("%Y-%m-%d")
        ok = local.notna().to_numpy()
        zoned[np.flatnonzero(zoned)[~ok]] = False
        s = s.copy()
        s.iloc[np.flatnonzero(zoned)] = local[ok].to_numpy()
    serial = s.str.match(_SERIAL_RE).to_numpy(dtype=bool, copy=True)
    if serial.any():
        days = pd.to_numeric(s[serial], errors="coerce")
        ok = days.between(20_000, 80_000).to_numpy()
        serial[np.flatnonzero(serial)[~ok]] = False
        dates = _EXCEL_EPOCH + pd.to_timedelta(np.floor(days[ok].to_numpy()), unit="D")
        s = s.copy()
        s.iloc[np.flatnonzero(serial)] = pd.Series(dates).dt.strftime("%Y-%m-%d").to_numpy()
    return s, zoned, serial


def magnitude_outliers(cents: pd.Series, *, factor: float = 1000.0) -> pd.Series:
    """Mask of amounts ``factor`` times (or more) above or below the file's median size.

    A likely unit error (one row typed in 元 among 万元, or the reverse) stands out by
    about ×10,000 or ×1,000; genuine order sizes of one company rarely differ that much
    from its median. Zero and missing amounts are never flagged.

    Examples
    --------
    >>> magnitude_outliers(pd.Series([1_500_000, 880_000, 4_500_000, 15_000_000_000])).tolist()
    [False, False, False, True]
    """
    size = pd.to_numeric(cents, errors="coerce").abs()
    size = size.where(size > 0)
    median = size.median()
    if pd.isna(median) or size.notna().sum() < 3:
        return pd.Series(False, index=cents.index)
    ratio = size / median
    return ((ratio >= factor) | (ratio <= 1 / factor)).fillna(False).astype(bool)
