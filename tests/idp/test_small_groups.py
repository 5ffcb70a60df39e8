"""Small groups never leak: planted teams of 3 and 4 through evidence, draft, worded plan, charts and report.

The field case: in a team of 4, an IDP said "New customers per month: 45% against 100% for
peers" -- a peer figure of 3 other reps, and a count a month printed as a percent. Here the
would-be peer statistics of each rep are computed independently (numpy over the other reps'
own figures, the funnel's own comparison) and every output is scanned for them: the
evidence slice, the draft's data, the worded plan, the peer table, the charts' lines and the
rendered HTML report. A group of 5 or more other reps still shows its statistics.
"""

import math
import re
from dataclasses import fields
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from playbook import funnel, idp
from playbook.core import paths
from playbook.core.errors import ParameterError
from playbook.data import loading
from playbook.pipeline.idp_batch import render_idps
from playbook.present import idp as present_idp
from playbook.present.charts import idp as idp_charts

matplotlib.use("Agg")

pytestmark = pytest.mark.xdist_group(name="small_groups")
"""The module's tests on one xdist worker: :func:`planted` (module-scoped, so once per worker) is made once."""

TEAM_OF_3 = ["R004", "R005", "R006"]
TEAM_OF_4 = [*TEAM_OF_3, "R007"]
# 11 reps of the same position: 6 of 华东一组 (each has 5 team mates) and 5 of 华北一组 (4 team mates)
LARGE = [*TEAM_OF_4, "R022", "R023", "R011", "R012", "R013", "R014", "R024"]
REP = "R004"  # the sample's under-performer: few new customers (a funnel leak on new customers)


def plant(ids, folder):
    """A data folder with only the reps ``ids`` of the sample company (and their orders, opportunities...)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("reps", "customers", "orders", "quotas", "assessments", "opportunities"):
        df = pd.read_csv(paths.SAMPLE_DIR / f"{name}.csv", dtype=str, keep_default_na=False)
        if name == "customers":  # every customer stays (orders refer to them); owners outside are blanked
            df["owner_rep_id"] = df["owner_rep_id"].where(df["owner_rep_id"].isin(ids), "")
        else:
            df = df.loc[df["rep_id"].isin(ids)]
        if name == "reps":
            df["manager_id"] = ""  # no supervisor: the report may name nobody but the rep
        df.to_csv(folder / f"{name}.csv", index=False)
    return folder


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    """Per size: (folder, dataset, evidence) of a planted company of that many reps of one position."""
    out = {}
    for ids in (TEAM_OF_3, TEAM_OF_4, LARGE):
        folder = plant(ids, tmp_path_factory.mktemp(f"team{len(ids)}"))
        dataset = loading.load_inputs(folder)
        out[len(ids)] = (folder, dataset, idp.dataset_evidence(dataset))
    return out


def _stats(values):
    x = pd.to_numeric(pd.Series(values), errors="coerce").dropna().to_numpy(dtype=float)
    return [float(np.mean(x)), *map(float, np.quantile(x, [0.25, 0.5, 0.75]))] if len(x) else []


def _comparison(dataset, reference):
    stages = funnel.stage_table(dataset.opportunities, reps=dataset.reps, as_of=dataset.as_of, invalid="drop")
    return funnel.rep_comparison(stages, dataset.reps, orders=dataset.orders, as_of=dataset.as_of,
                                 reference=reference)


def own_figures(evidence, rep_id):
    """The rep's own figures (a report may show them)."""
    me = evidence.set_index("rep_id").loc[rep_id]
    levels = [float(me[c]) for c in evidence.columns if c.startswith("level__") and pd.notna(me[c])]
    leaks = [float(me[c]) for c in evidence.columns if c.startswith("leak_rate__") and pd.notna(me[c])]
    return [float(me[c]) for c in ("actual", "quota", "attainment", "new_customers", "repurchase_rate")
            if pd.notna(me[c])] + levels + leaks


def would_be(dataset, evidence, rep_id, *, peers=None):
    """Every peer statistic a report of ``rep_id`` could show, computed here without the kit's privacy code.

    Statistics of the other reps' own figures (sales, attainment, new customers, repurchase,
    each competency level), the gap and ratio to the peers' median sales, and the funnel
    peers' rates (team and company, pooled and median), minus values equal to one of the
    rep's own figures. ``peers``: the rep ids counted as peers (default: every other rep).
    """
    ev = evidence.set_index("rep_id")
    me, others = ev.loc[rep_id], ev.drop(index=rep_id)
    if peers is not None:
        others = others.loc[peers]
    values = _stats(ev.loc[ev.index != rep_id, "actual"]) + _stats(others["actual"])
    median = float(np.median(others["actual"]))
    values += [float(me["actual"]) - median, float(me["actual"]) / median]
    for col in ("attainment", "new_customers", "repurchase_rate"):
        values += _stats(others[col])
    for col in [c for c in ev.columns if c.startswith("level__")]:
        values += _stats(ev.loc[ev.index != rep_id, col])
    for reference in ("team", "company"):
        mine = _comparison(dataset, reference).query("rep_id == @rep_id")
        values += mine["peer_rate"].tolist() + mine["peer_median_rate"].tolist()
    own = own_figures(evidence, rep_id)
    return sorted({v for v in values if math.isfinite(v) and not any(math.isclose(v, o, rel_tol=1e-9) for o in own)})


def _hits(numbers, forbidden):
    return sorted({(n, f) for n in numbers for f in forbidden if math.isclose(n, f, rel_tol=1e-9, abs_tol=1e-12)})


def draft_numbers(draft):
    """Every number of a draft: its float fields and the float columns of its items."""
    out = [getattr(draft, f.name) for f in fields(draft) if isinstance(getattr(draft, f.name), float)]
    for col in draft.items.columns:
        if pd.api.types.is_float_dtype(draft.items[col]):
            out += draft.items[col].dropna().tolist()
    return [float(v) for v in out if math.isfinite(v)]


def chart_numbers(ax):
    """Every x position a chart draws: lines, bars (both ends) and markers."""
    out = [float(x) for line in ax.get_lines() for x in line.get_xdata()]
    out += [float(v) for p in ax.patches for v in (p.get_x(), p.get_x() + p.get_width())]
    out += [float(xy[0]) for c in ax.collections for xy in c.get_offsets()]
    return out


def text_forms(values):
    """The ways a report words a figure: money (CNY, 万元), percents, counts a month, counts in a phrase."""
    forms = set()
    for v in values:
        if abs(v) >= 100:  # money
            forms |= {f"{v:,.0f}{sp}CNY" for sp in " \xa0"} | {f"{v / 1e4:,.2f}{sp}万元" for sp in " \xa0"}
        else:
            forms |= {f"{v:.0%}", f"{v:.1%}", f"{v:.2f} a month", f"每月 {v:.2f}", f"median of {v:g}",
                      f"中位数为 {v:g}", f"team median {v:g}", f"团队中位数 {v:g}", f"for peers {v:g}", f"同事为 {v:g}"}
    return forms


def allowed_forms(own):
    return text_forms(own)


def scan_text(text, dataset, evidence, rep_id):
    forbidden = text_forms(would_be(dataset, evidence, rep_id)) - allowed_forms(own_figures(evidence, rep_id))
    text = re.sub(r"<style>.*?</style>", "", text, flags=re.S)  # a stylesheet's sizes are not figures
    return sorted(f for f in forbidden if re.search(r"(?<![\d.,])" + re.escape(f), text))


PEER_WORDS = ("for peers", "peers' median", "team median", "同事为", "同事中位数", "团队中位数")


def _peer_columns(frame):
    return [c for c in frame.columns if (c.startswith("peer_") and c not in ("peer_count", "peer_group"))
            or c.split("__")[0] in ("team_median", "leak_peer_rate", "gap_to_peer_median", "ratio_to_peer_median")]


# --------------------------------------------------------------------------- the rule itself
class TestRule:
    def test_shows_peers_is_the_threshold(self):
        assert idp.MIN_GROUP == 5
        assert [idp.shows_peers(n) for n in (0, 4, 5, 12, None, float("nan"), "x")] == [
            False, False, True, True, False, False, False]

    def test_hide_small_groups_masks_each_statistic_by_its_own_count(self):
        ev = pd.DataFrame({
            "rep_id": ["A", "B", "C"], "actual": [1.0, 2.0, 3.0], "peer_count": [5, 4, None],
            "peer_mean": [10.0, 11.0, 12.0], "peer_q1": 1.0, "peer_median": 2.0, "peer_q3": 3.0,
            "gap_to_peer_median": 4.0, "ratio_to_peer_median": 5.0, "peer_attainment_median": 6.0,
            "peer_new_customers_median": 7.0, "peer_repurchase_median": 0.8,
            "team_median__negotiation": [3.0, 3.0, 3.0], "team_peer_count": [4, 9, 9],
            "leak_peer_rate__negotiation": [0.5, 0.5, 0.5], "leak_peer_count": pd.array([9, pd.NA, 5], dtype="Int64")})
        out = idp.hide_small_groups(ev)
        stats = [c for c in ev.columns if c.startswith(("peer_", "gap_", "ratio_")) and c != "peer_count"]
        assert out.loc[0, stats].notna().all() and out.loc[[1, 2], stats].isna().all().all()
        assert out["team_median__negotiation"].isna().tolist() == [True, False, False]
        assert out["leak_peer_rate__negotiation"].isna().tolist() == [False, True, False]
        pd.testing.assert_frame_equal(out[["rep_id", "actual", "peer_count"]], ev[["rep_id", "actual", "peer_count"]])
        assert ev["peer_mean"].notna().all()  # the input is not changed
        with pytest.raises(ParameterError, match="min_group"):
            idp.hide_small_groups(ev, min_group=0)

    def test_hide_small_groups_keeps_column_order_and_makes_every_statistic_float(self):
        ev = pd.DataFrame({"peer_median": pd.array([7, pd.NA, 9], dtype="Int64"), "rep_id": ["A", "B", "C"],
                           "peer_count": [6, 6, 2], "team_median__x": ["3.5", "bad", "2"],
                           "team_peer_count": [5, 5, 5]})
        out = idp.hide_small_groups(ev)
        assert out.columns.tolist() == ev.columns.tolist()
        assert out.dtypes[["peer_median", "team_median__x"]].tolist() == [np.float64, np.float64]
        assert out["peer_median"].tolist()[:1] == [7.0] and out["peer_median"].iloc[1:].isna().all()
        assert out["team_median__x"].tolist()[0] == 3.5 and out["team_median__x"].iloc[1:].tolist()[1] == 2.0
        assert out["rep_id"].tolist() == ["A", "B", "C"] and out["peer_count"].tolist() == [6, 6, 2]
        again = idp.hide_small_groups(out)  # hidden twice: the same frame, a new object
        pd.testing.assert_frame_equal(again, out)
        assert again is not out
        planted = out.assign(peer_median=[7.0, 8.0, 9.0])  # a figure in a small group's row: hidden again
        assert idp.hide_small_groups(planted)["peer_median"].isna().tolist() == [False, False, True]

    def test_a_statistic_without_its_count_is_hidden(self):
        out = idp.hide_small_groups(pd.DataFrame({"peer_median": [1.0], "team_median": [3.0],
                                                  "leak_peer_rate__x": [0.5], "actual": [7.0]}))
        assert out[["peer_median", "team_median", "leak_peer_rate__x"]].isna().all().all()
        assert out["actual"].tolist() == [7.0]

    def test_evidence_threshold_cannot_go_below_the_privacy_threshold(self, planted):
        _, dataset, _ = planted[4]
        with pytest.raises(ParameterError, match=r"min_group=4 is not valid: expected a whole number >= 5"):
            idp.dataset_evidence(dataset, min_group=4)

    def test_leak_peer_rates_use_the_pool_size(self):
        """Leaks given without counts: the peer group's reps in the evidence (team, or everyone for company)."""
        reps = pd.DataFrame({"rep_id": [f"R{i}" for i in range(8)], "name": list("ABCDEFGH"),
                             "team": ["A"] * 7 + ["B"], "role": "rep"})
        orders = pd.DataFrame({"order_id": [str(i) for i in range(8)], "customer_id": [f"C{i}" for i in range(8)],
                               "rep_id": reps["rep_id"], "order_date": pd.Timestamp("2025-03-01"), "amount": 10.0})
        leaks = pd.DataFrame({"rep_id": ["R0", "R7", "R7"], "step": ["negotiation_to_deal"] * 2 + ["new_customers"],
                              "competency": ["negotiation", "negotiation", "new_customer_development"],
                              "rep_rate": [0.2, 0.1, 0.3], "peer_rate": [0.5, 0.6, 0.9],
                              "peers": ["team", "team", "company"]})
        ev = idp.team_evidence(orders, reps, as_of="2025-06-30", leaks=leaks,
                               competencies=["negotiation", "new_customer_development"]).set_index("rep_id")
        # R0: 6 team mates -> shown; R7 alone in team B -> hidden; R7 against the company (7 others) -> shown
        assert ev.loc["R0", "leak_peer_rate__negotiation"] == 0.5
        assert np.isnan(ev.loc["R7", "leak_peer_rate__negotiation"])
        assert ev.loc["R7", "leak_peer_rate__new_customer_development"] == 0.9
        assert (ev.loc["R0", "leak_peer_count"], ev.loc["R7", "leak_peer_count"]) == (6, 7)
        assert ev.loc["R7", "leak_rate__negotiation"] == 0.1  # the rep's own rate stays


# --------------------------------------------------------------------------- planted small teams
@pytest.mark.parametrize("size", [3, 4])
class TestPlantedSmallTeam:
    def test_the_planted_team_is_what_it_says(self, planted, size):
        _, dataset, ev = planted[size]
        assert ev["peer_count"].tolist() == [size - 1] * size  # everyone employed all year, one position
        assert ev["team_peer_count"].tolist() == [size - 1] * size
        assert ev.set_index("rep_id").loc[REP, "leak_step__new_customer_development"] == "new_customers"
        # the field case: without the rule, R004 would read a pooled peer rate of the other reps
        leak = _comparison(dataset, "company").query("rep_id == @REP and step == 'new_customers'")
        assert leak["status"].tolist() == ["leak"] and leak["peer_rate"].iloc[0] > 1.0

    def test_evidence_holds_no_peer_statistic(self, planted, size):
        _, dataset, ev = planted[size]
        assert ev[_peer_columns(ev)].isna().all().all()
        for rep_id in ev["rep_id"]:
            row = idp.rep_evidence(ev, rep_id)
            numbers = [float(v) for c in row.columns if not c.endswith("_count")
                       for v in pd.to_numeric(row[c], errors="coerce").dropna()]
            assert _hits(numbers, would_be(dataset, ev, rep_id)) == []
            comparison = idp.peer_comparison(ev, rep_id)
            assert comparison[["peer_q1", "peer_median", "peer_q3", "peer_mean"]].isna().all().all()
            assert idp.rep_levels(ev, rep_id)[["team_median", "leak_peer_rate"]].isna().all().all()

    def test_draft_and_worded_plan_hold_no_peer_figure(self, planted, size):
        _, dataset, ev = planted[size]
        for rep_id in ev["rep_id"]:
            forbidden = would_be(dataset, ev, rep_id)
            draft = idp.draft_plan(ev, rep_id)
            assert _hits(draft_numbers(draft), forbidden) == []
            assert math.isnan(draft.peer_median) and math.isnan(draft.peer_mean) and draft.peer_basis == ""
            assert draft.items[["team_median", "leak_peer_rate"]].isna().all().all()
            assert all(s == () for s in draft.items["signals"])  # no signal from a hidden median
            for lang in ("en", "zh"):
                plan = present_idp.word_plan(draft, lang)
                text = "\n".join([plan.summary, *plan.strengths, *plan.items["why"],
                                  present_idp.plan_header_html(plan, lang), present_idp.plan_to_html_table(plan, lang),
                                  present_idp.peer_comparison_display(idp.peer_comparison(ev, rep_id),
                                                                      lang=lang).to_string()])
                assert scan_text(text, dataset, ev, rep_id) == []
                assert not any(w in "\n".join([plan.summary, *plan.items["why"]]) for w in PEER_WORDS)
                assert _hits([plan.peer_mean, plan.peer_median], forbidden) == []

    def test_peer_table_shows_dashes(self, planted, size):
        _, _, ev = planted[size]
        for lang in ("en", "zh"):
            shown = present_idp.peer_comparison_display(idp.peer_comparison(ev, REP), lang=lang)
            assert (shown.iloc[:, 2:6] == "—").all().all()
            assert shown.iloc[:, 6].tolist() == [size - 1] * 4  # how many peers: a count is no statistic

    def test_charts_draw_no_peer_figure(self, planted, size):
        _, dataset, ev = planted[size]
        for rep_id in ev["rep_id"]:
            mine = idp.rep_evidence(ev, rep_id)
            draft = idp.draft_plan(mine, rep_id)
            plan = present_idp.word_plan(draft, "en")
            peer_ax = idp_charts.peer_position_chart(mine, lang="en")
            levels_ax = idp_charts.levels_chart(idp.rep_levels(mine), plan=plan, lang="en")
            forbidden = would_be(dataset, ev, rep_id)
            assert _hits(chart_numbers(peer_ax), forbidden) == []
            assert [c for c in levels_ax.collections if len(c.get_offsets())] == []  # no team median marker
            assert [t.get_text() for t in peer_ax.texts] == [
                "Fewer than 5 peers in the same position: peer statistics are hidden."]
            plt.close("all")

    def test_the_new_customers_leak_is_a_count_a_month_without_the_peers(self, planted, size):
        _, _, ev = planted[size]
        draft = idp.draft_plan(ev, REP)
        item = draft.items.set_index("competency").loc["new_customer_development"]
        assert (item["leak_step"], item["leak_unit"], round(item["leak_rate"], 4)) == (
            "new_customers", "per_month", 0.4545)
        why = {lang: present_idp.word_plan(draft, lang).items.set_index("competency").loc[
            "new_customer_development", "why"] for lang in ("en", "zh")}
        assert why["en"] == ("Rated 2 of 5 by the supervisor: Finds new customers only with help or from inbound "
                             "leads; funnel step New customers per month: 0.45 a month, a leak")
        assert why["zh"] == ("上级评定 2/5 级：只有在他人帮助下或靠主动来访线索才能开发新客户；"
                             "销售漏斗「每月新客户数」：每月 0.45 个，为漏点")


# --------------------------------------------------------------------------- a large group still shows them
class TestLargeGroup:
    def peers_of(self, ev, rep_id):
        """Eligible peers computed here: same position, employed since 1 January."""
        reps = pd.read_csv(paths.SAMPLE_DIR / "reps.csv").set_index("rep_id")
        start = pd.Timestamp(ev["as_of"].iloc[0].year, 1, 1)
        return [r for r in ev["rep_id"] if r != rep_id and pd.Timestamp(reps.loc[r, "hire_date"]) <= start]

    def test_statistics_of_five_or_more_are_shown_everywhere(self, planted):
        _, dataset, ev = planted[len(LARGE)]
        peers = self.peers_of(ev, REP)
        assert len(peers) == 7
        others = ev.set_index("rep_id").loc[peers]
        q1, median, q3 = np.quantile(others["actual"], [0.25, 0.5, 0.75])
        row = idp.rep_evidence(ev, REP).iloc[0]
        assert (row["peer_count"], row["peer_q1"], row["peer_median"], row["peer_q3"]) == (
            7, pytest.approx(q1), pytest.approx(median), pytest.approx(q3))
        assert row["peer_mean"] == pytest.approx(others["actual"].mean())
        assert row["peer_new_customers_median"] == np.median(others["new_customers"])
        # the team median of 华东一组 (R004 has 5 team mates): each level of the 5 others
        mates = ev.set_index("rep_id").loc[["R005", "R006", "R007", "R022", "R023"]]
        assert row["team_median__negotiation"] == np.median(mates["level__negotiation"].astype(float))
        # the funnel: 0.45 new customers a month against the other 10 reps' pooled rate
        pooled = _comparison(dataset, "company").query("rep_id == @REP and step == 'new_customers'")
        assert row["leak_peer_rate__new_customer_development"] == pytest.approx(pooled["peer_rate"].iloc[0])
        assert row["leak_peer_count"] == 10

        draft = idp.draft_plan(ev, REP)
        assert (draft.peer_median, draft.peer_basis) == (pytest.approx(median), "median")
        item = draft.items.set_index("competency").loc["new_customer_development"]
        assert item["leak_peer_rate"] == pytest.approx(pooled["peer_rate"].iloc[0])
        assert item["signals"] == ("new_customers",)  # 6 < 0.8 x 8
        ax = idp_charts.peer_position_chart(idp.rep_evidence(ev, REP), lang="en")
        assert median in [x for line in ax.get_lines() for x in line.get_xdata()]
        plt.close("all")
        shown = present_idp.peer_comparison_display(idp.peer_comparison(ev, REP), lang="en")
        assert shown.iloc[0, 1:5].tolist() == [f"{v:,.0f}\xa0CNY" for v in (row["actual"], q1, median, q3)]

    def test_the_per_month_count_sentence_in_each_language(self, planted):
        _, _, ev = planted[len(LARGE)]
        draft = idp.draft_plan(ev, REP)
        why = {lang: present_idp.word_plan(draft, lang).items.set_index("competency").loc[
            "new_customer_development", "why"] for lang in ("en", "zh")}
        assert why["en"] == ("Rated 2 of 5 by the supervisor: Finds new customers only with help or from inbound "
                             "leads; team median 3; funnel step New customers per month: 0.45 a month against "
                             "0.88 a month for peers; 6 new customers this year against a peers' median of 8")
        assert why["zh"] == ("上级评定 2/5 级：只有在他人帮助下或靠主动来访线索才能开发新客户；团队中位数 3 级；"
                             "销售漏斗「每月新客户数」：每月 0.45 个，同事为每月 0.88 个；"
                             "今年新客户 6 家，同事中位数为 8 家")
        assert present_idp.word_plan(draft, "zh").summary == (
            "销售额 124.82\xa0万元，指标 113.46\xa0万元（达成 110%）。相当于同岗位同事中位数（193.24\xa0万元）的 65%。")


# --------------------------------------------------------------------------- a hand-made draft
class TestHandMadeDraft:
    def test_a_draft_cannot_hold_a_peer_figure_of_four(self):
        items = pd.DataFrame({"competency": ["new_customer_development"], "current_level": [2], "target_level": [4],
                              "review_date": pd.to_datetime(["2026-01-01"]), "source": ["manager"],
                              "team_median": [3.0], "team_peer_count": [4], "leak_step": ["new_customers"],
                              "leak_unit": ["per_month"], "leak_rate": [0.4545], "leak_peer_rate": [1.1439],
                              "leak_peer_count": [4], "signals": [("new_customers", "repurchase")],
                              "measures": [()], "resources": [()]})
        draft = idp.PlanDraft("R1", idp.load_catalogue(), items, peer_count=4, peer_median=320.0, peer_mean=300.0,
                              peer_basis="median", peer_ratio=0.5, new_customers=3.0, peer_new_customers_median=10.0,
                              repurchase_rate=0.4, peer_repurchase_median=0.8)
        assert _hits(draft_numbers(draft), [320.0, 300.0, 0.5, 10.0, 0.8, 1.1439]) == []
        why = {lang: present_idp.word_plan(draft, lang).items["why"][0] for lang in ("en", "zh")}
        assert why["en"] == ("Rated 2 of 5 by the supervisor: Finds new customers only with help or from inbound "
                             "leads; funnel step New customers per month: 0.45 a month, a leak; "
                             "3 new customers this year; 40% of last year's customers ordered again")
        assert why["zh"] == ("上级评定 2/5 级：只有在他人帮助下或靠主动来访线索才能开发新客户；"
                             "销售漏斗「每月新客户数」：每月 0.45 个，为漏点；今年新客户 3 家；去年客户的复购率为 40%")
        shown = idp.PlanDraft("R1", idp.load_catalogue(), items.assign(team_peer_count=5, leak_peer_count=5),
                              peer_count=5, new_customers=3.0, peer_new_customers_median=10.0, repurchase_rate=0.4)
        assert present_idp.word_plan(shown, "en").items["why"][0].endswith(
            "team median 3; funnel step New customers per month: 0.45 a month against 1.14 a month for peers; "
            "3 new customers this year against a peers' median of 10; 40% of last year's customers ordered again")

    def test_a_stored_plan_header_hides_peers_of_a_small_group(self):
        plan = idp.Plan("R1", peer_mean=320_000.0, peer_median=310_000.0, peer_count=4)
        html = present_idp.plan_header_html(plan, "en")
        assert "320,000" not in html and "310,000" not in html
        assert "310,000\xa0CNY" in present_idp.plan_header_html(idp.Plan("R1", peer_median=310_000.0, peer_count=5))


# --------------------------------------------------------------------------- the rendered report
def _report_text(path):
    html = Path(path).read_text(encoding="utf-8")
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", re.sub(r"<(style|script)[^>]*>.*?</\1>", " ", html,
                                                                  flags=re.S)))


@pytest.mark.slow
@pytest.mark.parametrize(("size", "lang"), [(3, "en"), (4, "en"), (4, "zh")])
def test_rendered_report_of_a_small_team_shows_no_peer_statistic(planted, tmp_path, size, lang):
    folder, dataset, ev = planted[size]
    batch = render_idps(folder, tmp_path, reps=[REP], lang=lang, pdf=False, progress=False, workers=1)
    assert batch.counts() == {"rendered": 1, "skipped": 0, "failed": 0}
    text = _report_text(batch.results[0].html)
    assert scan_text(text, dataset, ev, REP) == []
    hidden = {"en": "Fewer than 5 peers in the same position: peer statistics are hidden.",
              "zh": "同岗位同事少于 5 人：不显示同事统计。"}[lang]
    leak = {"en": "funnel step New customers per month: 0.45 a month, a leak",
            "zh": "销售漏斗「每月新客户数」：每月 0.45 个，为漏点"}[lang]
    assert hidden in text and leak in text
    assert not any(w in text for w in ("for peers", "peers' median", "team median", "同事为", "团队中位数"))


@pytest.mark.slow
def test_rendered_report_of_a_large_group_shows_the_statistics(planted, tmp_path):
    folder, _, ev = planted[len(LARGE)]
    batch = render_idps(folder, tmp_path, reps=[REP], lang="en", pdf=False, progress=False, workers=1)
    text = _report_text(batch.results[0].html)
    median = idp.rep_evidence(ev, REP)["peer_median"].iloc[0]
    assert f"{median:,.0f} CNY" in text  # whitespace normalised: the no-break space reads as a space
    assert "funnel step New customers per month: 0.45 a month against 0.88 a month for peers" in text
    assert "Peers: 7 other reps in the same position" in text
