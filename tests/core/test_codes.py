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
