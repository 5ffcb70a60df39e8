from decimal import Decimal

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import playbook.incentives.scorecards  # noqa: F401
from playbook import incentives as inc
from playbook.bench.cases.incentives import naive_payouts, synthetic_company
from playbook.core.errors import InputError, MissingColumnsError, ParameterError
from playbook.incentives import PlanError
from playbook.present import incentives as present_incentives

TIERS = [{"from": 0, "to": 1_000_000, "rate": 0.08}, {"from": 1_000_000, "to": 2_000_000, "rate": 0.10},
         {"from": 2_000_000, "rate": 0.12}]
BANDS = [{"min_attainment": 1.0, "pct_of_base_salary": 0.05}, {"min_attainment": 0.9, "pct_of_base_salary": 0.02}]
REPS = pd.DataFrame({"rep_id": ["R1", "R2"], "name": ["董某某", "Ann"], "team": ["East", "East"],
                     "manager_id": [None, "R1"], "hire_date": pd.to_datetime(["2020-01-01", "2024-01-15"]),
                     "base_salary": [10_000.0, 8_000.0]})


def plan(*, mode="marginal", tiers=TIERS, **rules):
    comp = {"name": "all", "mode": mode, "tiers": tiers}
    comp.update(rules.pop("component", {}))
    return inc.parse_plan({"commission": [comp], **rules}, name="test")


def orders(rows, *, refunds=True):
    """rows: (rep, customer, date, amount[, product_line]); refunds marked where amount < 0."""
    frame = pd.DataFrame({
        "order_id": [f"o{i}" for i in range(len(rows))],
        "customer_id": [r[1] for r in rows], "rep_id": [r[0] for r in rows],
        "order_date": pd.to_datetime([r[2] for r in rows]), "amount": [float(r[3]) for r in rows],
        "product_line": [r[4] if len(r) > 4 else "软件订阅" for r in rows],
    })
    if refunds:
        frame["is_refund"] = frame["amount"] < 0
    return frame


def totals(lines):
    return lines.groupby("rule")["amount_cents"].sum().to_dict()


# --------------------------------------------------------------------------- golden cases


class TestDomainWorkedExample:
    """domain.md section 4: sales up to 1,000k at 8%, 1,000k-2,000k at 10%, above 2,000k at 12%."""

    def test_shipped_plans_give_240k_marginal_and_300k_whole(self):
        # marginal: 1,000,000 x 8% + 1,000,000 x 10% + 500,000 x 12% = 80k + 100k + 60k = 240k
        assert inc.commission_for_sales(2_500_000, plan="domain_marginal") == Decimal("240000.00")
        # whole amount: the reached tier's 12% on all 2,500,000 = 300k
        assert inc.commission_for_sales(2_500_000, plan="domain_whole") == Decimal("300000.00")

    @pytest.mark.parametrize(("name", "expected"), [("domain_marginal", 240_000_00), ("domain_whole", 300_000_00)],
                             ids=["marginal", "whole"])
    def test_same_through_orders_over_a_year(self, name, expected):
        o = orders([("R1", "C1", "2024-02-10", 700_000), ("R1", "C2", "2024-06-01", 1_300_000),
                    ("R1", "C1", "2024-11-20", 500_000)])
        p = inc.modify_plan(name, {"bonus": None})
        run = inc.run_plan(o, REPS, plan=p, period="2024")
        assert run.lines["amount_cents"].sum() == expected
        assert run.by_rep.set_index("rep_id").loc["R1", "commission_cents"] == expected

    def test_marginal_line_items_show_each_slice(self):
        o = orders([("R1", "C1", "2024-03-01", 2_500_000)])
        lines = inc.payout_lines(o, REPS, plan=plan(), period="2024")
        got = lines[["tier", "base_cents", "rate", "amount_cents"]]
        expected = pd.DataFrame({"tier": pd.array([1, 2, 3], dtype="Int64"),
                                 "base_cents": pd.array([100_000_000, 100_000_000, 50_000_000], dtype="Int64"),
                                 "rate": [0.08, 0.10, 0.12], "amount_cents": [8_000_000, 10_000_000, 6_000_000]})
        pd.testing.assert_frame_equal(got, expected)

    def test_whole_amount_true_up_when_a_threshold_is_crossed(self):
        # Jan 900k at 8% = 72k; Feb +300k reaches tier 2: 300k x 10% = 30k, plus the true-up on the
        # 900k already sold: 900k x (10% - 8%) = 18k. Year: 1.2M x 10% = 120k.
        o = orders([("R1", "C1", "2024-01-05", 900_000), ("R1", "C1", "2024-02-05", 300_000)])
        lines = inc.payout_lines(o, REPS, plan=plan(mode="whole"), period="2024")
        assert lines["rule"].tolist() == ["commission", "commission", "tier_true_up"]
        assert lines["amount_cents"].tolist() == [72_000_00, 30_000_00, 18_000_00]
        assert lines["rate"].round(6).tolist() == [0.08, 0.10, 0.02]

    def test_boundary_side_is_a_stated_plan_setting_in_whole_mode(self):
        # "100万以内 8%": up to and including 1,000,000 at 8% (the default, at_boundary: lower_tier)
        assert inc.load_plan("domain_whole").at_boundary == "lower_tier"
        assert inc.commission_for_sales(1_000_000, plan="domain_whole") == Decimal("80000.00")  # 8% x 1M
        assert inc.commission_for_sales("999999.99", plan="domain_whole") == Decimal("80000.00")  # 79,999.9992
        # one cent above: 10% x 1,000,000.01 = 100,000.001 -> 100,000.00
        assert inc.commission_for_sales("1000000.01", plan="domain_whole") == Decimal("100000.00")
        # 2,000,000 exactly: still 10% = 200,000; the 12% tier starts above it
        assert inc.commission_for_sales(2_000_000, plan="domain_whole") == Decimal("200000.00")
        # the other reading, stated in the plan: from 1,000,000 at 10%
        upper = inc.modify_plan("domain_whole", {"at_boundary": "upper_tier"})
        assert inc.commission_for_sales(1_000_000, plan=upper) == Decimal("100000.00")
        assert inc.commission_for_sales(2_000_000, plan=upper) == Decimal("240000.00")  # 12% x 2M
        # marginal slices pay the same either way: 1M x 8% = 80,000
        assert inc.commission_for_sales(1_000_000, plan="domain_marginal") == Decimal("80000.00")
        with pytest.raises(inc.PlanError, match=r"plan 'domain_whole\*', rule at_boundary: 'inclusive' is not valid"):
            inc.modify_plan("domain_whole", {"at_boundary": "inclusive"})

    def test_every_statement_states_the_boundary_side(self):
        orders = pd.DataFrame({"customer_id": ["C1"], "rep_id": ["R1"], "order_date": pd.to_datetime(["2024-03-01"]),
                               "amount": [1_000_000.0]})
        reps = pd.DataFrame({"rep_id": ["R1"], "name": ["Ann"], "team": ["A"]})
        run = inc.run_plan(orders, reps, plan=inc.modify_plan("domain_whole", {"bonus": None}), period="2024")
        st = inc.payout_statement(run, rep_id="R1")
        assert st["summary"].loc[0, ["at_boundary", "total_cents"]].tolist() == ["lower_tier", 80_000_00]
        zh = present_incentives.display_frame(st["summary"], lang="zh")
        assert zh.loc[0, "档位分界"].startswith("累计销售额恰好等于分界点时按较低一档的比例计提")
        en = present_incentives.display_frame(st["summary"], lang="en")
        assert en.loc[0, "Tier boundaries"].startswith("A sale total exactly at a tier boundary is paid at the lower")


class TestBonusRule:
    """Monthly bonus (domain.md section 4): >= 100% -> 5% of base salary; 90-100% -> 2%; below -> 0."""

    QUOTA = pd.DataFrame({"rep_id": ["R1"], "month": pd.to_datetime(["2025-03-01"]), "quota": [100_000.0]})

    @pytest.mark.parametrize(("sales", "expected"), [
        (100_000.00, 500_00),   # exactly 100%: 5% of 10,000 = 500
        (99_999.99, 200_00),    # just below 100%: 2% of 10,000 = 200
        (90_000.00, 200_00),    # exactly 90%: 2%
        (89_999.99, 0),         # just below 90%: nothing
        (150_000.00, 500_00),
    ], ids=["100%", "just-below-100%", "90%", "just-below-90%", "150%"])
    def test_bands_at_their_edges(self, sales, expected):
        o = orders([("R1", "C1", "2025-03-10", sales)])
        p = inc.parse_plan({"bonus": {"bands": BANDS}}, name="bonus-only")
        lines = inc.payout_lines(o, REPS, self.QUOTA, plan=p, period="2025-03")
        assert lines["amount_cents"].sum() == expected

    def test_bonus_line_is_traceable(self):
        o = orders([("R1", "C1", "2025-03-10", 95_300.0)])
        p = inc.parse_plan({"bonus": {"bands": BANDS}}, name="b")
        line = inc.payout_lines(o, REPS, self.QUOTA, plan=p, period="2025-Q1").iloc[0]
        assert (line["rule"], line["ref"], line["base_cents"], line["rate"], line["amount_cents"]) == (
            "bonus", "95.30%", 1_000_000, 0.02, 20_000)

    def test_refunds_count_against_attainment(self):
        o = orders([("R1", "C1", "2025-03-10", 100_000.0), ("R1", "C1", "2025-03-20", -0.01)])
        p = inc.parse_plan({"bonus": {"bands": BANDS}}, name="b")
        assert inc.payout_lines(o, REPS, self.QUOTA, plan=p, period="2025-03")["amount_cents"].sum() == 200_00


class TestClawback:
    def test_refund_takes_back_commission_marginal(self):
        # Jan 1.2M: 1M x 8% + 200k x 10% = 100k. Mar refund 300k walks back down the tiers:
        # 200k x 10% + 100k x 8% = 28k clawed back; the year ends at f(900k) = 72k.
        o = orders([("R1", "C1", "2024-01-10", 1_200_000), ("R1", "C1", "2024-03-02", -300_000)])
        lines = inc.payout_lines(o, REPS, plan=plan(), period="2024")
        claw = lines[lines["rule"] == "clawback"]
        assert claw["amount_cents"].tolist() == [-8_000_00, -20_000_00]
        assert claw["base_cents"].tolist() == [-100_000_00, -200_000_00]
        assert lines["amount_cents"].sum() == 72_000_00

    def test_refund_takes_back_commission_whole(self):
        # Jan 1.2M at 10% = 120k; Mar refund 300k at the 8% now reached = -24k, and the rate on the
        # 1.2M drops from 10% to 8%: -24k true-up. Year: 900k x 8% = 72k.
        o = orders([("R1", "C1", "2024-01-10", 1_200_000), ("R1", "C1", "2024-03-02", -300_000)])
        lines = inc.payout_lines(o, REPS, plan=plan(mode="whole"), period="2024")
        assert totals(lines) == {"commission": 120_000_00, "clawback": -24_000_00, "tier_true_up": -24_000_00}

    def test_refund_in_the_period_of_an_order_from_before(self):
        o = orders([("R1", "C1", "2024-01-10", 10_000), ("R1", "C1", "2024-04-02", -10_000)])
        lines = inc.payout_lines(o, REPS, plan=plan(), period="2024-Q2")
        assert lines[["rule", "amount_cents"]].values.tolist() == [["clawback", -800_00]]

    def test_clawback_off_ignores_refunds(self):
        o = orders([("R1", "C1", "2024-01-10", 10_000), ("R1", "C1", "2024-02-02", -10_000)])
        lines = inc.payout_lines(o, REPS, plan=plan(clawback=False), period="2024")
        assert totals(lines) == {"commission": 800_00}


class TestOtherRules:
    def test_recoverable_draw(self):
        # 10% commission on 10k, 0, 80k, 5k = 1,000, 0, 8,000, 500; draw 3,000 a month:
        # Jan +2,000 (balance 2,000), Feb +3,000 (5,000), Mar earns 8,000 - 5,000 owed = pays 3,000:
        # recovery -5,000 (balance 0), Apr +2,500.
        p = plan(tiers=[{"from": 0, "rate": 0.1}], draw={"amount": 3000})
        o = orders([("R1", "C1", "2024-01-10", 10_000), ("R1", "C1", "2024-03-10", 80_000),
                    ("R1", "C1", "2024-04-10", 5_000)])
        lines = inc.payout_lines(o, REPS.iloc[:1], plan=p, period="2024-04")
        assert lines[["rule", "amount_cents"]].values.tolist() == [["commission", 500_00], ["draw", 2_500_00]]
        q1 = inc.payout_lines(o, REPS.iloc[:1], plan=p, period="2024-Q1")
        draws = q1[q1["rule"].str.startswith("draw")]
        assert draws["amount_cents"].tolist() == [2_000_00, 3_000_00, -5_000_00]
        monthly = q1.groupby("month")["amount_cents"].sum()
        assert (monthly == 3_000_00).all()  # the rep is paid the draw every month

    def test_non_recoverable_draw_tops_up_only(self):
        p = plan(tiers=[{"from": 0, "rate": 0.1}], draw={"amount": 3000, "recoverable": False})
        o = orders([("R1", "C1", "2024-01-10", 10_000), ("R1", "C1", "2024-02-10", 80_000)])
        lines = inc.payout_lines(o, REPS.iloc[:1], plan=p, period="2024-Q1")
        assert totals(lines) == {"commission": 9_000_00, "draw": 2_000_00 + 3_000_00}  # Jan 2,000; Mar 3,000

    def test_cap_limits_the_year_and_gives_back_after_refunds(self):
        # 10% capped at 5,000: Jan 3,000; Feb 4,000 -> cap -2,000; Mar refund -2,000 -> cap +2,000.
        p = plan(tiers=[{"from": 0, "rate": 0.1}], component={"cap": 5000})
        o = orders([("R1", "C1", "2024-01-10", 30_000), ("R1", "C1", "2024-02-10", 40_000),
                    ("R1", "C1", "2024-03-10", -20_000)])
        lines = inc.payout_lines(o, REPS, plan=p, period="2024")
        cap = lines[lines["rule"] == "cap"]
        assert cap["amount_cents"].tolist() == [-2_000_00, 2_000_00]
        assert lines["amount_cents"].sum() == 5_000_00

    def test_quota_relative_tiers(self):
        # annual quota 1,000,000 -> thresholds 600k (60%) and 1M (100%); sales 1.2M:
        # 600k x 4% + 400k x 8% + 200k x 14% = 24k + 32k + 28k = 84k
        tiers = [{"from": 0, "to": 0.6, "rate": 0.04}, {"from": 0.6, "to": 1.0, "rate": 0.08},
                 {"from": 1.0, "rate": 0.14}]
        p = plan(tiers=tiers, component={"basis": "attainment"})
        quotas = pd.DataFrame({"rep_id": "R1", "month": pd.date_range("2024-01-01", periods=12, freq="MS"),
                               "quota": 1_000_000 / 12})
        quotas["quota"] = [83_333.33] * 11 + [83_333.37]
        o = orders([("R1", "C1", "2024-05-10", 1_200_000)])
        assert inc.payout_lines(o, REPS, quotas, plan=p, period="2024")["amount_cents"].sum() == 84_000_00
        assert inc.commission_for_sales(1_200_000, plan=p, quota=1_000_000) == Decimal("84000.00")

    def test_new_and_renewal_rates_with_key_account_uplift(self):
        # C1 bought 600k in 2023 -> key account in 2024. Its 2024 repeat order is renewal business:
        # 5% x 100k = 5,000, uplift +20% of the 5% rate = 1% x 100k = 1,000. C2's first order is new: 10%.
        p = inc.parse_plan({
            "commission": [{"name": "new", "deal_types": ["new"], "tiers": [{"from": 0, "rate": 0.10}]},
                           {"name": "renewal", "deal_types": ["renewal"], "tiers": [{"from": 0, "rate": 0.05}],
                            "renewal_uplift": {"rate": 0.2}}],
            "key_accounts": {"min_prior_year_sales": 500_000}}, name="nr")
        o = orders([("R1", "C1", "2023-06-01", 600_000), ("R1", "C1", "2024-02-01", 100_000),
                    ("R1", "C2", "2024-02-03", 50_000), ("R1", "C2", "2024-03-03", 10_000)])
        lines = inc.payout_lines(o, REPS, plan=p, period="2024")
        got = lines.groupby(["rule", "component"])["amount_cents"].sum().to_dict()
        assert got == {("commission", "new"): 5_000_00, ("commission", "renewal"): 5_000_00 + 500_00,
                       ("renewal_uplift", "renewal"): 1_000_00}
        uplift = lines[lines["rule"] == "renewal_uplift"].iloc[0]
        assert (uplift["base_cents"], uplift["rate"]) == (100_000_00, 0.01)

    def test_per_product_line_rates(self):
        p = inc.parse_plan({"commission": [
            {"name": "software", "products": ["软件订阅"], "tiers": [{"from": 0, "rate": 0.1}]},
            {"name": "hardware", "products": ["硬件设备"], "tiers": [{"from": 0, "rate": 0.03}]}]}, name="pl")
        o = orders([("R1", "C1", "2024-02-01", 1000, "软件订阅"), ("R1", "C1", "2024-02-01", 1000, "硬件设备"),
                    ("R1", "C1", "2024-02-01", 1000, "培训服务")])  # training: in no component, no commission
        lines = inc.payout_lines(o, REPS, plan=p, period="2024")
        assert lines.set_index("component")["amount_cents"].to_dict() == {"hardware": 30_00, "software": 100_00}

    def test_referral_award_to_rep_and_csm(self):
        customers = pd.DataFrame({"customer_id": ["C1", "C2"], "channel": ["referral", "paid_search"],
                                  "csm_id": ["CS9", "CS9"]})
        p = plan(referral_award={"amount": 1000, "csm_column": "csm_id"})
        o = orders([("R1", "C1", "2024-02-01", 100), ("R1", "C1", "2024-03-01", 100),
                    ("R1", "C2", "2024-02-01", 100)])
        lines = inc.payout_lines(o, REPS, plan=p, period="2024", customers=customers)
        award = lines[lines["rule"] == "referral_award"]
        assert award[["rep_id", "component", "ref", "amount_cents"]].values.tolist() == [
            ["CS9", "csm", "C1", 1_000_00], ["R1", "rep", "C1", 1_000_00]]
        run = inc.run_plan(o, REPS, plan=p, period="2024", customers=customers)
        assert run.by_rep.set_index("rep_id").loc["CS9", "awards_cents"] == 1_000_00

    def test_mentor_award_for_a_mentees_first_deal(self):
        p = plan(mentor_award={"amount": 2000, "mentor_column": "manager_id", "within_days": 180})
        o = orders([("R2", "C1", "2024-03-01", 500), ("R2", "C2", "2024-04-01", 500)])
        lines = inc.payout_lines(o, REPS, plan=p, period="2024")
        award = lines[lines["rule"] == "mentor_award"]
        assert award[["rep_id", "ref", "amount_cents"]].values.tolist() == [["R1", "R2", 2_000_00]]
        late = orders([("R2", "C1", "2024-09-01", 500)])  # 230 days after hiring: too late
        assert "mentor_award" not in set(inc.payout_lines(late, REPS, plan=p, period="2024")["rule"])

    def test_process_awards_by_metric_and_by_manager(self):
        acts = pd.DataFrame({"rep_id": ["R1", "R2", "R1", "R2"], "week": pd.to_datetime(
            ["2024-01-01", "2024-01-08", "2024-02-05", "2024-02-05"]), "visits": [5, 7, 4, 4],
            "calls": 0, "demos": 0})
        p = plan(process_awards=[{"name": "most_visits", "metric": "visits", "amount": 500},
                                 {"name": "best_needs_research", "amount": 800}])
        winners = pd.DataFrame({"rep_id": ["R1"], "month": pd.to_datetime(["2024-02-01"]),
                                "award": ["best_needs_research"]})
        lines = inc.payout_lines(orders([]), REPS, plan=p, period="2024-Q1", activities=acts,
                                 award_winners=winners)
        got = lines[["rep_id", "month", "component", "amount_cents"]].astype({"month": str}).values.tolist()
        assert got == [["R1", "2024-02-01", "best_needs_research", 800_00],
                       ["R1", "2024-02-01", "most_visits", 500_00],            # February: a tie, both win
                       ["R2", "2024-01-01", "most_visits", 500_00],
                       ["R2", "2024-02-01", "most_visits", 500_00]]
        with pytest.raises(ParameterError, match="award_winners"):
            inc.payout_lines(orders([]), REPS, plan=p, period="2024", activities=acts,
                             award_winners=winners.assign(award="nope"))


# --------------------------------------------------------------------------- bad input


class TestBadPlans:
    @pytest.mark.parametrize(("tiers", "message"), [
        ([{"from": 0, "to": 1000, "rate": 0.08}, {"from": 900, "rate": 0.1}],
         r"rule commission 'all' tier 2: overlaps tier 1: it starts at 900 but tier 1 runs to 1000"),
        ([{"from": 0, "rate": 0.08}, {"from": 2000, "rate": 0.12}, {"from": 1000, "rate": 0.1}],
         r"rule commission 'all' tier 3: tiers are not in ascending order"),
        ([{"from": 0, "to": 1000, "rate": 0.08}, {"from": 1500, "rate": 0.1}],
         r"tier 2: leaves a gap after tier 1"),
        ([{"from": 100, "rate": 0.08}], r"tier 1: the first tier must start at 0"),
        ([{"from": 0, "to": 5, "rate": 0.08}], r"the last tier must be open-ended"),
        ([{"from": 0, "rate": 1.2}], r"tier 1: rate 1.2 is outside \[0, 1\]"),
        ([{"from": 0, "rate": -0.01}], r"tier 1: rate -0.01 is outside \[0, 1\]"),
        ([{"from": 0, "rate": "120%"}], r"rate '120%' is outside \[0, 1\]"),
        ([], r"needs a non-empty list of tiers"),
    ], ids=["overlap", "unordered", "gap", "not-from-0", "closed-last", "rate>1", "rate<0", "pct>100", "empty"])
    def test_tier_errors_name_the_rule(self, tiers, message):
        with pytest.raises(PlanError, match=message):
            plan(tiers=tiers)

    def test_other_rule_errors(self):
        with pytest.raises(PlanError, match=r"rule bonus band 1: pct_of_base_salary 5 is outside \[0, 1\]"):
            plan(bonus={"bands": [{"min_attainment": 1, "pct_of_base_salary": 5}]})
        with pytest.raises(PlanError, match=r"rule commission 'b': covers the same orders as 'a'"):
            inc.parse_plan({"commission": [{"name": "a", "tiers": [{"from": 0, "rate": 0.1}]},
                                           {"name": "b", "deal_types": ["new"], "tiers": [{"from": 0, "rate": 0.1}]}]},
                           name="test")
        with pytest.raises(PlanError, match=r"rule \(plan\): unknown key\(s\) comission"):
            inc.parse_plan({"comission": []}, name="test")
        with pytest.raises(PlanError, match=r"rule key_accounts: a renewal_uplift needs key accounts"):
            plan(component={"renewal_uplift": {"rate": 0.2}})
        with pytest.raises(PlanError, match=r"rule commission 'all': mode 'full' is not valid"):
            plan(mode="full")

    def test_negative_sales_not_marked_as_refunds(self):
        o = orders([("R1", "C1", "2024-01-10", 100), ("R1", "C1", "2024-01-12", -50)], refunds=False)
        o["is_refund"] = False
        with pytest.raises(PlanError, match=r"plan 'test', rule clawback: 1 order\(s\) have a negative amount but "
                           r"are not marked as refunds \(is_refund false\): o1\. Mark refunds"):
            inc.payout_lines(o, REPS, plan=plan(), period="2024")

    def test_unknown_product_line(self):
        p = inc.parse_plan({"commission": [{"name": "hw", "products": ["硬件"], "tiers": [{"from": 0, "rate": 0.1}]}]},
                           name="test")
        o = orders([("R1", "C1", "2024-01-10", 100, "硬件设备")])
        with pytest.raises(PlanError, match=r"rule commission 'hw': product line\(s\) 硬件 do not occur in the "
                           r"orders \(found: 硬件设备\)"):
            inc.payout_lines(o, REPS, plan=p, period="2024")

    def test_missing_base_salary_for_the_bonus(self):
        p = plan(bonus={"bands": BANDS})
        quotas = pd.DataFrame({"rep_id": ["R1", "R2"], "month": pd.to_datetime(["2024-01-01"] * 2),
                               "quota": [1000.0, 1000.0]})
        reps = REPS.assign(base_salary=[10_000.0, np.nan])
        with pytest.raises(PlanError, match=r"plan 'test', rule bonus: base salary missing for rep\(s\) R2\. "
                           r"Fill reps.base_salary"):
            inc.payout_lines(orders([]), reps, quotas, plan=p, period="2024")
        with pytest.raises(PlanError, match=r"rule bonus: pays a share of the monthly base salary but reps have no "
                           r"base_salary column"):
            inc.payout_lines(orders([]), REPS.drop(columns="base_salary"), quotas, plan=p, period="2024")

    def test_parameters(self):
        with pytest.raises(ParameterError, match=r"parameter period='2024-13' is not valid: expected a year"):
            inc.parse_period("2024-13")
        with pytest.raises(ParameterError, match=r"parameter plan='nope' is not valid: expected the name of a plan"):
            inc.load_plan("nope")
        with pytest.raises(ParameterError, match=r"parameter changes='commission.9.mode'"):
            inc.modify_plan("domain_marginal", {"commission.9.mode": "whole"})
        with pytest.raises(MissingColumnsError, match=r"orders: missing required column\(s\): amount"):
            inc.payout_lines(orders([]).drop(columns="amount"), REPS, plan=plan(), period="2024")
        with pytest.raises(InputError, match=r"orders.amount: 1 value\(s\) missing or not a number"):
            inc.payout_lines(orders([("R1", "C1", "2024-01-10", np.nan)]), REPS, plan=plan(), period="2024")


# --------------------------------------------------------------------------- plans as data, what-if


def test_shipped_plans_load_and_say_what_they_are():
    names = inc.list_plans()
    assert {"domain_marginal", "domain_whole", "renewal_uplift"} <= set(names)
    for name in names:
        p = inc.load_plan(name)
        assert present_incentives.plan_label(p, "zh") != present_incentives.plan_label(p, "en") and p.components
    assert inc.load_plan("renewal_uplift").components[0].uplift_ppm == 200_000
    assert inc.load_plan("new_vs_renewal").components[0].tiers[1].lower == 300_000_00  # 30 万元


def test_modify_plan_leaves_the_original_alone():
    base = inc.load_plan("domain_marginal")
    whole = inc.modify_plan(base, {"commission.all_sales.mode": "whole"}, name="what-if")
    assert (base.components[0].mode, whole.components[0].mode, whole.name) == ("marginal", "whole", "what-if")
    assert inc.commission_for_sales(2_500_000, plan=whole) == Decimal("300000.00")


def test_compare_plans_and_summary():
    # R1 sells 2.5M (gains 60k under whole amount), R2 800k (same: 8% either way)
    o = orders([("R1", "C1", "2024-03-01", 2_500_000), ("R2", "C2", "2024-03-01", 800_000)])
    a = inc.run_plan(o, REPS, plan=inc.modify_plan("domain_marginal", {"bonus": None}), period="2024")
    b = inc.run_plan(o, REPS, plan=inc.modify_plan("domain_whole", {"bonus": None}), period="2024")
    cmp = inc.compare_plans(a, b)
    assert list(cmp.columns) == inc.COMPARE_COLUMNS
    assert cmp[["rep_id", "payout_a_cents", "payout_b_cents", "change_cents", "outcome"]].values.tolist() == [
        ["R1", 240_000_00, 300_000_00, 60_000_00, "gains"], ["R2", 64_000_00, 64_000_00, 0, "same"]]
    assert cmp.loc[0, "change_pct"] == pytest.approx(0.25)
    s = inc.plan_summary(b)
    assert list(s.columns) == inc.SUMMARY_COLUMNS
    # cost 364k over sales 3.3M; the top 10% (1 payee of 2) took 300k of 364k
    assert s.loc[0, "total_cents"] == 364_000_00
    assert s.loc[0, "cost_ratio"] == pytest.approx(364 / 3300)
    assert s.loc[0, "top_decile_share"] == pytest.approx(300 / 364)
    assert a.by_rep.set_index("rep_id").loc["R1", "effective_rate"] == pytest.approx(0.096)


def test_naive_baseline_agrees_with_the_vectorised_payouts():
    data = synthetic_company(6, 80)
    for name in ("domain_marginal", "domain_whole"):
        run = inc.run_plan(data["orders"], data["reps"], data["quotas"], plan=name, period="2024-Q3")
        naive = naive_payouts(data["orders"], data["reps"], data["quotas"], plan=name, period="2024-Q3")
        got = run.by_rep.set_index("rep_id")[["commission_cents", "bonus_cents", "total_cents"]]
        got["commission_cents"] += run.by_rep.set_index("rep_id")["clawback_cents"]
        pd.testing.assert_frame_equal(got, naive.set_index("rep_id")[got.columns], check_dtype=False,
                                      check_names=False)


# --------------------------------------------------------------------------- properties

_money = st.integers(min_value=-50_000_00, max_value=3_000_000_00)


@st.composite
def _order_sets(draw):
    n = draw(st.integers(min_value=0, max_value=25))
    rows = []
    for _ in range(n):
        cents = draw(_money)
        if cents == 0:
            continue
        rows.append((draw(st.sampled_from(["R1", "R2"])), f"C{draw(st.integers(0, 4))}",
                     f"2024-{draw(st.integers(1, 12)):02d}-{draw(st.integers(1, 28)):02d}", cents / 100,
                     draw(st.sampled_from(["软件订阅", "硬件设备"]))))
    return rows


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=_order_sets(), mode=st.sampled_from(["marginal", "whole"]), period=st.sampled_from(["2024", "2024-Q3"]),
       cap=st.sampled_from([None, 150_000]))
def test_line_items_add_up_to_the_totals_exactly(rows, mode, period, cap):
    p = plan(mode=mode, component={"cap": cap}, bonus={"bands": BANDS}, draw={"amount": 3000},
             mentor_award={"amount": 2000, "mentor_column": "manager_id"})
    quotas = pd.DataFrame({"rep_id": ["R1", "R2"] * 12,
                           "month": np.repeat(pd.date_range("2024-01-01", periods=12, freq="MS"), 2),
                           "quota": 150_000.0})
    run = inc.run_plan(orders(rows), REPS, quotas, plan=p, period=period)
    assert run.lines["amount_cents"].dtype == np.int64
    per_rep = run.lines.groupby("rep_id")["amount_cents"].sum()
    by_rep = run.by_rep.set_index("rep_id")
    assert (by_rep["total_cents"] == per_rep.reindex(by_rep.index, fill_value=0)).all()
    parts = by_rep[["commission_cents", "clawback_cents", "bonus_cents", "awards_cents", "draw_cents"]].sum(axis=1)
    assert (parts == by_rep["total_cents"]).all()
    assert int(run.summary().loc[0, "total_cents"]) == int(run.lines["amount_cents"].sum())
    # each line with a rate is its base times its rate, rounded half away from zero
    rated = run.lines.dropna(subset=["rate"])
    exact = [Decimal(int(b)) * Decimal(str(r)) for b, r in zip(rated["base_cents"], rated["rate"], strict=True)]
    rounded = [int(e.to_integral_value(rounding="ROUND_HALF_UP")) if e >= 0
               else -int((-e).to_integral_value(rounding="ROUND_HALF_UP")) for e in exact]
    assert rated["amount_cents"].tolist() == rounded


@st.composite
def _tier_plans(draw):
    n = draw(st.integers(1, 4))
    lows = sorted(draw(st.sets(st.integers(1, 5_000_000), min_size=n - 1, max_size=n - 1)))
    rates = sorted(draw(st.lists(st.integers(0, 300_000), min_size=n, max_size=n)))  # ppm, rising
    mode = draw(st.sampled_from(["marginal", "whole"]))
    if mode == "marginal":
        rates = draw(st.permutations(rates))  # marginal needs no rising rates to be monotone
    bounds = [0, *lows]
    tiers = [{"from": lo, "rate": f"{r / 10_000}%"} for lo, r in zip(bounds, rates, strict=True)]
    cap = draw(st.sampled_from([None, 100_000, 250_000.5]))
    return plan(mode=mode, tiers=tiers, component={"cap": cap})


@settings(max_examples=60, deadline=None)
@given(p=_tier_plans(), sales=st.lists(st.integers(0, 800_000_000), min_size=2, max_size=30))
def test_commission_never_falls_when_sales_rise(p, sales):
    table = inc.commission_table(sorted(s / 100 for s in sales), plan=p)
    assert table["commission_cents"].is_monotonic_increasing
    assert (table["commission_cents"] >= 0).all()


# --------------------------------------------------------------------------- scorecards


ORD = orders([
    ("R1", "C1", "2025-01-05", 100), ("R1", "C2", "2025-01-06", 100), ("R1", "C1", "2025-02-03", 300),
    ("R2", "C3", "2025-01-07", 100), ("R2", "C3", "2025-02-07", 100), ("R2", "C4", "2025-02-08", 100),
    ("R2", "C5", "2025-02-09", 100),
])
QUOTAS = pd.DataFrame({"rep_id": ["R1", "R1", "R2", "R2"], "month": pd.to_datetime(["2025-01-01", "2025-02-01"] * 2),
                       "quota": [200.0, 200.0, 100.0, 400.0]})
ACTS = pd.DataFrame({"rep_id": ["R1", "R2"], "week": pd.to_datetime(["2025-02-03", "2025-02-10"]),
                     "visits": [3, 9], "calls": 0, "demos": 0})


def test_optional_kpis_needs_match_and_satisfaction():
    orders = pd.DataFrame({"customer_id": ["C1", "C2", "C3"], "rep_id": ["R1", "R2", "R3"],
                           "order_date": pd.to_datetime(["2025-03-05"] * 3), "amount": [100.0, 100.0, 100.0]})
    reps = pd.DataFrame({"rep_id": ["R1", "R2", "R3"], "name": ["A", "B", "C"], "team": ["T"] * 3})
    # weeks of 3 and 10 March (both in March): R1 needs 3 of 4 + 3 of 4 = 6 of 8 = 0.75, satisfied 9 of 10;
    # R2 2 of 8 = 0.25, satisfied 5 of 10; R3 tracks nothing (empty cells): both KPIs empty
    acts = pd.DataFrame({"rep_id": ["R1", "R1", "R2", "R2", "R3"], "visits": [1, 1, 1, 1, 1],
                         "week": pd.to_datetime(["2025-03-03", "2025-03-10", "2025-03-03", "2025-03-10",
                                                 "2025-03-03"]),
                         "needs_assessed": pd.array([4, 4, 4, 4, None], dtype="Int64"),
                         "needs_matched": pd.array([3, 3, 1, 1, None], dtype="Int64"),
                         "surveys": pd.array([5, 5, 5, 5, None], dtype="Int64"),
                         "satisfied": pd.array([4, 5, 2, 3, None], dtype="Int64")})
    k = inc.monthly_kpis(orders, activities=acts, period="2025-03").set_index("rep_id")
    assert k.loc["R1", ["needs_match", "satisfaction"]].tolist() == [0.75, 0.9]
    assert k.loc["R2", ["needs_match", "satisfaction"]].tolist() == [0.25, 0.5]
    assert k.loc["R3", ["needs_match", "satisfaction"]].isna().all()
    # without the optional columns: the KPIs are empty, the columns are there
    plain = inc.monthly_kpis(orders, activities=acts[["rep_id", "week", "visits"]], period="2025-03")
    assert list(plain.columns) == inc.KPI_COLUMNS and plain[["needs_match", "satisfaction"]].isna().all().all()
    # the balanced preset weighs them: satisfaction only -> R1 100, R2 0, R3 unscored (no base)
    only = inc.ScorecardPreset("s", {}, {"satisfaction": 1.0})
    card = inc.scorecard(orders, reps, activities=acts, period="2025-03", preset=only).set_index("rep_id")
    assert card.loc["R1", "score"] == 100.0 and card.loc["R2", "score"] == 0.0 and pd.isna(card.loc["R3", "score"])
    balanced = inc.load_presets()["balanced"]
    assert balanced.weights == {"attainment": 0.4, "satisfaction": 0.2, "needs_match": 0.15, "new_customers": 0.15,
                                "retention": 0.1}
    # no quota, no prior customers: attainment and retention drop out; new customers tie (1 each: 50);
    # R1: (0.2 x 100 + 0.15 x 100 + 0.15 x 50) / 0.5 = 85.0; R2: (0 + 0 + 7.5) / 0.5 = 15.0; R3: 50.0
    card = inc.scorecard(orders, reps, activities=acts, period="2025-03", preset="balanced").set_index("rep_id")
    assert card["score"].to_dict() == {"R1": 85.0, "R3": 50.0, "R2": 15.0}


def test_monthly_kpis_retention_as_the_domain_defines_it():
    k = inc.monthly_kpis(ORD, QUOTAS, ACTS, period="2025-02").set_index("rep_id")
    # R1 served C1, C2 in January; only C1 ordered again in February -> 1/2
    assert (k.loc["R1", "prior_customers"], k.loc["R1", "retained_customers"], k.loc["R1", "retention"]) == (2, 1, 0.5)
    assert (k.loc["R2", "retention"], k.loc["R2", "new_customers"], k.loc["R2", "visits"]) == (1.0, 2, 9)
    assert k.loc["R1", "attainment"] == pytest.approx(300 / 200)
    assert list(inc.monthly_kpis(ORD, period="2025-02").columns) == inc.KPI_COLUMNS


def test_scorecard_weights_ranking_and_flags():
    reps = REPS.assign(hire_date=pd.Timestamp("2020-01-01"))
    card = inc.scorecard(ORD, reps, QUOTAS, ACTS, period="2025-02", preset="wolf")
    assert list(card.columns) == inc.SCORECARD_COLUMNS
    # R1 beats R2 on attainment (150% vs 75%: weight 0.5), R2 wins new customers (0.25), retention (0.15)
    # and visits (0.1): R1 = 50, R2 = 50 -> tie, both rank 1; with two reps the bottom 10% is one rep
    assert card.set_index("rep_id")["score"].to_dict() == {"R1": 50.0, "R2": 50.0}
    assert card["rank"].tolist() == [1, 1]
    learning = inc.scorecard(ORD, reps, QUOTAS, ACTS, period="2025-02", preset="learning").set_index("rep_id")
    # attainment change vs January: R1 150% - 100% = +50 points, R2 75% - 100% = -25 points
    assert learning.loc["R1", "attainment_change"] == pytest.approx(0.5)
    assert learning.loc["R1", "flag"] == "improvement_award" and learning.loc["R2", "flag"] == ""
    custom = inc.ScorecardPreset("v", {}, {"visits": 1.0}, bottom_share=0.5)
    c = inc.scorecard(ORD, reps, QUOTAS, ACTS, period="2025-02", preset=custom)
    assert c[["rep_id", "score", "rank", "flag"]].values.tolist() == [["R2", 100.0, 1, ""], ["R1", 0.0, 2, "bottom"]]


def test_scorecard_presets_are_validated():
    assert set(inc.load_presets()) == {"wolf", "learning", "balanced"}
    with pytest.raises(ParameterError, match="parameter preset='tiger'"):
        inc.scorecard(ORD, REPS, period="2025-02", preset="tiger")
    with pytest.raises(InputError, match=r"scorecard preset 'x': unknown KPI 'smiles'"):
        inc.scorecards._parse_preset("x", {"weights": {"smiles": 1}})


# --------------------------------------------------------------------------- HR statement


def test_statement_frames_and_excel(tmp_path):
    o = orders([("R1", "C1", "2024-01-10", 1_200_000), ("R1", "C1", "2024-03-02", -300_000)])
    quotas = pd.DataFrame({"rep_id": ["R1"], "month": pd.to_datetime(["2024-01-01"]), "quota": [1_000_000.0]})
    run = inc.run_plan(o, REPS, quotas, plan="domain_marginal", period="2024")
    st_ = inc.payout_statement(run, rep_id="R1")
    assert st_["by_rule"]["amount_cents"].sum() == st_["summary"].loc[0, "total_cents"] == st_["lines"][
        "amount_cents"].sum()
    # commission 100k, clawback -28k, January bonus 5% of 10,000 = 500
    assert st_["by_rule"].set_index("rule")["amount_cents"].to_dict() == {
        "commission": 100_000_00, "clawback": -28_000_00, "bonus": 500_00}
    path = present_incentives.write_statement(st_, tmp_path / "R1_2024.xlsx", lang="zh")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["汇总", "按规则汇总", "明细"]
    header = [c.value for c in wb["汇总"][1]]
    assert "应发合计" in header and wb["汇总"].cell(2, header.index("应发合计") + 1).value == 72_500.0
    with pytest.raises(ParameterError, match="parameter rep_id='R9'"):
        inc.payout_statement(run, rep_id="R9")
    assert len(present_incentives.write_statements(run, tmp_path / "all")) == 2


def test_input_frames_are_not_mutated():
    o = orders([("R1", "C1", "2024-01-10", 1_200_000), ("R1", "C1", "2024-03-02", -300_000)])
    before_o, before_r = o.copy(), REPS.copy()
    inc.run_plan(o, REPS, plan="domain_marginal", period="2024")
    inc.scorecard(o, REPS, period="2024")
    pd.testing.assert_frame_equal(o, before_o)
    pd.testing.assert_frame_equal(REPS, before_r)


def test_columns_mapping_for_other_headers():
    o = orders([("R1", "C1", "2024-03-01", 2_500_000)]).rename(columns={"amount": "成交金额"})
    run = inc.run_plan(o, REPS, plan=inc.modify_plan("domain_marginal", {"bonus": None}), period="2024",
                       columns={"amount": "成交金额"})
    assert run.by_rep.loc[run.by_rep["rep_id"] == "R1", "total_cents"].item() == 240_000_00


@pytest.mark.slow
def test_notebook_runs_with_other_parameters(tmp_path):
    from playbook.core import paths
    from playbook.pipeline.notebooks import execute_notebook

    nb = execute_notebook(paths.NOTEBOOKS_DIR / "05_incentives.ipynb",
                          {"lang": "zh", "plan": "quota_accelerator", "compare_plan": "renewal_uplift",
                           "period": "2025-Q1", "preset": "learning", "statement_dir": str(tmp_path)},
                          output=tmp_path / "out.ipynb")
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert errors == []
    assert len(list(tmp_path.glob("*.xlsx"))) >= 20
