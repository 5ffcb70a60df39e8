"""Statistics for small samples: Wilson interval and an exact proportion test."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np

from playbook.core.errors import ParameterError

__all__ = ["wilson_interval", "proportion_test"]

# --------------------------------------------------------------------------- statistics
def _z(confidence: float) -> float:
    if not 0 < confidence < 1:
        raise ParameterError("confidence", confidence, "a level between 0 and 1, e.g. 0.95")
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def wilson_interval(
    successes: object, trials: object, *, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a proportion ``successes / trials`` (vectorised).

    Unlike the plain ``p ± z·se`` interval it stays within [0, 1] and is honest for
    small counts. ``trials == 0`` gives NaN bounds.

    Examples
    --------
    >>> low, high = wilson_interval(20, 100)
    >>> round(float(low), 4), round(float(high), 4)
    (0.1334, 0.2888)
    >>> [round(float(x), 3) for x in wilson_interval([0, 3], [3, 3])[1]]
    [0.561, 1.0]
    """
    z = _z(confidence)
    k = np.asarray(successes, dtype="float64")
    n = np.asarray(trials, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / n
        denom = 1 + z * z / n
        centre = (p + z * z / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
        # exact ends for 0 of n and n of n (the formula gives them up to rounding)
        low = np.where(n > 0, np.where(k <= 0, 0.0, np.clip(centre - half, 0.0, 1.0)), np.nan)
        high = np.where(n > 0, np.where(k >= n, 1.0, np.clip(centre + half, 0.0, 1.0)), np.nan)
    return low, high


def _fisher_p(a: int, b: int, c: int, d: int) -> float:
    """Two-sided Fisher exact p-value of the 2x2 table [[a, b], [c, d]]."""
    r1, r2, c1 = a + b, c + d, a + c
    n = r1 + r2
    lo, hi = max(0, c1 - r2), min(r1, c1)
    x = np.arange(lo, hi + 1, dtype="float64")

    def lchoose(m: float, k: np.ndarray | float) -> np.ndarray:
        return math.lgamma(m + 1) - _lgamma(k + 1) - _lgamma(m - k + 1)

    logp = lchoose(r1, x) + lchoose(r2, c1 - x) - math.lgamma(n + 1) + _lgamma(c1 + 1) + _lgamma(n - c1 + 1)
    pmf = np.exp(logp)
    observed = pmf[int(a - lo)]
    return float(min(1.0, pmf[pmf <= observed * (1 + 1e-7)].sum()))


_lgamma = np.vectorize(math.lgamma, otypes=[float])


def proportion_test(
    passed_1: int, n_1: int, passed_2: int, n_2: int, *, test: str = "auto"
) -> tuple[float, str]:
    """Two-sided test that two proportions are equal; returns ``(p_value, test_used)``.

    ``test`` is ``"z"`` (two-proportion z-test, pooled), ``"fisher"`` (Fisher's exact
    test) or ``"auto"``: Fisher when an expected cell count is below 5, else z. A p-value
    below 0.05 says the difference is unlikely to be noise. NaN when a side is empty.

    Examples
    --------
    >>> p, used = proportion_test(45, 100, 30, 100)
    >>> round(p, 4), used
    (0.0285, 'z')
    >>> p, used = proportion_test(6, 7, 1, 6)  # [[6, 1], [1, 5]]: small counts
    >>> round(p, 4), used
    (0.0291, 'fisher')
    """
    if test not in ("auto", "z", "fisher"):
        raise ParameterError("test", test, "'auto', 'z' or 'fisher'")
    k1, n1, k2, n2 = int(passed_1), int(n_1), int(passed_2), int(n_2)
    if n1 <= 0 or n2 <= 0:
        return float("nan"), test if test != "auto" else "z"
    if test == "auto":
        pooled = (k1 + k2) / (n1 + n2)
        expected = [n1 * pooled, n1 * (1 - pooled), n2 * pooled, n2 * (1 - pooled)]
        test = "fisher" if min(expected) < 5 else "z"
    if test == "fisher":
        return _fisher_p(k1, n1 - k1, k2, n2 - k2), "fisher"
    pooled = (k1 + k2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return 1.0, "z"
    zval = (k1 / n1 - k2 / n2) / se
    return math.erfc(abs(zval) / math.sqrt(2)), "z"
