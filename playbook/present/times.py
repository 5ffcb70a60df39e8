"""Times shown to people: in the team's time zone, never raw UTC (the one home of it).

The kit stores moments in UTC (naive ``datetime`` values are UTC). People read them in
the team's time zone: ``$PLAYBOOK_TIMEZONE`` (an IANA name such as ``Asia/Shanghai``,
the default, or ``Europe/Berlin``).

Examples
--------
>>> import datetime as dt
>>> local_time(dt.datetime(2025, 9, 30, 16, 5), tz="Asia/Shanghai")
'2025-10-01 00:05'
>>> local_time(None), team_zone({"PLAYBOOK_TIMEZONE": "Europe/Berlin"}).key
('', 'Europe/Berlin')
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd

from playbook.core.errors import ParameterError

__all__ = ["DEFAULT_ZONE", "ENV_ZONE", "team_zone", "local_time", "now_local"]

DEFAULT_ZONE = "Asia/Shanghai"
"""The team's time zone when ``$PLAYBOOK_TIMEZONE`` is not set."""

ENV_ZONE = "PLAYBOOK_TIMEZONE"
"""The environment variable naming the team's time zone."""


def team_zone(environ: Mapping[str, str] | None = None, tz: str | None = None) -> ZoneInfo:
    """Return the team's time zone: ``tz``, else ``$PLAYBOOK_TIMEZONE``, else :data:`DEFAULT_ZONE`."""
    name = tz or (os.environ if environ is None else environ).get(ENV_ZONE) or DEFAULT_ZONE
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ParameterError(ENV_ZONE, name, "an IANA time zone such as Asia/Shanghai") from None


def local_time(moment: object, *, tz: str | None = None, seconds: bool = False) -> str:
    """Return the UTC ``moment`` (naive = UTC) as ``YYYY-MM-DD HH:MM`` in the team's time zone; "" when missing."""
    ts = pd.to_datetime(moment, errors="coerce") if moment is not None else pd.NaT
    if pd.isna(ts):
        return ""
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts
    return ts.tz_convert(team_zone(tz=tz)).strftime("%Y-%m-%d %H:%M" + (":%S" if seconds else ""))


def now_local(*, tz: str | None = None) -> str:
    """Return the current time in the team's time zone (``YYYY-MM-DD HH:MM``)."""
    return local_time(dt.datetime.now(dt.UTC), tz=tz)
