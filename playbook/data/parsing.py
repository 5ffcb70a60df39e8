"""Parsing raw values: dates, numbers and yes/no, with the values that failed."""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

from playbook.core.errors import ParameterError

#: Day order of dates such as 3/7/2025; a strptime pattern (with ``%``) is also accepted.
_TIME = (
    r"(?:(?:\s+|T)\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:\s*[AaPp]\.?[Mm]\.?)?"
    r"(?:\s*(?:Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?))?)?"
)
DATE_FORMATS = ("YMD", "MDY", "DMY")
_DATE_EXPECTED = {
    "YMD": "YYYY-MM-DD | YYYY/M/D | YYYY年M月D日",
    "MDY": "M/D/YYYY | YYYY-MM-DD",
    "DMY": "D/M/YYYY | YYYY-MM-DD",
}
_YMD_RE = (
    r"^(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?" + _TIME + r"$"
)
_COMPACT_RE = r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$"
_XXY_RE = r"^(?P<a>\d{1,2})\s*[-/.]\s*(?P<b>\d{1,2})\s*[-/.]\s*(?P<y>\d{4})" + _TIME + r"$"
_SPACES = "\u00a0\u202f\u2009 "
_NUM_RE = (
    r"^(?:(?P<s1>[-+\u2212])\s*(?:CN[¥￥]|[¥￥]|CNY|RMB)?|(?:CN[¥￥]|[¥￥]|CNY|RMB)\s*(?P<s2>[-+\u2212])?)?\s*"
    r"(?P<num>\d{1,3}(?:[," + _SPACES + r"]\d{3})+(?:\.\d+)?|\d+(?:\.\d*)?|\.\d+)"
    r"\s*(?:元|CNY|RMB)?$"
)
_BOOLS = {
    "true": True, "false": False, "1": True, "0": False, "1.0": True, "0.0": False,
    "yes": True, "no": False, "y": True, "n": False, "t": True, "f": False,
    "是": True, "否": False,
}  # fmt: skip

__all__ = ["DATE_FORMATS", "parse_dates", "parse_numbers", "parse_bools"]

# ---------------------------------------------------------------------------- parsing
def _as_text(values: pd.Series | Iterable) -> pd.Series:
    """Return ``values`` as a stripped ``str`` Series with ``""`` for missing values."""
    s = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    return s.astype("str").fillna("").str.strip()


def _check_date_format(date_format: str) -> str:
    fmt = (date_format or "YMD").strip()
    if fmt.upper() in DATE_FORMATS:
        return fmt.upper()
    if "%" in fmt:
        return fmt
    raise ParameterError(
        "date_format", date_format, "YMD, MDY, DMY or a strptime pattern such as '%d.%m.%Y'"
    )


def _date_expected(date_format: str) -> str:
    return _DATE_EXPECTED.get(date_format, f"{date_format} | YYYY-MM-DD")


def _parse_dates(values: pd.Series, date_format: str = "YMD") -> tuple[pd.Series, np.ndarray]:
    """Parse dates; return (datetime64 Series with NaT, mask of ambiguous d/m/y values)."""
    fmt = _check_date_format(date_format)
    s = _as_text(values)
    out = pd.to_datetime(s, format="%Y-%m-%d", errors="coerce")  # fast path: ISO dates
    out = out.astype("datetime64[us]")
    ambiguous = np.zeros(len(s), dtype=bool)
    rest = out.isna().to_numpy() & s.ne("").to_numpy()
    if not rest.any():
        return out, ambiguous
    r = s[rest]
    if "%" in fmt:
        custom = pd.to_datetime(r, format=fmt, errors="coerce").dt.normalize()
        out.iloc[np.flatnonzero(rest)] = custom.astype("datetime64[us]").to_numpy()
        rest = out.isna().to_numpy() & s.ne("").to_numpy()
        r = s[rest]
    parts = r.str.extract(_YMD_RE)
    compact = r.str.extract(_COMPACT_RE)
    parts = parts.fillna(compact)
    xxy = r.str.extract(_XXY_RE)
    if fmt in ("MDY", "DMY"):
        m, d = (xxy["a"], xxy["b"]) if fmt == "MDY" else (xxy["b"], xxy["a"])
        parts = parts.fillna(pd.DataFrame({"y": xxy["y"], "m": m, "d": d}))
    else:
        amb = xxy["y"].notna().to_numpy() & parts["y"].isna().to_numpy()
        ambiguous[np.flatnonzero(rest)[amb]] = True
    found = parts["y"].notna()
    if found.any():
        comps = parts[found].astype("int64").rename(columns={"y": "year", "m": "month", "d": "day"})
        built = pd.to_datetime(comps, errors="coerce").astype("datetime64[us]")
        out.iloc[np.flatnonzero(rest)[found.to_numpy()]] = built.to_numpy()
    return out, ambiguous


def parse_dates(values: pd.Series | Iterable, *, date_format: str = "YMD") -> pd.Series:
    """Parse dates written in the usual ways; unreadable or ambiguous values become NaT.

    Parameters
    ----------
    values
        Raw text (a Series keeps its index).
    date_format
        How to read ``a/b/YYYY`` dates: ``"YMD"`` (default: not at all, they are
        ambiguous), ``"MDY"`` (US, e.g. Salesforce), ``"DMY"``, or a strptime pattern.

    Examples
    --------
    >>> parse_dates(["2025-03-07", "2025/3/7", "2025年3月7日", "2025.3.7",
    ...              "2025-03-07T10:30:00", "3/7/2025", "2025-02-30", ""]).dt.day.tolist()
    [7.0, 7.0, 7.0, 7.0, 7.0, nan, nan, nan]
    >>> parse_dates(["3/7/2025"], date_format="MDY")[0]
    Timestamp('2025-03-07 00:00:00')
    """
    return _parse_dates(values, date_format)[0]


def parse_numbers(values: pd.Series | Iterable) -> pd.Series:
    """Parse numbers with thousands separators and a CNY sign; unreadable values become NaN.

    Accepted: ``12300``, ``12,300``, ``¥12,300.00``, ``CN¥12,300.00``, ``12 300``, ``-5``, ``(5)`` (an
    accounting negative), ``12300元``. A comma must separate groups of three digits, so
    ``12,3`` (a decimal comma?) and ``12,3k`` are rejected.

    Examples
    --------
    >>> parse_numbers(["12,300", "CN¥12,300.00", "12 300", "(1,000)", "12,3k", "1e3", ""]).tolist()
    [12300.0, 12300.0, 12300.0, -1000.0, nan, 1000.0, nan]
    """
    s = _as_text(values)
    out = pd.to_numeric(s, errors="coerce").astype("float64")
    out = out.where(np.isfinite(out.to_numpy()))
    rest = out.isna().to_numpy() & s.ne("").to_numpy()
    if rest.any():
        r = s[rest]
        paren = (r.str.startswith("(") & r.str.endswith(")")).to_numpy()
        r = r.where(~paren, r.str.slice(1, -1).str.strip())
        m = r.str.extract(_NUM_RE, flags=re.IGNORECASE)
        digits = m["num"].str.replace("[," + _SPACES + "]", "", regex=True)
        num = pd.to_numeric(digits, errors="coerce").astype("float64").to_numpy()
        minus = ("-", "\u2212")
        neg = m["s1"].isin(minus).to_numpy() | m["s2"].isin(minus).to_numpy() | paren
        out.iloc[np.flatnonzero(rest)] = np.where(neg, -num, num)
    return out


def parse_bools(values: pd.Series | Iterable) -> pd.Series:
    """Parse yes/no values; empty becomes False, anything unreadable becomes NA.

    Accepted (any case): true/false, 1/0, yes/no, y/n, t/f, 是/否.

    Examples
    --------
    >>> parse_bools(["true", "No", "是", "", "maybe"]).tolist()
    [True, False, True, False, <NA>]
    """
    s = _as_text(values)
    out = s.str.casefold().map(_BOOLS)
    out = out.where(s.ne(""), False)
    return out.astype("boolean")
