"""Tests of playbook.rfm: hand-computed cases, ties and tiny populations, bad input,
property tests, and a cross-check against an independent plain-Python implementation."""

import math
import warnings
from datetime import date, timedelta
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from playbook import rfm
from playbook.core.errors import InputError, MissingColumnsError, ParameterError, PlaybookWarning
from playbook.present import rfm as present_rfm

AS_OF = "2025-06-30"  # with window_days=90 the window starts on 2025-04-02


def _orders(rows):
    return pd.DataFrame(rows, columns=["order_id", "customer_id", "rep_id", "order_date", "amount"]).assign(
        order_date=lambda f: pd.to_datetime(f["order_date"], format="ISO8601"))


@pytest.fixture
def orders():
    return _orders([
        ("o1", "A", "R1", "2025-04-01", 500.0),  # the day before the window: ignored
        ("o2", "A", "R1", "2025-04-02", 100.0),  # first day of the window
        ("o3", "A", "R2", "2025-06-30 15:30", 300.0),  # on as_of, with a time of day: counts, recency 0
        ("o4", "A", "R2", "2025-05-10", -50.0),  # refund netted against A
        ("o5", "B", "R1", "2025-05-01", 200.0),  # two lines of one order: frequency 1
        ("o5", "B", "R1", "2025-05-01", 100.0),
        ("o6", "B", "R1", "2025-06-01", 0.0),  # zero amount: ignored, does not refresh recency
        ("o7", "B", "R1", "2025-07-01", 999.0),  # after as_of: ignored
        ("o8", "C", "R3", "2025-05-20", -80.0),  # C has only a refund: left out, with a warning
        ("o9", "D", "R3", "2025-06-15", 1000.0),
        ("o10", "D", "R3", "2025-06-20", -1000.0),  # fully refunded: monetary 0
    ])


# ----------------------------------------------------------------------------- RFM table

def test_rfm_table_hand_computed(orders):
    with pytest.warns(PlaybookWarning, match=r"1 customer\(s\) have only refunds in the window "
                      r"\(2025-04-02 to 2025-06-30\) and are left out of the RFM table, e.g. C\."):
        got = rfm.rfm_table(orders, as_of=AS_OF, window_days=90)
    # by hand: A last 06-30 (0 days), orders o2+o3, 400 - 50 = 350, 350/2 = 175, 350*365/90;
    # B last 05-01 (30 + 30 = 60 days), o5 once, 300; D last 06-15 (15 days), 1000 - 1000 = 0
    expected = pd.DataFrame({
        "customer_id": ["A", "B", "D"],
        "rep_id": ["R2", "R1", "R3"],
        "last_order_date": pd.to_datetime(["2025-06-30", "2025-05-01", "2025-06-15"]).as_unit("us"),
        "recency_days": [0, 60, 15],
        "frequency": [2, 1, 1],
        "repeat_orders": [1, 0, 0],
        "gross_sales": [400.0, 300.0, 1000.0],
        "refunds": [-50.0, 0.0, -1000.0],
        "monetary": [350.0, 300.0, 0.0],
        "avg_order_value": [175.0, 300.0, 0.0],
        "annual_spend": [1419.44, 1216.67, 0.0],
    })
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    assert list(got.columns) == rfm.RFM_COLUMNS


def test_scores_segments_and_tiers_hand_computed(orders):
    with pytest.warns(PlaybookWarning):
        seg = rfm.segment_customers(orders, as_of=AS_OF, window_days=90, tiers=(1000, 1300))
    # n = 3. Recency 0 < 15 < 60 -> R 5, 3, 1 for A, D, B. Frequency A=2, B=D=1: tied at the
    # bottom -> 1 (not their mid-rank score floor(5 * 1 / 3) + 1 = 2). Monetary 350 > 300 > 0 -> M 5, 3, 1.
    # FM = (F + M + 1) // 2: A (5+5+1)//2 = 5, B (1+3+1)//2 = 2, D (1+1+1)//2 = 1.
    # Grid: A r5 fm5 champions; B r1 fm2 lost; D r3 fm1 about_to_sleep.
    # Tiers (1000, 1300): A 1419.44 strategic, B 1216.67 growth, D 0 basic.
    got = seg[["customer_id", "r_score", "f_score", "m_score", "fm_score", "rfm_code", "segment", "tier"]]
    expected = pd.DataFrame({
        "customer_id": ["A", "B", "D"], "r_score": [5, 1, 3], "f_score": [5, 1, 1], "m_score": [5, 3, 1],
        "fm_score": [5, 2, 1], "rfm_code": ["555", "113", "311"],
        "segment": ["champions", "lost", "about_to_sleep"], "tier": ["strategic", "growth", "basic"],
    })
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    assert list(seg.columns) == rfm.CUSTOMER_COLUMNS
    with pytest.warns(PlaybookWarning):
        dom = rfm.segment_customers(orders, as_of=AS_OF, window_days=90, segment_map="domain")
    # domain: A r5 f5 m5 high_value; B r1 f1 m3 sleeping (r 1-2, f 1-3, m 1-3); D r3 other
    assert dom["segment"].tolist() == ["high_value", "sleeping", "other"]


def test_window_boundaries():
    o = _orders([("1", "A", "R1", "2025-03-01", 10.0), ("2", "A", "R1", "2025-03-02", 20.0),
                 ("3", "B", "R1", "2025-03-31 23:59", 5.0)])
    got = rfm.rfm_table(o, as_of="2025-03-31", window_days=30)  # window 03-02 .. 03-31
    assert got["monetary"].tolist() == [20.0, 5.0]
    assert got["recency_days"].tolist() == [29, 0]
    one_day = rfm.rfm_table(o, as_of="2025-03-31", window_days=1)
    assert one_day["customer_id"].tolist() == ["B"]


def test_other_column_names():
    o = pd.DataFrame({"oid": ["1", "2"], "cust": ["A", "A"], "seller": ["R1", "R2"],
                      "day": pd.to_datetime(["2025-01-01", "2025-01-05"]), "cny": [1.0, 2.0]})
    got = rfm.rfm_table(o, as_of="2025-01-05", customer_col="cust", order_col="oid", date_col="day",
                        amount_col="cny", rep_col="seller")
    assert got[["customer_id", "rep_id", "frequency", "monetary"]].values.tolist() == [["A", "R2", 2, 3.0]]


def test_duplicate_index_gives_the_same_table(orders):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PlaybookWarning)
        plain = rfm.rfm_table(orders, as_of=AS_OF, window_days=90)
        dup = rfm.rfm_table(orders.set_axis([0] * len(orders)), as_of=AS_OF, window_days=90)
    pd.testing.assert_frame_equal(dup, plain)


def test_input_is_not_mutated(orders):
    before = orders.copy()
    with pytest.warns(PlaybookWarning):
        rfm.segment_customers(orders, as_of=AS_OF, window_days=90)
    pd.testing.assert_frame_equal(orders, before)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"as_of": "2024-12-31"}, ParameterError,
         r"parameter as_of='2024-12-31' is not valid: expected a date on or after the first order \(2025-01-10\)"),
        ({"as_of": "2025-09-30", "window_days": 30}, ParameterError,
         r"parameter window_days=30 is not valid: expected a window that holds orders: there is no order "
         r"from 2025-09-01 to 2025-09-30; widen window_days or move as_of"),
        ({"as_of": "not a date"}, ParameterError, r"parameter as_of='not a date' is not valid: expected a date"),
        ({"as_of": "2025-03-31", "window_days": 0}, ParameterError,
         r"parameter window_days=0 is not valid: expected a whole number of days >= 1"),
        ({"as_of": "2025-03-31", "window_days": 30.5}, ParameterError, r"window_days=30.5"),
    ],
    ids=["as_of-before-first-order", "window-without-orders", "bad-as_of", "zero-window", "float-window"],
)
def test_bad_parameters(kwargs, error, message):
    o = _orders([("1", "A", "R1", "2025-01-10", 10.0), ("2", "B", "R1", "2025-02-10", 10.0)])
    with pytest.raises(error, match=message):
        rfm.rfm_table(o, **kwargs)


def test_bad_input():
    o = _orders([("1", "A", "R1", "2025-01-10", 10.0)])
    with pytest.raises(MissingColumnsError, match=r"orders: missing required column\(s\): amount, rep_id"):
        rfm.rfm_table(o.drop(columns=["amount", "rep_id"]), as_of="2025-01-31")
    with pytest.raises(InputError, match="orders: the table has no rows"):
        rfm.rfm_table(o.iloc[:0], as_of="2025-01-31")
    with pytest.raises(InputError, match="orders: column 'amount' must hold numbers"):
        rfm.rfm_table(o.assign(amount=["ten"]), as_of="2025-01-31")
    with pytest.raises(InputError, match=r"orders: column 'amount' has 1 empty value\(s\)"):
        rfm.rfm_table(o.assign(amount=[np.nan]), as_of="2025-01-31")
    with pytest.raises(InputError, match=r"orders: column 'order_date' has 1 empty date\(s\)"):
        rfm.rfm_table(o.assign(order_date=[pd.NaT]), as_of="2025-01-31")


def test_only_refunds_and_zero_amounts_everywhere_is_an_error():
    # no positive order at all: nobody can be scored -> the as_of message names the first row
    o = _orders([("1", "A", "R1", "2025-01-10", -10.0), ("2", "B", "R1", "2025-01-11", 0.0)])
    with pytest.raises(ParameterError, match=r"expected a date on or after the first order \(2025-01-10\)"):
        rfm.rfm_table(o, as_of="2025-01-31")


def test_one_customer_scores_three_and_needs_attention():
    o = _orders([("1", "A", "R1", "2025-01-10", 10.0)])
    seg = rfm.segment_customers(o, as_of="2025-01-31")
    assert seg[["r_score", "f_score", "m_score", "segment"]].values.tolist() == [[3, 3, 3, "need_attention"]]


def test_identical_customers_share_scores_and_segment():
    o = _orders([(str(i), f"C{i}", "R1", "2025-01-10", 10.0) for i in range(7)])
    seg = rfm.segment_customers(o, as_of="2025-01-31", segment_map="domain")
    assert set(seg["rfm_code"]) == {"333"} and set(seg["segment"]) == {"other"}


# ----------------------------------------------------------------------------- scores

@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([10, 20, 30, 40, 50, 60, 70, 80, 90, 100], [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]),  # (2k - 1) * 5 // 20 + 1
        ([5, 4, 3, 2, 1], [5, 4, 3, 2, 1]),
        ([42], [3]),  # p = 0.5
        ([1, 2], [2, 4]),  # p = 0.25, 0.75
        ([1, 2, 3], [1, 3, 5]),  # p = 1/6, 1/2, 5/6
        ([7, 7, 7, 7], [3, 3, 3, 3]),
        ([1, 1, 1, 1, 2], [1, 1, 1, 1, 5]),  # ones tied at the bottom -> 1 (mid-rank 2.5 would give 3); 2: p = 0.9
        ([1, 2, 2, 2, 2, 2, 2, 2, 2, 9], [1, 3, 3, 3, 3, 3, 3, 3, 3, 5]),  # heavy ties: no duplicate-edge crash
        ([], []),
    ],
    ids=["deciles", "reversed", "one", "two", "three", "all-tied", "tie-block", "heavy-ties", "empty"],
)
def test_quantile_score_hand_computed(values, expected):
    assert rfm.quantile_score(pd.Series(values, dtype="float64")).tolist() == expected


def test_recency_is_inverted():
    assert rfm.quantile_score(pd.Series([0, 10, 100]), higher_is_better=False).tolist() == [5, 3, 1]


def test_quantile_score_rejects_missing():
    with pytest.raises(InputError, match="cannot score empty values"):
        rfm.quantile_score(pd.Series([1.0, np.nan]))


def _independent_scores(values):
    """Score by counting, in exact fractions: average rank = below + (equal + 1) / 2; a bottom tie scores 1."""
    n = len(values)
    out = []
    for v in values:
        below = sum(1 for x in values if x < v)
        equal = sum(1 for x in values if x == v)
        p = (Fraction(2 * below + equal + 1, 2) - Fraction(1, 2)) / n
        out.append(1 if below == 0 and 2 <= equal < n else math.floor(5 * p) + 1)
    return out


def test_one_time_buyers_tied_at_the_bottom_all_score_f1():
    # issue 18, CDNOW-like: 23,570 customers, 11,843 of them bought once (CDNOW's share, about half).
    # Mid-rank would give the one-time buyers floor(5 x (5,922 - 0.5) / 23,570) + 1 = floor(1.256) + 1 = 2;
    # as the bottom tie they score 1. The 5,000 two-time buyers (places 11,844 to 16,843, average rank
    # 14,343.5): floor(5 x 14,343 / 23,570) + 1 = floor(3.043) + 1 = 4; three-time buyers (3,000, places
    # 16,844-19,843, average 18,343.5): floor(5 x 18,343 / 23,570) + 1 = floor(3.891) + 1 = 4; the
    # 3,727 with 4 to 10 orders sit above 19,843: p >= 19,843.5 / 23,570 = 0.842 -> 5.
    rng = np.random.default_rng(18)
    freq = np.concatenate([np.ones(11_843), np.full(5_000, 2), np.full(3_000, 3),
                           rng.integers(4, 11, size=3_727)]).astype("int64")
    orders = pd.DataFrame({"customer_id": np.repeat([f"C{i:05d}" for i in range(len(freq))], freq)})
    orders["order_id"] = [f"O{i}" for i in range(len(orders))]
    orders["rep_id"] = "R1"
    orders["amount"] = 10.0
    orders["order_date"] = pd.Timestamp("1997-06-30") - pd.to_timedelta(np.arange(len(orders)) % 500, unit="D")
    table = rfm.rfm_table(orders, as_of="1997-06-30", window_days=545)
    assert (table["frequency"] == 1).sum() == 11_843
    scored = rfm.score(table)
    by_f = scored.groupby("frequency")["f_score"].agg(["min", "max"])
    assert by_f.loc[1].tolist() == [1, 1]
    assert by_f.loc[2].tolist() == [4, 4] and by_f.loc[3].tolist() == [4, 4]
    assert (scored.loc[scored["frequency"] >= 4, "f_score"] == 5).all()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=-5, max_value=5), min_size=1, max_size=60))
def test_scores_property_range_ties_order_and_independent(values):
    got = rfm.quantile_score(pd.Series(values)).tolist()
    assert all(1 <= s <= 5 for s in got)
    assert got == _independent_scores(values)
    pairs = sorted(zip(values, got, strict=True))
    assert all(s1 <= s2 for (_, s1), (_, s2) in zip(pairs, pairs[1:], strict=False))  # monotone
    by_value = {}
    for v, s in zip(values, got, strict=True):
        assert by_value.setdefault(v, s) == s  # ties share a score


@settings(max_examples=50, deadline=None)
@given(st.integers(min_value=1, max_value=40))
def test_distinct_values_give_equal_quintiles(k):
    values = pd.Series(np.random.default_rng(k).permutation(5 * k).astype(float))
    got = rfm.quantile_score(values)
    assert got.value_counts().sort_index().tolist() == [k] * 5
    textbook = pd.qcut(values.rank(method="first"), 5, labels=[1, 2, 3, 4, 5]).astype("int64")
    assert got.tolist() == textbook.tolist()


# ----------------------------------------------------------------------------- segment maps

# the grid documented in templates/rfm_segments.yaml (rows r = 5..1, columns fm = 1..5)
GRID = {
    5: ["new_customers", "potential_loyalist", "potential_loyalist", "champions", "champions"],
    4: ["promising", "potential_loyalist", "potential_loyalist", "champions", "champions"],
    3: ["about_to_sleep", "about_to_sleep", "need_attention", "loyal", "loyal"],
    2: ["hibernating", "hibernating", "at_risk", "at_risk", "cannot_lose_them"],
    1: ["lost", "lost", "at_risk", "cannot_lose_them", "cannot_lose_them"],
}


def test_default_map_matches_documented_grid():
    smap = rfm.load_segment_map("default")
    assert smap.keys == ("champions", "loyal", "potential_loyalist", "new_customers", "promising",
                         "need_attention", "about_to_sleep", "at_risk", "cannot_lose_them", "hibernating", "lost")
    assert smap.high_value == ("champions", "loyal")
    for f in range(1, 6):
        for m in range(1, 6):
            fm = (f + m + 1) // 2
            for r in range(1, 6):
                assert smap.assign([r], [f], [m])[0] == GRID[r][fm - 1], (r, f, m)
    assert smap.labels["cannot_lose_them"] == {"en": "Cannot Lose Them", "zh": "不能失去的客户"}
    assert present_rfm.segment_labels(smap, lang="zh")["cannot_lose_them"] == "不能失去的客户"
    assert present_rfm.segment_labels(smap, lang="en")[rfm.INACTIVE] == "No order in window"
    assert present_rfm.segment_map_title(smap, lang="zh") == "RFM 标准 11 类客户分群"
    assert present_rfm.segment_map_title({"name": "mine", "segments": [{"key": "a", "en": "A", "zh": "甲",
                                                                        "when": [{}]}]}, lang="en") == "mine"


def test_domain_map():
    smap = rfm.load_segment_map("domain")
    cases = {(5, 5, 5): "high_value", (4, 4, 4): "high_value", (5, 3, 4): "potential", (4, 1, 2): "potential",
             (5, 1, 1): "other", (5, 1, 5): "other", (2, 3, 3): "sleeping", (1, 1, 1): "sleeping",
             (1, 4, 1): "other", (3, 3, 3): "other"}
    for (r, f, m), key in cases.items():
        assert smap.assign([r], [f], [m])[0] == key, (r, f, m)


def test_custom_map_as_mapping_first_match_wins():
    custom = {"name": "two", "high_value": ["vip"], "segments": [
        {"key": "vip", "en": "VIP", "zh": "贵宾", "when": [{"m": 5}, {"r": 5, "f": [4, 5]}]},
        {"key": "rest", "en": "Rest", "zh": "其他", "when": [{}]},
    ]}
    s = pd.DataFrame({"r_score": [1, 5, 5, 5], "f_score": [1, 4, 3, 1], "m_score": [5, 1, 1, 1]})
    assert rfm.segment(s, segment_map=custom)["segment"].tolist() == ["vip", "vip", "rest", "rest"]


@pytest.mark.parametrize(
    ("segments", "message"),
    [
        ([{"key": "a", "en": "A", "zh": "甲", "when": [{"r": [4, 5]}]}],
         r"segment map: 75 score combination\(s\) match no segment, e.g. r=1 f=1 m=1; .* Add rules for them, "
         r"or a last catch-all segment with when: \[\{\}\]\."),
        ([{"key": "a", "en": "A", "zh": "甲", "when": [{"x": 1}]}],
         r"segment 'a': unknown score 'x'; use r, f, m or fm"),
        ([{"key": "a", "en": "A", "zh": "甲", "when": [{"r": [4, 6]}]}],
         r"segment 'a', score r: range \[4, 6\] must satisfy 1 <= low <= high <= 5"),
        ([{"key": "a", "en": "A", "zh": "甲", "when": [{"r": "high"}]}],
         r"expected a score 1-5 or a range \[low, high\], got 'high'"),
        ([{"key": "a", "en": "A", "when": [{}]}], r"segment 'a' needs a label in zh"),
        ([{"key": "a", "en": "A", "zh": "甲", "when": [{}]}, {"key": "a", "en": "A", "zh": "甲", "when": [{}]}],
         r"segment key 'a' is used twice or reserved"),
        ([{"en": "A", "zh": "甲", "when": [{}]}], r"segment number 1 needs a 'key'"),
        ([{"key": "a", "en": "A", "zh": "甲"}], r"segment 'a' needs 'when'"),
        ([], r"a segment map needs a non-empty list 'segments'"),
    ],
    ids=["holes", "unknown-score", "out-of-range", "not-a-range", "no-zh", "duplicate", "no-key", "no-when",
         "empty"],
)
def test_bad_segment_maps(segments, message):
    with pytest.raises(InputError, match=message):
        rfm.load_segment_map({"segments": segments})


def test_segment_map_high_value_and_paths(tmp_path):
    with pytest.raises(InputError, match=r"high_value names unknown segment\(s\): vip"):
        rfm.load_segment_map({"high_value": ["vip"], "segments": [{"key": "a", "en": "A", "zh": "甲",
                                                                   "when": [{}]}]})
    with pytest.raises(ParameterError, match=r"parameter segment_map='nope' is not valid: expected 'default', "
                       r"'domain' or the path of a YAML segment map"):
        rfm.load_segment_map("nope")
    path = tmp_path / "mine.yaml"
    path.write_text("segments:\n  - {key: all, en: All, zh: 全部, when: [{}]}\n", encoding="utf-8")
    assert rfm.load_segment_map(str(path)).keys == ("all",)
    path.write_text("segments: [unclosed\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"mine.yaml: not valid YAML"):
        rfm.load_segment_map(path)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 400), st.integers(1, 30), st.floats(-1e4, 1e6, allow_nan=False)),
                min_size=1, max_size=80),
       st.sampled_from(["default", "domain"]))
def test_every_customer_in_exactly_one_segment(rows, map_name):
    rfm_frame = pd.DataFrame(rows, columns=["recency_days", "frequency", "monetary"])
    rfm_frame.insert(0, "customer_id", [f"C{i}" for i in range(len(rows))])
    seg = rfm.segment(rfm.score(rfm_frame), segment_map=map_name)
    keys = rfm.load_segment_map(map_name).keys
    assert seg["segment"].isin(keys).all() and len(seg) == len(rows)
    assert seg[["r_score", "f_score", "m_score", "fm_score"]].isin([1, 2, 3, 4, 5]).all().all()
    assert rfm.segment_summary(seg, segment_map=map_name)["customers"].sum() == len(rows)


# ----------------------------------------------------------------------------- tiers

def test_tiers_presets_and_boundaries():
    spend = pd.DataFrame({"annual_spend": [-5.0, 29_999.99, 30_000.0, 100_000.0, 100_000.01, 499_999.0,
                                           500_000.0, 500_000.01]})
    assert rfm.assign_tier(spend, tiers="saas")["tier"].tolist() == [
        "basic", "basic", "growth", "growth", "strategic", "strategic", "strategic", "strategic"]
    assert rfm.assign_tier(spend, tiers="case")["tier"].tolist() == [
        "basic", "basic", "basic", "growth", "growth", "growth", "growth", "strategic"]
    assert rfm.TIER_PRESETS == {"saas": (30_000.0, 100_000.0), "case": (100_000.0, 500_000.0)}


@pytest.mark.parametrize("tiers", [(100_000, 30_000), (50_000, 50_000), (1,), "gold", (1, float("nan")),
                                   ("a", "b")],
                         ids=["decreasing", "equal", "one-value", "unknown-preset", "nan", "text"])
def test_tier_thresholds_not_increasing(tiers):
    with pytest.raises(ParameterError, match=r"parameter tiers=.* is not valid: expected 'saas', 'case' or two "
                       r"increasing amounts"):
        rfm.tier_thresholds(tiers)


def test_bad_tiers_fail_before_any_work(orders):
    with pytest.raises(ParameterError, match=r"\(the first must be below the second\)"):
        rfm.segment_customers(orders, as_of=AS_OF, tiers=(100_000, 30_000))


# ----------------------------------------------------------------------------- actions

@pytest.mark.parametrize("map_name", ["default", "domain"])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_segment_and_tier_has_an_action(map_name, lang):
    acts = rfm.segment_actions(segment_map=map_name)
    assert list(acts.columns) == ["segment", "action_en", "action_zh"]
    assert list(acts["segment"]) == list(rfm.load_segment_map(map_name).keys)
    col = f"action_{lang}"
    assert acts[col].notna().all() and (acts[col].str.len() > 5).all()
    for preset in rfm.TIER_PRESETS:
        tiers = rfm.tier_actions(preset=preset)
        assert list(tiers["tier"]) == list(rfm.TIERS) and tiers[col].notna().all()
    shown = present_rfm.actions_display(acts, segment_map=map_name, lang=lang)
    assert list(shown.columns) == ["segment", "action"] and shown["action"].tolist() == acts[col].tolist()
    labels = present_rfm.segment_labels(map_name, lang=lang)
    assert shown["segment"].tolist() == [labels[k] for k in acts["segment"]]


def test_actions_follow_the_domain():
    assert "self-service" in rfm.tier_actions(preset="saas").set_index("tier").loc["basic", "action_en"]
    assert "200k" in rfm.tier_actions(preset="case").set_index("tier").loc["growth", "action_en"]
    domain = rfm.segment_actions(segment_map="domain").set_index("segment")["action_zh"]
    assert "白皮书" in domain["potential"] and "唤醒" in domain["sleeping"] and "交叉销售" in domain["high_value"]


def test_action_plan_and_missing_entries():
    s = pd.DataFrame({"segment": ["lost", "champions", "champions", "lost"],
                      "tier": ["basic", "growth", "strategic", "basic"], "monetary": [1.0, 5.0, 9.0, 2.0]})
    plan = rfm.action_plan(s, tier_preset="case")
    assert plan[["segment", "tier", "customers", "revenue"]].values.tolist() == [
        ["champions", "strategic", 1, 9.0], ["champions", "growth", 1, 5.0], ["lost", "basic", 2, 3.0]]
    assert plan.columns[4:].tolist() == ["segment_action_en", "segment_action_zh", "tier_action_en",
                                         "tier_action_zh"]
    assert plan["tier_action_en"].iloc[0].startswith("Over 500k")
    shown = present_rfm.actions_display(plan, lang="zh")
    assert shown.columns.tolist() == ["segment", "tier", "customers", "revenue", "segment_action", "tier_action"]
    assert shown["tier_action"].tolist() == plan["tier_action_zh"].tolist()
    assert shown["segment"].iloc[0] == "重要价值客户" and shown["tier"].iloc[0] == "战略客户"
    partial = {"segments": {"champions": {"en": "Call them", "zh": "致电"}, "lost": {"en": "Let go"}},
               "tiers": {"saas": {}}}
    acts = rfm.segment_actions(actions=partial).set_index("segment")
    assert acts["action_en"].isna().sum() == 9 and acts["action_zh"].isna().sum() == 10
    assert acts.loc["champions", "action_zh"] == "致电"
    with pytest.raises(ParameterError, match=r"parameter tier_preset='gold' is not valid: expected one of 'saas'"):
        rfm.tier_actions(preset="gold")
    with pytest.raises(InputError, match="needs the sections 'segments' and 'tiers'"):
        rfm.load_actions({"segments": {}})


# ----------------------------------------------------------------------------- portfolios

@pytest.fixture
def segmented():
    return pd.DataFrame({
        "customer_id": ["A", "B", "C", "D"], "rep_id": ["R1", "R1", "R2", "R2"],
        "segment": ["champions", "lost", "loyal", "at_risk"], "tier": ["strategic", "basic", "growth", "basic"],
        "monetary": [600.0, 100.0, 300.0, -50.0],
    })


def test_portfolio_summary_hand_computed(segmented):
    owners = pd.DataFrame({"customer_id": ["D", "C"], "owner_rep_id": ["R1", None]})
    reps = pd.DataFrame({"rep_id": ["R1", "R2"], "name": ["Ann", "Bo"]})
    got = rfm.portfolio_summary(segmented, customers=owners, reps=reps)
    # R1 owns A, B and D (D by owner_rep_id): 600 + 100 - 50 = 650, high-value A 600 -> 0.9231;
    # R2 keeps C (no owner given): 300, all loyal -> 1.0; total 950, 900 / 950 = 0.9474
    expected = pd.DataFrame({
        "rep_id": ["R1", "R2", "total"], "name": ["Ann", "Bo", None], "customers": [3, 1, 4],
        "revenue": [650.0, 300.0, 950.0], "high_value_customers": [1, 1, 2],
        "high_value_revenue": [600.0, 300.0, 900.0], "high_value_share": [0.9231, 1.0, 0.9474],
        "strategic_customers": [1, 0, 1], "growth_customers": [0, 1, 1], "basic_customers": [2, 0, 2],
    })
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)


def test_rep_portfolio_and_matrix(segmented):
    long = rfm.rep_portfolio(segmented)
    assert long.values.tolist() == [["R1", "champions", "strategic", 1, 600.0], ["R1", "lost", "basic", 1, 100.0],
                                    ["R2", "at_risk", "basic", 1, -50.0], ["R2", "loyal", "growth", 1, 300.0]]
    wide = rfm.portfolio_matrix(segmented, value="revenue", reps=pd.DataFrame({"rep_id": ["R2"], "name": ["Bo"]}))
    assert list(wide.columns) == ["rep_id", "name", *rfm.load_segment_map().keys]
    assert wide["name"].isna().tolist() == [True, False] and wide["name"].iloc[1] == "Bo"
    assert wide.set_index("rep_id").loc["R2", ["loyal", "at_risk", "lost"]].tolist() == [300.0, -50.0, 0.0]
    with pytest.raises(ParameterError, match="parameter value='money'"):
        rfm.portfolio_matrix(segmented, value="money")


def test_portfolio_share_is_nan_without_positive_revenue():
    s = pd.DataFrame({"customer_id": ["A"], "rep_id": ["R1"], "segment": ["champions"], "tier": ["basic"],
                      "monetary": [0.0]})
    assert math.isnan(rfm.portfolio_summary(s)["high_value_share"].iloc[0])


# ----------------------------------------------------------------------------- migration

def test_migration_between_two_dates():
    o = _orders([
        ("1", "A", "R1", "2024-12-20", 100.0),  # A: active at both dates
        ("2", "A", "R1", "2025-06-20", 100.0),
        ("3", "B", "R1", "2024-12-01", 50.0),  # B: only at the first date
        ("4", "C", "R1", "2025-06-01", 80.0),  # C: only at the second date
    ])
    before = rfm.segment_customers(o, as_of="2024-12-31", window_days=180, segment_map="domain")
    after = rfm.segment_customers(o, as_of="2025-06-30", window_days=180, segment_map="domain")
    # window 180 days. Before (A 11 days, B 30 days; n = 2 gives scores 2 and 4, ties 3):
    # A r4 f3 m4 -> potential (r 4-5, f 1-3, m 2-4); B r2 f3 m2 -> sleeping (r 1-2, f 1-3, m 1-3).
    # After (A 10 days, C 29 days): A r4 f3 m4 potential; C r2 f3 m2 sleeping.
    assert before.set_index("customer_id")["segment"].to_dict() == {"A": "potential", "B": "sleeping"}
    assert after.set_index("customer_id")["segment"].to_dict() == {"A": "potential", "C": "sleeping"}
    m = rfm.migration(before, after, segment_map="domain").set_index("from_segment")
    assert list(m.columns) == ["high_value", "potential", "sleeping", "other", "inactive"]
    assert m.loc["potential", "potential"] == 1 and m.loc["sleeping", "inactive"] == 1
    assert m.loc["inactive", "sleeping"] == 1
    assert m.to_numpy().sum() == 3


# ----------------------------------------------------------------------------- LTV and CAC

def _ltv_data():
    o = _orders([
        ("1", "X", "R1", "2025-04-10", 300.0),
        ("2", "X", "R1", "2025-06-10", 200.0),
        ("3", "Y", "R1", "2025-01-05", 1000.0),  # Y was acquired before the period
        ("4", "Y", "R1", "2025-05-05", 100.0),
        ("5", "Z", "R1", "2025-06-01", 400.0),
        ("6", "W", "R1", "2025-06-01", 50.0),
    ])
    customers = pd.DataFrame({"customer_id": ["X", "Y", "Z", "W"],
                              "channel": ["ads", "ads", "referral", None]})
    spend = pd.DataFrame({"channel": ["ads", "ads", "ads", "ads", "referral"],
                          "month": pd.to_datetime(["2025-02-01", "2025-03-01", "2025-04-01", "2025-07-01",
                                                   "2025-04-01"]),
                          "spend": [7000.0, 3100.0, 3000.0, 5000.0, 100.0]})
    return o, customers, spend


def test_channel_economics_hand_computed():
    o, customers, spend = _ltv_data()
    got = rfm.channel_economics(o, customers, spend, as_of=AS_OF, period_days=100, margin=0.5, retention=0.5)
    # period 2025-03-23 .. 2025-06-30 (100 days = 100/365 year).
    # ads: spend 3100 * 9/31 (Mar 23-31) + 3000 = 3900; new X -> CAC 3900; active X, Y with 3 orders, net 600:
    #   purchase rate 3/2 * 3.65 = 5.475, AOV 200, annual value 300 * 3.65 = 1095, LTV 0.5 * 1095 / 0.5 = 1095,
    #   LTV/CAC 1095 / 3900 = 0.28 (ROI < 1), payback 3900 / (0.5 * 1095 / 12) = 85.5 months,
    #   historical 0.5 * mean(500, 1100) = 400.
    # referral: spend 100, new Z, CAC 100, annual 400 * 3.65 = 1460, LTV 1460, 14.6, payback 100 / 60.83 = 1.6.
    # unknown (W, no channel): no spend -> CAC 0, LTV/CAC NaN, not flagged.
    expected = pd.DataFrame({
        "channel": ["ads", "referral", "unknown"], "spend": [3900.0, 100.0, 0.0], "new_customers": [1, 1, 1],
        "cac": [3900.0, 100.0, 0.0], "active_customers": [2, 1, 1], "purchase_rate": [5.475, 3.65, 3.65],
        "avg_order_value": [200.0, 400.0, 50.0], "annual_value": [1095.0, 1460.0, 182.5],
        "retention": [0.5, 0.5, 0.5], "ltv": [1095.0, 1460.0, 182.5], "historical_ltv": [400.0, 200.0, 25.0],
        "ltv_cac": [0.28, 14.6, np.nan], "payback_months": [85.5, 1.6, 0.0], "roi_below_1": [True, False, False],
    })
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    assert present_rfm.channel_verdict(got) == "Channels with ROI < 1: ads"


def test_channel_economics_without_spend_table_and_estimated_retention():
    o, customers, _ = _ltv_data()
    got = rfm.channel_economics(o, customers, None, as_of=AS_OF, period_days=100)
    assert (got["spend"] == 0).all() and got["ltv_cac"].isna().all() and not got["roi_below_1"].any()
    # previous period 2024-12-13 .. 2025-03-22: only Y (ads), who ordered again -> ads 1.0, capped at 0.95;
    # other channels fall back to the overall rate (1.0, capped at 0.95)
    assert got["retention"].tolist() == [0.95, 0.95, 0.95]
    assert present_rfm.channel_verdict(got, lang="zh") == "没有 ROI 低于 1 的渠道。"


def test_retention_rate_hand_computed():
    o = _orders([("1", "A", "R1", "2024-03-01", 1.0), ("2", "A", "R1", "2025-03-01", 1.0),
                 ("3", "B", "R1", "2024-05-01", 1.0), ("4", "C", "R1", "2024-06-01", 1.0),
                 ("5", "C", "R1", "2025-01-01", -1.0)])  # a refund is not an order
    assert rfm.retention_rate(o, as_of="2025-09-30") == pytest.approx(1 / 3)
    by = rfm.retention_rate(o, as_of="2025-09-30", groups=pd.Series({"A": "x", "B": "x"}))
    assert by.to_dict() == {"unknown": 0.0, "x": 0.5}
    assert math.isnan(rfm.retention_rate(o, as_of="2024-09-30"))


def test_customer_ltv_and_parameter_errors():
    o, _, _ = _ltv_data()
    got = rfm.customer_ltv(o, as_of=AS_OF, period_days=100, margin=0.5, retention=0.75)
    # Y: net to date 1100 -> historical 550; last 100 days net 100 -> annual 365, predicted 0.5 * 365 / 0.25 = 730
    y = got.set_index("customer_id").loc["Y"]
    assert (y["net_revenue"], y["historical_ltv"], y["period_orders"], y["annual_value"], y["predicted_ltv"]) == (
        1100.0, 550.0, 1, 365.0, 730.0)
    with pytest.raises(ParameterError, match=r"parameter retention=1.0 is not valid: expected a yearly retention"):
        rfm.customer_ltv(o, as_of=AS_OF, retention=1.0)
    with pytest.raises(ParameterError, match=r"parameter margin=1.5 is not valid: expected a gross margin between"):
        rfm.customer_ltv(o, as_of=AS_OF, retention=0.5, margin=1.5)
    with pytest.raises(ParameterError, match=r"retention cannot be estimated from the data"):
        rfm.customer_ltv(o, as_of="2025-06-30", period_days=365)


# ----------------------------------------------------------------------------- display and export

def test_display_labels(segmented):
    shown = present_rfm.display_labels(rfm.portfolio_summary(segmented), lang="zh")
    assert shown["rep_id"].tolist()[-1] == "合计"
    m = present_rfm.display_labels(rfm.migration(segmented, segmented.iloc[:1]), lang="en")
    assert m["from_segment"].tolist()[0] == "Champions" and "No order in window" in m.columns
    e = present_rfm.display_labels(pd.DataFrame({"channel": ["referral", "tv"], "tier": ["basic", "x"],
                                         "d": pd.to_datetime(["2025-01-02", "2025-01-03"]),
                                         "roi_below_1": [True, False]}), lang="zh")
    assert e.values.tolist() == [["转介绍", "基础客户", "2025-01-02", "是"], ["tv", "x", "2025-01-03", "否"]]


def test_segment_lists_and_writers(segmented, tmp_path):
    lists = rfm.segment_lists(segmented, columns=["customer_id", "monetary"])
    assert list(lists) == ["champions", "loyal", "at_risk", "lost"]
    assert lists["champions"].values.tolist() == [["A", 600.0]]
    written = present_rfm.write_segment_lists(lists, tmp_path / "csv")
    assert [p.name for p in written] == ["champions.csv", "loyal.csv", "at_risk.csv", "lost.csv"]
    assert written[0].read_bytes().startswith(b"\xef\xbb\xbfcustomer_id,monetary")
    book = present_rfm.write_segment_lists(lists, tmp_path / "lists.xlsx")[0]
    back = pd.read_excel(book, sheet_name=None)
    assert list(back) == list(lists) and back["lost"]["customer_id"].tolist() == ["B"]


# ----------------------------------------------------------------------------- cross-check

def _independent_rfm(records, as_of, window_days):
    """Plain Python, one customer at a time: the conventions of the module docstring."""
    start = as_of - timedelta(days=window_days - 1)
    per = {}
    for rec in records:
        day = rec["order_date"].date()
        if not start <= day <= as_of:
            continue
        c = per.setdefault(rec["customer_id"], {"orders": set(), "last": None, "gross": 0.0, "refunds": 0.0})
        if rec["amount"] > 0:
            c["orders"].add(rec["order_id"])
            c["last"] = day if c["last"] is None else max(c["last"], day)
            c["gross"] += rec["amount"]
        elif rec["amount"] < 0:
            c["refunds"] += rec["amount"]
    rows = []
    for cust in sorted(k for k, v in per.items() if v["orders"]):
        c = per[cust]
        net = round(c["gross"], 2) + round(c["refunds"], 2)
        rows.append({"customer_id": cust, "recency_days": (as_of - c["last"]).days,
                     "frequency": len(c["orders"]), "gross_sales": round(c["gross"], 2),
                     "refunds": round(c["refunds"], 2), "monetary": round(net, 2)})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_cross_check_against_independent_implementation(seed):
    rng = np.random.default_rng(seed)
    n = 400
    o = pd.DataFrame({
        "order_id": [f"O{i}" for i in rng.integers(0, 350, n)],  # some order ids repeat (order lines)
        "customer_id": [f"C{i:02d}" for i in rng.integers(0, 40, n)],
        "rep_id": [f"R{i}" for i in rng.integers(0, 4, n)],
        "order_date": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 700 * 24, n), unit="h"),
        "amount": np.round(rng.choice([1, 1, 1, 1, 0, -1], n) * rng.uniform(10, 5000, n), 2),
    })
    as_of = date(2025, 6, 30)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PlaybookWarning)
        got = rfm.rfm_table(o, as_of=as_of, window_days=200)
    expected = _independent_rfm(o.to_dict("records"), as_of, 200)
    pd.testing.assert_frame_equal(got[list(expected.columns)], expected, check_dtype=False)
    scored = rfm.score(got)
    assert scored["m_score"].tolist() == _independent_scores(got["monetary"].tolist())
    assert scored["r_score"].tolist() == _independent_scores((-got["recency_days"]).tolist())


def test_benchmark_baseline_agrees():
    from playbook.bench.cases.rfm import naive_rfm

    rng = np.random.default_rng(5)
    n = 200
    o = pd.DataFrame({
        "order_id": [f"O{i}" for i in range(n)],
        "customer_id": [f"C{i}" for i in rng.integers(0, 25, n)],
        "rep_id": "R1",
        "order_date": pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 180, n), unit="D"),
        "amount": np.round(rng.uniform(-100, 1000, n), 2),
    })
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PlaybookWarning)
        fast = rfm.rfm_table(o, as_of="2025-06-30", window_days=120)
    slow = naive_rfm(o, fast["customer_id"], as_of="2025-06-30", window_days=120)
    pd.testing.assert_frame_equal(slow, fast[["customer_id", "recency_days", "frequency", "monetary"]],
                                  check_dtype=False)
