"""Weekly review cockpit: each figure by hand on tiny frames, the form, the app in a browser."""

import pandas as pd
import pytest

from playbook.core import paths
from playbook.core.errors import MissingColumnsError, ParameterError
from playbook.core.labels import t
from playbook.targets import review as cockpit

REPS = pd.DataFrame({"rep_id": ["R1", "R2"], "name": ["A", "B"], "team": ["East", "North"]})


def test_period_attainment_by_hand():
    # R1 (East): quota 300/month Jul-Sep; as of 15 Sep: month expected 300*15/30 = 150,
    # quarter 300+300+150 = 750, ytd the same (no earlier quotas).
    quotas = pd.DataFrame({"rep_id": ["R1"] * 3 + ["R2"] * 3, "quota": [300.0] * 3 + [100.0] * 3,
                           "month": pd.to_datetime(["2025-07-01", "2025-08-01", "2025-09-01"] * 2)})
    orders = pd.DataFrame({"rep_id": ["R1", "R1", "R2"], "amount": [600.0, 75.0, 10.0],
                           "order_date": pd.to_datetime(["2025-07-10", "2025-09-02", "2025-09-20"])})
    out = cockpit.period_attainment(quotas, orders, REPS, as_of="2025-09-15").set_index(["group", "period"])
    assert out.loc[("East", "month"), "expected"] == pytest.approx(150.0)
    assert out.loc[("East", "month"), "actual"] == 75.0
    assert out.loc[("East", "quarter"), "expected"] == pytest.approx(750.0)
    assert out.loc[("East", "quarter"), "attainment"] == pytest.approx(675 / 750)
    assert out.loc[("North", "month"), "actual"] == 0.0  # the 20 Sep order is after as-of
    # still to sell: the whole period. East's year is 900 (Jul-Sep), 675 sold -> 225 to go over
    # 16 Sep - 31 Dec = 107 days: 225 x 7 / 107 = 14.719 -> 14.72 a week; the month: 300 - 75 = 225
    # over 15 days -> 105.00 a week
    assert out.loc[("East", "ytd"), ["target", "to_go", "needed_run_rate"]].tolist() == [900.0, 225.0, 14.72]
    assert out.loc[("East", "month"), ["target", "to_go", "needed_run_rate"]].tolist() == [300.0, 225.0, 105.0]
    assert list(out.reset_index().columns) == ["group", "period", "target", "expected", "actual", "attainment",
                                               "to_go", "needed_run_rate"]
    company = cockpit.period_attainment(quotas, orders, REPS, as_of="2025-09-15", level="company")
    assert company["group"].unique().tolist() == ["company"]
    with pytest.raises(ParameterError, match="level"):
        cockpit.period_attainment(quotas, orders, REPS, as_of="2025-09-15", level="rep")


def _opps():
    return pd.DataFrame({
        "rep_id": ["R1", "R1", "R2", "R2"], "outcome": ["won", "open", "lost", "open"],
        "created_date": pd.to_datetime(["2025-09-01", "2025-09-25", "2025-09-20", "2025-09-28"]),
        "intent_date": pd.to_datetime(["2025-09-05", "2025-09-26", "2025-09-22", None]),
        "negotiation_date": pd.to_datetime(["2025-09-10", None, None, None]),
        "closed_date": pd.to_datetime(["2025-09-26", None, "2025-09-29", None]),
    })


def test_funnel_week_counts_each_stage_entry():
    # this week: 24-30 Sep; last week: 17-23 Sep
    out = cockpit.funnel_week(_opps(), REPS, as_of="2025-09-30").set_index("stage")
    assert out.loc["lead"].tolist() == [2, 1, 1]
    assert out.loc["intent"].tolist() == [1, 1, 0]
    assert out.loc["won"].tolist() == [1, 0, 1]
    assert out.loc["lost"].tolist() == [1, 0, 1]
    east = cockpit.funnel_week(_opps(), REPS, as_of="2025-09-30", team="East").set_index("stage")
    assert east.loc["lead", "this_week"] == 1 and east.loc["lost", "this_week"] == 0
    with pytest.raises(ParameterError, match="team='West'"):
        cockpit.funnel_week(_opps(), REPS, as_of="2025-09-30", team="West")


def test_sleeping_key_accounts_threshold_and_quiet_days():
    orders = pd.DataFrame({"customer_id": ["A", "A", "B", "C", "D"], "rep_id": ["R1"] * 5,
                           "amount": [60_000.0, 40_000.0, 150_000.0, 99_999.0, 120_000.0],
                           "order_date": pd.to_datetime(["2025-01-10", "2025-06-01", "2025-07-05",
                                                         "2025-01-01", "2023-08-01"])})
    customers = pd.DataFrame({"customer_id": ["A", "B"], "name": ["甲公司", "乙公司"], "owner_rep_id": ["R1", "R2"]})
    out = cockpit.sleeping_key_accounts(orders, customers, as_of="2025-09-30")
    # A: 100k in 2 years, last order 1 Jun = 121 days; B only 87 days quiet; C below 100k;
    # D's order is older than the 730-day lookback.
    assert out["customer_id"].tolist() == ["A"]
    assert out.loc[0, "days_quiet"] == 121 and out.loc[0, "name"] == "甲公司"
    with pytest.raises(MissingColumnsError, match="amount"):
        cockpit.sleeping_key_accounts(orders.drop(columns="amount"), as_of="2025-09-30")


def test_reviews_due_this_month_and_overdue():
    items = pd.DataFrame({"plan_id": [1, 1, 2, 3], "rep_id": ["R1", "R1", "R2", "R3"],
                          "competency": ["negotiation", "market_awareness", "negotiation", "product_knowledge"],
                          "current_level": [3, 4, 2, 3], "target_level": [5, 5, 4, 4],
                          "level_reached": [None, None, None, 4],
                          "review_date": pd.to_datetime(["2025-09-01", "2025-07-01", "2025-10-01", "2025-09-01"])})
    out = cockpit.reviews_due(items, as_of="2025-09-15")
    assert out[["rep_id", "competency", "overdue"]].values.tolist() == [
        ["R1", "market_awareness", True], ["R1", "negotiation", False]]


def test_quality_week_needs_match_and_satisfaction_by_hand():
    # weeks starting 15 and 22 Sep; as of 28 Sep: this week = the week of 22 Sep, last week = 15 Sep.
    acts = pd.DataFrame({
        "rep_id": ["R1", "R2", "R1", "R2", "R1"], "visits": [1] * 5,
        "week": pd.to_datetime(["2025-09-15", "2025-09-15", "2025-09-22", "2025-09-22", "2025-09-08"]),
        "needs_assessed": pd.array([4, 6, 5, 5, 9], dtype="Int64"),
        "needs_matched": pd.array([2, 3, 4, 3, 9], dtype="Int64"),
        "surveys": pd.array([4, None, 2, 2, 1], dtype="Int64"),
        "satisfied": pd.array([3, None, 2, 1, 1], dtype="Int64"),
    })
    out = cockpit.quality_week(acts, REPS, as_of="2025-09-28").set_index("kpi")
    # needs match: this week (4 + 3) / (5 + 5) = 0.7, last week (2 + 3) / (4 + 6) = 0.5 -> +0.2
    assert out.loc["needs_match", ["this_base", "last_base"]].tolist() == [10, 10]
    assert out.loc["needs_match", ["this_week", "last_week", "change"]].tolist() == pytest.approx([0.7, 0.5, 0.2])
    # satisfaction: this week (2 + 1) / (2 + 2) = 0.75; last week R2 not surveyed: 3 / 4 = 0.75 -> 0
    assert out.loc["satisfaction", ["this_week", "last_week", "change", "this_base", "last_base"]].tolist() == [
        0.75, 0.75, 0.0, 4, 4]
    east = cockpit.quality_week(acts, REPS, as_of="2025-09-28", team="East").set_index("kpi")
    assert east.loc["needs_match", ["this_week", "last_week"]].tolist() == [0.8, 0.5]  # R1 alone: 4/5, 2/4
    # data without the optional columns: no rows (the app then shows no section)
    assert cockpit.quality_week(acts[["rep_id", "week", "visits"]], as_of="2025-09-28").empty
    only_needs = cockpit.quality_week(acts.drop(columns=["surveys", "satisfied"]), as_of="2025-09-28")
    assert only_needs["kpi"].tolist() == ["needs_match"]


def test_bad_as_of():
    with pytest.raises(ParameterError, match="as_of"):
        cockpit.funnel_week(_opps(), as_of="soon")


def test_form_in_python_shows_every_section():
    from playbook.apps.review import WeeklyReview

    form = WeeklyReview(paths.SAMPLE_DIR, lang="zh", store_url="sqlite://", user="hr.li", hr_users="hr.li")  # HR
    assert [v for _, v in form.team.options][1:] == ["华东一组", "华北一组", "华南一组"]
    form.team.value = "华北一组"
    assert form.show()
    html = "".join(str(o.get("data", {}).get("text/html", "")) for o in form.out.outputs)
    for key in ("review.attainment", "review.funnel_week", "review.quality", "review.stuck", "review.sleeping",
                "review.reviews_due"):
        assert t(key, "zh") in html
    assert "华东一组" not in html.split(t("review.stuck", "zh"))[0]  # only the chosen team's attainment


@pytest.mark.slow
def test_app_in_browser(tmp_path):
    from voila_harness import CHROMIUM, browser_page, screenshot, voila

    if CHROMIUM is None:
        pytest.skip("chromium not installed")
    from playbook.apps import identity

    env = identity.server_env(trusted_proxy=True, hr="hr.li", environ={})  # HR behind a proxy: every section
    with voila(paths.APPS_DIR / "weekly_review.ipynb", env=env) as url, browser_page() as page:
        page.set_extra_http_headers({identity.DEFAULT_USER_HEADER: "hr.li"})
        page.goto(f"{url}/?lang=zh", timeout=90000)
        page.get_by_role("button", name=t("app.show", "zh")).click(timeout=90000)
        page.get_by_text(t("review.sleeping", "zh")).wait_for(timeout=60000)
        page.get_by_text(t("review.period.ytd", "zh")).first.wait_for(timeout=60000)
        assert "Traceback" not in page.content()
        screenshot(page, "app_weekly_review_zh")
