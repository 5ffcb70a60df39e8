"""Funnel counts: the kit against the benchmark's floor and naive loop, and the remembered codes' fast path."""

import warnings

import numpy as np
import pandas as pd
import pytest

from playbook.bench.cases.funnel import floor_rep_funnel, naive_rep_funnel, synthetic_opportunities
from playbook.core.errors import PlaybookWarning
from playbook.funnel import codes, funnel_table, select, stage_table, step_table

RATES = ["rate_lead_to_intent", "rate_intent_to_negotiation", "rate_negotiation_to_deal"]
COUNTS = ["rep_id", "leads", "intents", "negotiations", "deals", *RATES]


def _as_of_view(opps: pd.DataFrame, day: str) -> pd.DataFrame:
    """The funnel as it stood on ``day``, written out independently of the kit (module notes)."""
    day = pd.Timestamp(day)
    o = opps.loc[opps["created_date"] <= day].copy()
    for col in ("intent_date", "negotiation_date", "closed_date"):
        o[col] = o[col].where(~(o[col] > day))
    reopened = o["outcome"].isin(["won", "lost"]) & o["closed_date"].isna()
    o["outcome"] = o["outcome"].where(~reopened, "open")
    return o.reset_index(drop=True)


@pytest.fixture(scope="module")
def opps_and_reps():
    opps, reps = synthetic_opportunities(6000, reps=40, teams=3, seed=11)
    # open, won and lost leads, and won deals that skipped stages (missing intent/negotiation dates)
    won = opps.index[opps["outcome"] == "won"]
    opps.loc[won[::7], "intent_date"] = pd.NaT
    opps.loc[won[::11], "negotiation_date"] = pd.NaT
    assert set(opps["outcome"]) == {"open", "won", "lost"}
    assert opps["intent_date"].isna().any() and opps["negotiation_date"].isna().any()
    assert (opps["outcome"].eq("won") & opps["intent_date"].isna()).any()
    return opps, reps


@pytest.mark.parametrize("as_of", [None, "2025-09-30", "2025-06-15", "2024-03-31"])
def test_kit_floor_and_naive_agree_at_each_as_of_day(opps_and_reps, as_of):
    opps, reps = opps_and_reps
    kit = funnel_table(stage_table(opps, reps=reps, as_of=as_of), by="rep_id")
    view = opps if as_of is None else _as_of_view(opps, as_of)
    if as_of == "2024-03-31":  # the cut-off changes the data: deals reopen, later dates go
        assert (view["outcome"] == "open").sum() > (opps.loc[opps["created_date"] <= as_of, "outcome"] == "open").sum()
    floor = floor_rep_funnel(view)
    naive = naive_rep_funnel(view, reps)
    naive = naive.loc[naive["leads"] > 0].sort_values("rep_id").reset_index(drop=True)
    mine = kit[COUNTS].astype({"rep_id": str})
    pd.testing.assert_frame_equal(mine, floor[COUNTS].astype({"rep_id": str}), check_dtype=False, check_exact=True)
    pd.testing.assert_frame_equal(mine, naive[COUNTS].astype({"rep_id": str}), check_dtype=False, check_exact=True)


def _rebuilt(stages: pd.DataFrame) -> pd.DataFrame:
    """The same table with every text column rebuilt from Python strings: new data, nothing remembered."""
    text = [c for c in stages.columns if str(stages[c].dtype) == "string"]
    out = stages.assign(**{c: pd.array(stages[c].tolist(), dtype="string") for c in text})
    assert all(codes.recall(out[c]) is None for c in text)
    return out


@pytest.fixture(scope="module")
def awkward_stages(opps_and_reps):
    """A stage table with missing and unknown rep ids, a rep without a team, teams nobody sells in and a rep
    listed without an id (it matches no opportunity)."""
    opps, reps = opps_and_reps
    opps = opps.copy()
    opps.loc[opps.index[::97], "rep_id"] = pd.NA
    opps.loc[opps.index[5::89], "rep_id"] = "R_NOT_IN_REPS"
    reps = pd.concat([reps, pd.DataFrame({"rep_id": ["R_GHOST", None], "name": ["Ghost", "Nobody"],
                                          "team": ["T_EMPTY", "T000"]})])
    reps.loc[reps["rep_id"] == "R00003", "team"] = pd.NA
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PlaybookWarning)
        return stage_table(opps, reps=reps, as_of="2025-06-30")


@pytest.mark.parametrize("by", ["rep_id", "team", "outcome", "channel", "name", None, ["team", "rep_id"],
                                ["rep_id", "team"], ["team", "channel"]])
def test_remembered_codes_give_the_groupbys_figures(awkward_stages, by):
    s = awkward_stages
    assert codes.recall(s["rep_id"]) is not None and codes.recall(s["team"]) is not None
    expected = funnel_table(_rebuilt(s), by=by)
    pd.testing.assert_frame_equal(funnel_table(s, by=by), expected, check_exact=True)
    pd.testing.assert_frame_equal(step_table(s, by=by), step_table(_rebuilt(s), by=by), check_exact=True)
    if by in ("rep_id", "team"):  # a missing key is a group of its own, last
        assert expected[by].isna().sum() == 1 and pd.isna(expected[by].iloc[-1])
        assert "T_EMPTY" not in set(expected[by].dropna())  # only groups with opportunities


def test_edited_or_filtered_stage_tables_are_counted_as_they_are_now(awkward_stages):
    s = awkward_stages.copy()
    s.loc[s.index[:10], "rep_id"] = "R_EDITED"
    got = funnel_table(s, by="rep_id").set_index("rep_id")
    assert got.loc["R_EDITED", "leads"] == 10
    pd.testing.assert_frame_equal(funnel_table(s, by="rep_id"), funnel_table(_rebuilt(s), by="rep_id"))
    t = awkward_stages.copy()
    t["rep_id"].array[0] = "R_IN_PLACE"  # in place: the column gets new Arrow data
    assert funnel_table(t, by="rep_id").set_index("rep_id").loc["R_IN_PLACE", "leads"] == 1
    assert "R_IN_PLACE" not in set(awkward_stages["rep_id"].dropna())
    part = select(awkward_stages, period_start="2025-01-01", team="T001")
    pd.testing.assert_frame_equal(funnel_table(part, by="rep_id"), funnel_table(_rebuilt(part), by="rep_id"))


@pytest.mark.parametrize("seed", [0, 1])
def test_combined_codes_number_groups_as_the_groupby(seed):
    rng = np.random.default_rng(seed)
    n = 500
    frame = pd.DataFrame({"team": rng.choice(["T2", "T1", "T3", None], n),
                          "rep": rng.choice(["r9", "r1", "r5", None], n),
                          "x": rng.choice(["b", "a"], n)}).astype("string")
    for col in frame.columns:  # codes into uniques with extra, unused values (as the reps' list gives them)
        c, u = pd.factorize(frame[col])
        uniques = [*u, "zz_unused", u[0], None]  # and a repeated value and a missing one, which some codes use
        c = np.where((c == 0) & (rng.random(n) < 0.5), len(u) + 1, c)
        c = np.where((c == -1) & (rng.random(n) < 0.5), len(u) + 2, c)
        codes.remember(frame[col], c, pd.array(uniques, dtype="string"))
    keys = ["team", "rep", "x"]
    group, groups = codes.frame_group_codes(frame, keys)
    grouped = frame.groupby(keys, dropna=False, observed=True, sort=True)
    np.testing.assert_array_equal(group, grouped.ngroup().to_numpy())
    want = grouped.size().index.to_frame(index=False)
    pd.testing.assert_frame_equal(groups, want)
    assert codes.frame_group_codes(frame.assign(x=frame["x"].str.upper()), keys) is None  # x: nothing remembered
