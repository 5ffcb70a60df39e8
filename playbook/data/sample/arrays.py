"""Small vectorised helpers of the generator."""

from __future__ import annotations

import numpy as np
import pandas as pd

from playbook.data.sample.rules import _EPOCH_WEEKDAY, _NEVER

__all__ = []

# ---------------------------------------------------------------------------------------
# Small vectorised helpers
# ---------------------------------------------------------------------------------------
def _n_teams(scale: float) -> int:
    return max(1, int(np.floor(3 * scale + 0.5)))


def _ids(prefix: str, n: int, width: int) -> np.ndarray:
    """``prefix`` + zero-padded 1..n; wider than ``width`` when n needs it."""
    width = max(width, len(str(n)))
    return np.strings.add(prefix, np.strings.zfill(np.arange(1, n + 1).astype(str), width))


def _cn_number(n: int) -> str:
    """Chinese numeral for 1-99 (一, 十二, 七十); digits beyond."""
    digits = "一二三四五六七八九"
    if n < 10:
        return digits[n - 1]
    if n < 100:
        tens, ones = divmod(n, 10)
        return ("" if tens == 1 else digits[tens - 1]) + "十" + (digits[ones - 1] if ones else "")
    return str(n)


def _weekday(days: np.ndarray) -> np.ndarray:
    return (days + _EPOCH_WEEKDAY) % 7


def _uniform_day(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Draw a day in [lo, hi] (inclusive), a working day unless three draws say otherwise."""
    draws = lo + np.floor(rng.random((3, len(lo))) * (hi - lo + 1)).astype(np.int64)
    weekday = _weekday(draws) < 5
    return np.where(weekday[0], draws[0], np.where(weekday[1], draws[1], draws[2]))


def _add_workdays(start: np.ndarray, n: np.ndarray) -> np.ndarray:
    """``start`` (rolled forward to a working day) plus ``n`` working days."""
    dates = np.busday_offset(start.astype("datetime64[D]"), n, roll="forward")
    return dates.astype(np.int64)


def _draw_rows(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One category per row of ``probs`` (each row sums to 1)."""
    cum = np.cumsum(probs, axis=1)
    u = rng.random(len(probs))[:, None]
    return np.minimum((u >= cum).sum(axis=1), probs.shape[1] - 1)


def _thin(rng: np.random.Generator, p: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Bernoulli(``p``) draws whose total in each group is fixed to ``sum(p)`` (+-1).

    Systematic sampling in a random order: each row is drawn with probability ``p``,
    but a group's count does not wander, so planted rates hold in small samples.
    """
    n = len(p)
    if n == 0:
        return np.zeros(0, bool)
    order = np.lexsort((rng.random(n), group))
    g, ps = group[order], p[order]
    first = np.r_[True, g[1:] != g[:-1]]
    gid = np.cumsum(first) - 1
    total = np.cumsum(ps)
    cum = total - (total - ps)[first][gid]
    u = rng.random(gid[-1] + 1)[gid]
    hit = np.floor(cum + u) > np.floor(cum - ps + u)
    out = np.empty(n, bool)
    out[order] = hit
    return out


def _expand(counts: np.ndarray) -> np.ndarray:
    """Row index repeated ``counts`` times (the inverse of a group count)."""
    return np.repeat(np.arange(len(counts)), counts)


def _as_dates(days: np.ndarray) -> pd.Series:
    """Int days since 1970 (``_NEVER`` or below 0 = missing) as a datetime64 column."""
    out = np.asarray(days, dtype=np.int64).astype("datetime64[D]").astype("datetime64[us]")
    out[(days >= _NEVER) | (days < 0)] = np.datetime64("NaT")
    return pd.Series(out)


def _text(values: np.ndarray, missing: np.ndarray | None = None) -> pd.Series:
    """Text column with ``missing`` rows empty."""
    out = pd.Series(values.astype(object), dtype="str")
    if missing is not None:
        out[missing] = np.nan
    return out
