"""Dates: one parser for every date parameter, one rule for the as-of date.

Every date a user gives (``as_of``, ``plan_date``, a period's start or end) goes through
:func:`parse_date` (a required date) or :func:`optional_date` (empty means "not given").
When the as-of date is left empty, :func:`resolve_as_of` takes **the latest date in the
data** (for orders, the last order date; for opportunities, the last stage date): the
one documented default of the kit.

Examples
--------
>>> from playbook.core.dates import parse_date, optional_date
>>> parse_date("2025-09-30 17:45")
Timestamp('2025-09-30 00:00:00')
>>> optional_date("", "period_start") is None
True
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from playbook.core.errors import ParameterError

__all__ = ["parse_date", "optional_date", "resolve_as_of", "ytd_window"]


def _day(value: object, name: str, expected: str) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError):
        ts = pd.NaT
    if pd.isna(ts):
        raise ParameterError(name, value, expected)
    return ts.normalize()


def parse_date(value: object, name: str = "as_of") -> pd.Timestamp:
    """Return ``value`` as a day (midnight), or raise :class:`ParameterError` naming ``name``.

    Examples
    --------
    >>> parse_date("2025-09-30 17:45")
    Timestamp('2025-09-30 00:00:00')
    >>> parse_date("soon", "plan_date")
    Traceback (most recent call last):
    ...
    playbook.core.errors.ParameterError: parameter plan_date='soon' is not valid: expected a date such as '2025-09-30'.
    """
    return _day(value, name, "a date such as '2025-09-30'")


def optional_date(value: object, name: str = "as_of") -> pd.Timestamp | None:
    """Return ``value`` as a day, or ``None`` when it is ``None`` or empty text.

    Examples
    --------
    >>> optional_date(None) is None, optional_date("  ") is None
    (True, True)
    >>> optional_date("2025-03-07T10:00")
    Timestamp('2025-03-07 00:00:00')
    >>> try:
    ...     optional_date("soon", "period_end")
    ... except ParameterError as exc:
    ...     print(exc.expected)
    a date such as '2025-09-30' (or empty)
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return _day(value, name, "a date such as '2025-09-30' (or empty)")


def resolve_as_of(as_of: object, frame: pd.DataFrame, *,
                  columns: Sequence[str] = ("order_date",), what: str = "orders") -> pd.Timestamp:
    """Return ``as_of`` as a day; when empty, the latest date in ``frame[columns]``.

    This is the kit's one default for an empty as-of date: the latest date the data
    holds (the last order for order-based figures, the last stage date for the funnel).

    Parameters
    ----------
    as_of : object
        A date, or ``None`` / ``""`` for "the latest date in the data".
    frame : pandas.DataFrame
        The table the default is taken from.
    columns : sequence of str
        Its date columns (those absent are ignored).
    what : str
        How the error message names the table.

    Examples
    --------
    >>> o = pd.DataFrame({"order_date": pd.to_datetime(["2025-03-01", "2025-04-02"])})
    >>> str(resolve_as_of("", o).date()), str(resolve_as_of("2025-03-31", o).date())
    ('2025-04-02', '2025-03-31')
    >>> try:
    ...     resolve_as_of(None, o.iloc[:0])
    ... except ParameterError as exc:
    ...     print(exc.expected)
    a date (the orders hold no dates to take it from)
    """
    parsed = optional_date(as_of, "as_of")
    if parsed is not None:
        return parsed
    cols = [c for c in columns if c in frame.columns]
    latest = max((pd.to_datetime(frame[c], errors="coerce").max() for c in cols), default=pd.NaT)
    if pd.isna(latest):
        raise ParameterError("as_of", as_of, f"a date (the {what} hold no dates to take it from)")
    return pd.Timestamp(latest).normalize()


def ytd_window(as_of: object) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Return (first day of the year, as-of date) for ``as_of``.

    Examples
    --------
    >>> [str(d.date()) for d in ytd_window("2025-09-30")]
    ['2025-01-01', '2025-09-30']
    """
    end = parse_date(as_of)
    return pd.Timestamp(year=end.year, month=1, day=1), end
