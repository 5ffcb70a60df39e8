"""Integer codes of the stage table's text columns, so counts compare small integers, not text.

:func:`~playbook.funnel.stage_table` already looks every ``rep_id`` up (to join the
reps) and every outcome (to check it); it *remembers* those codes here, by the identity
of the column's Arrow data. :func:`~playbook.funnel.funnel_table` and
:func:`~playbook.funnel.step_table` on that stage table *recall* them instead of hashing
one million strings again. Arrow data never changes in place (editing a column gives
it new data), so a recalled code always belongs to the column it is asked for; an entry
goes when its data is freed (the memo: :mod:`playbook.core.codes`). Any other column (a
filtered or hand-made table) is simply coded again: the figures are the same either way.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from playbook.core.codes import arrow_data, recall, remember

__all__ = ["remember", "recall", "value_codes", "group_codes", "frame_group_codes", "arrow_bools", "numpy_bools"]


def value_codes(values: pd.Series, allowed: Sequence[str] | pd.Index, dtype: str = "int8") -> np.ndarray:
    """Return each value's position in ``allowed`` (distinct values) as ``dtype`` (-1: anything else, or missing).

    One hash lookup per row (``pyarrow.compute.index_in`` on Arrow text, else a
    factorize): ``isin``, ``map`` or one equality test per value cost several times more.

    Examples
    --------
    >>> value_codes(pd.Series(["won", None, "x", "open", "lost"], dtype="string"), ["won", "lost", "open"]).tolist()
    [0, -1, -1, 2, 1]
    >>> value_codes(pd.Series(["lost", None, 3], dtype=object), ["won", "lost", None]).tolist()
    [1, -1, -1]
    """
    data = arrow_data(values)
    if data is not None:
        value_set = pa.array([None if pd.isna(v) else v for v in allowed], type=data.type)
        found = pc.index_in(data, value_set=value_set, skip_nulls=True)
        return pc.fill_null(found, -1).to_numpy().astype(dtype)
    codes, uniques = pd.factorize(values)  # missing values get -1
    return np.append(pd.Index(allowed).get_indexer(uniques), -1)[codes].astype(dtype)


def group_codes(values: pd.Series) -> tuple[np.ndarray, pd.Series] | None:
    """Return ``(group, keys)`` as ``groupby(dropna=False, observed=True, sort=True)`` numbers them.

    From the remembered codes of ``values`` (``None`` when there are none): ``group`` is
    each row's group number, ``keys`` the key of each group (sorted as the groupby sorts
    them, a missing key last), with the column's dtype.

    Examples
    --------
    >>> s = pd.Series(["b", None, "a", "b"], dtype="string")
    >>> remember(s, np.array([0, -1, 1, 0]), pd.array(["b", "a", "c"], dtype="string"))
    >>> group, keys = group_codes(s)
    >>> group.tolist(), keys.tolist()
    ([1, 2, 0, 1], ['a', 'b', <NA>])
    """
    hit = recall(values)
    if hit is None:
        return None
    codes, uniques = hit
    rank, ordered = pd.factorize(pd.array(uniques, dtype=values.dtype), sort=True)
    n = len(ordered)
    rank = np.append(np.where(rank < 0, n, rank), n)  # missing (code -1, or a missing unique) ranks last
    group = rank[codes]
    seen = np.bincount(group, minlength=n + 1) > 0
    if not seen.all():  # observed groups only
        group = (np.cumsum(seen) - 1)[group]
    at = np.flatnonzero(seen)
    keys = pd.Series(ordered.take(np.where(at < n, at, -1), allow_fill=True), name=values.name)
    return group, keys


def frame_group_codes(frame: pd.DataFrame, keys: Sequence[str]) -> tuple[np.ndarray, pd.DataFrame] | None:
    """Return ``(group, groups)`` as ``frame.groupby(keys, dropna=False, observed=True, sort=True)`` numbers them.

    From the remembered codes of the key columns (``None`` unless every one has them, or
    when the combinations of their codes outnumber the rows): ``group`` is each row's
    group number, ``groups`` one row per observed group with its keys, ordered as the
    groupby orders them (by the first key, then the next; a missing key last in each),
    each column in its dtype. The rows' codes are combined into one number each and
    counted once; only the observed combinations are ranked.

    Examples
    --------
    >>> f = pd.DataFrame({"team": pd.array(["B", "A", "B", None], dtype="string"),
    ...                   "rep": pd.array(["r2", "r1", "r1", "r3"], dtype="string")})
    >>> remember(f["team"], np.array([0, 1, 0, -1]), ["B", "A"])
    >>> remember(f["rep"], np.array([0, 1, 1, 2]), ["r2", "r1", "r3"])
    >>> group, groups = frame_group_codes(f, ["team", "rep"])
    >>> group.tolist()
    [2, 0, 1, 3]
    >>> groups
       team rep
    0     A  r1
    1     B  r1
    2     B  r2
    3  <NA>  r3
    """
    recalled = [recall(frame[k]) for k in keys]
    if not recalled or any(r is None for r in recalled):
        return None
    radix = [len(uniques) + 1 for _, uniques in recalled]  # code + 1 per key: 0 is a missing value
    size = int(np.prod(radix, dtype=float))
    if size > 4 * len(frame) + 1024:
        return None
    combined = np.zeros(len(frame), dtype=np.int64)
    for (codes, _), r in zip(recalled, radix, strict=True):
        combined = combined * r + (codes + 1)
    seen = np.flatnonzero(np.bincount(combined, minlength=size))  # the observed combinations
    # each observed combination's keys as their sort ranks (a missing key, or a missing unique, last)
    digits, rest = [], seen
    for r in reversed(radix):
        rest, digit = np.divmod(rest, r)
        digits.append(digit)
    ordered, rank_key = [], np.zeros(len(seen), dtype=np.int64)
    for k, (_, uniques), digit in zip(keys, recalled, reversed(digits), strict=True):
        rank, values = pd.factorize(pd.array(uniques, dtype=frame[k].dtype), sort=True)
        rank = np.concatenate([[len(values)], np.where(rank < 0, len(values), rank)])
        rank_key = rank_key * (len(values) + 1) + rank[digit]
        ordered.append(values)
    ranks, of_seen = np.unique(rank_key, return_inverse=True)  # equal keys (repeated uniques): one group
    number = np.zeros(size, dtype=np.int64)
    number[seen] = of_seen
    columns = {}
    for k, values in reversed(list(zip(keys, ordered, strict=True))):
        ranks, at = np.divmod(ranks, len(values) + 1)
        columns[k] = pd.Series(values.take(np.where(at < len(values), at, -1), allow_fill=True))
    return number[combined], pd.DataFrame({k: columns[k] for k in keys})


def arrow_bools(mask: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """Return a numpy bool ``mask`` as a ``bool[pyarrow]`` array, its bits packed in one numpy pass.

    Examples
    --------
    >>> arrow_bools(np.array([True, False, True]))
    <ArrowExtensionArray>
    [True, False, True]
    Length: 3, dtype: bool[pyarrow]
    """
    bits = pa.py_buffer(np.packbits(mask, bitorder="little"))  # Arrow's bit order
    return pd.arrays.ArrowExtensionArray(pa.Array.from_buffers(pa.bool_(), len(mask), [None, bits], null_count=0))


def numpy_bools(values: pd.Series) -> np.ndarray:
    """Return a boolean column as a numpy bool array (``bool[pyarrow]`` without missing values: its bits unpacked).

    Examples
    --------
    >>> numpy_bools(pd.Series(arrow_bools(np.array([True, False, True]))).iloc[1:]).tolist()
    [False, True]
    >>> numpy_bools(pd.Series([1, 0])).tolist()
    [True, False]
    """
    array = values.array
    if isinstance(array, pd.arrays.ArrowExtensionArray) and array.dtype == pd.ArrowDtype(pa.bool_()):
        data = array.__arrow_array__()
        data = data.chunk(0) if data.num_chunks == 1 else data.combine_chunks()
        if data.null_count == 0:
            bits = np.frombuffer(data.buffers()[1], dtype="uint8")
            return np.unpackbits(bits, count=data.offset + len(data), bitorder="little")[data.offset:].view(bool)
    return values.astype(bool).to_numpy()
