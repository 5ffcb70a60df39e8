"""The memo of integer codes (playbook.core.codes): recalled for the same data only, forgotten with it."""

import numpy as np
import pandas as pd
import pytest

from playbook.core import codes


def test_codes_are_forgotten_with_their_data():
    s = pd.Series(["a", "b"], dtype="string")
    codes.remember(s, np.array([0, 1]), ["a", "b"])
    key = id(s.array.__arrow_array__())
    assert key in codes._MEMO
    codes.factorized(s)
    assert key in codes._FACTORIZED
    del s
    assert key not in codes._MEMO and key not in codes._FACTORIZED


@pytest.mark.parametrize("dtype", ["string", "str", object], ids=["string", "str", "object"])
def test_factorized_is_pandas_factorize(dtype):
    rng = np.random.default_rng(3)
    ids = rng.choice(np.array(["C1", "C2", "C10", "", "c1"], dtype=object), 200).astype(object)
    ids[rng.random(200) < 0.1] = None
    s = pd.Series(ids, dtype=dtype)
    want_codes, want_uniques = pd.factorize(s)
    got_codes, got_uniques = codes.factorized(s)
    assert got_codes.dtype == np.int64
    np.testing.assert_array_equal(got_codes, want_codes)
    assert list(got_uniques) == list(want_uniques)
    again = codes.factorized(s)
    np.testing.assert_array_equal(again[0], want_codes)


def test_factorized_recalls_the_same_data_only_and_is_read_only():
    orders = pd.DataFrame({"customer_id": pd.array(["C2", None, "C1", "C2"], dtype="string"), "n": 1})
    got, _ = codes.factorized(orders["customer_id"])
    assert codes.factorized(orders[["customer_id"]].assign(m=2)["customer_id"])[0] is got
    edited = orders["customer_id"].where(orders["n"] == 0, "C9")  # new data: coded again
    assert codes.factorized(edited)[0].tolist() == [0, 0, 0, 0]
    with pytest.raises(ValueError):
        got[0] = 5


@pytest.mark.parametrize("seed", range(5))
def test_remembered_lookup_codes_give_pandas_factorize(seed):
    # codes found by looking ids up in a table of distinct ids (some unused, some rows missing)
    rng = np.random.default_rng(seed)
    table = pd.Index([f"C{i}" for i in rng.permutation(30)], dtype="str")
    pos = rng.integers(-1, 20, 300)  # -1: missing
    s = pd.Series(np.where(pos >= 0, table.to_numpy()[pos], None), dtype="str")
    codes.remember(s, pos, table)
    want_codes, want_uniques = pd.factorize(s)  # the text hashed: the independent answer
    got_codes, got_uniques = codes.factorized(s)
    assert got_codes.dtype == np.int64
    np.testing.assert_array_equal(got_codes, want_codes)
    pd.testing.assert_index_equal(got_uniques, pd.Index(want_uniques))
    assert codes.factorized(s)[0] is got_codes  # kept


def test_remembered_codes_with_repeated_uniques_are_not_used_for_factorized():
    s = pd.Series(["a", "b", "a"], dtype="str")
    codes.remember(s, np.array([0, 1, 2]), ["a", "b", "a"])  # "a" twice: not pandas' numbering
    got_codes, got_uniques = codes.factorized(s)
    assert got_codes.tolist() == [0, 1, 0] and list(got_uniques) == ["a", "b"]
