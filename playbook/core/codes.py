"""Integer codes of text columns, computed once per column and recalled by every figure that groups on it.

A million customer ids are hashed once: :func:`factorized` gives a column's
:func:`pandas.factorize` codes and *remembers* them, by the identity of the column's
Arrow data, for the next caller (the new customers of the overview, the funnel's won
customers, the IDP's repurchase all group the same ``orders.customer_id``).
:func:`remember` and :func:`recall` keep codes a caller found otherwise (the funnel's
stage table looks every ``rep_id`` up in ``reps``; :mod:`playbook.funnel.codes`).

Arrow data never changes in place (editing a column gives it new data), so recalled
codes always belong to the column they are asked for; an entry goes when its data is
freed. Other columns (numpy or object) are simply coded again: the figures are the same
either way. Remembered codes are read-only.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["arrow_data", "remember", "recall", "factorized"]

# id(arrow data) -> (weak reference to it, codes, uniques): codes found by a caller (remember)
_MEMO: dict[int, tuple[weakref.ref, np.ndarray, pd.Index]] = {}
# the same for pandas.factorize's own codes (factorized): distinct uniques, -1 for missing
_FACTORIZED: dict[int, tuple[weakref.ref, np.ndarray, pd.Index]] = {}


def arrow_data(values: pd.Series) -> object | None:
    """Return the immutable Arrow data of an Arrow-backed text column (``None`` for other columns).

    Examples
    --------
    >>> arrow_data(pd.Series(["a"], dtype="string")).to_pylist(), arrow_data(pd.Series([1]))
    (['a'], None)
    """
    array = values.array
    return array.__arrow_array__() if isinstance(array, pd.arrays.ArrowStringArray) else None


def _keep(memo: dict, data: object, codes: np.ndarray,
          uniques: Sequence[str] | pd.Index) -> tuple[np.ndarray, pd.Index]:
    """Store ``(codes, uniques)`` of ``data`` in ``memo`` until ``data`` is freed; return them as stored."""
    codes = np.asarray(codes).view()  # read-only for those who recall it
    codes.flags.writeable = False
    key = id(data)
    memo[key] = (weakref.ref(data, lambda _, key=key: memo.pop(key, None)), codes, pd.Index(uniques))
    return memo[key][1], memo[key][2]


def _hit(memo: dict, data: object | None) -> tuple[np.ndarray, pd.Index] | None:
    """Return what ``memo`` holds for exactly ``data`` (not a freed object's id reused), else ``None``."""
    hit = memo.get(id(data)) if data is not None else None
    if hit is None or hit[0]() is not data:
        return None
    return hit[1], hit[2]


def remember(values: pd.Series, codes: np.ndarray, uniques: Sequence[str] | pd.Index) -> None:
    """Remember that ``values`` is ``uniques[codes]`` (code -1: missing), for :func:`recall`.

    Examples
    --------
    >>> s = pd.Series(["b", None, "a"], dtype="string")
    >>> remember(s, np.array([0, -1, 1]), ["b", "a"])
    >>> codes, uniques = recall(s)
    >>> codes.tolist(), list(uniques)
    ([0, -1, 1], ['b', 'a'])
    >>> recall(s.copy(deep=True).iloc[:2]) is None  # other data
    True
    """
    data = arrow_data(values)
    if data is not None:
        _keep(_MEMO, data, codes, uniques)


def recall(values: pd.Series) -> tuple[np.ndarray, pd.Index] | None:
    """Return the ``(codes, uniques)`` remembered for exactly this column's data, else ``None``."""
    return _hit(_MEMO, arrow_data(values))


def factorized(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Return ``pandas.factorize(values)`` as ``(codes, uniques)``: hashed once per Arrow text column.

    ``codes`` are int64 (read-only), -1 for a missing value; ``uniques`` the distinct
    values in order of appearance. A second call on the same column's data (the same
    table, or a frame made from it with ``assign`` or column selection) recalls them.

    Examples
    --------
    >>> orders = pd.DataFrame({"customer_id": pd.array(["C2", None, "C1", "C2"], dtype="string")})
    >>> codes, uniques = factorized(orders["customer_id"])
    >>> codes.tolist(), list(uniques)
    ([0, -1, 1, 0], ['C2', 'C1'])
    >>> factorized(orders.assign(n=1)["customer_id"])[0] is codes  # recalled, not hashed again
    True
    >>> s = pd.Series(["b", None, "a", "b"], dtype="string")
    >>> remember(s, np.array([1, -1, 0, 1]), ["a", "b"])  # looked up in a table of ids
    >>> codes, uniques = factorized(s)
    >>> codes.tolist(), list(uniques)
    ([0, -1, 1, 0], ['b', 'a'])
    """
    data = arrow_data(values)
    hit = _hit(_FACTORIZED, data)
    if hit is not None:
        return hit
    known = _hit(_MEMO, data)
    if known is not None and known[1].is_unique:
        codes, uniques = _first_seen(*known)
        return _keep(_FACTORIZED, data, codes, uniques)
    codes, uniques = pd.factorize(values)
    codes = codes.astype("int64", copy=False)
    if data is None:
        return codes, pd.Index(uniques)
    return _keep(_FACTORIZED, data, codes, uniques)


def _first_seen(codes: np.ndarray, uniques: pd.Index) -> tuple[np.ndarray, pd.Index]:
    """Renumber ``codes`` into ``uniques`` as :func:`pandas.factorize` numbers them: in order of appearance.

    Examples
    --------
    >>> codes, uniques = _first_seen(np.array([2, -1, 0, 2]), pd.Index(["x", "y", "z"]))
    >>> codes.tolist(), list(uniques)
    ([0, -1, 1, 0], ['z', 'x'])
    """
    order, seen = pd.factorize(codes)  # integers: cheap to hash
    seen = np.asarray(seen)
    missing = np.flatnonzero(seen < 0)
    if len(missing):  # code -1 (missing) is no value: -1 again, the later codes one less
        gap = missing[0]
        order = np.where(order == gap, -1, order - (order > gap))
        seen = np.delete(seen, gap)
    return order.astype("int64", copy=False), uniques[seen]
