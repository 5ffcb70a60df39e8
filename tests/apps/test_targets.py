"""Target planner app: the form bound to playbook.targets, in Python and in a real browser (Voila)."""

import io as stdio
import re
import time

import pandas as pd
import pytest
from voila_harness import page_as, served_behind_proxy

from playbook.apps.targets import TargetPlanner, parse_amount, parse_percent
from playbook.core import paths
from playbook.core.errors import InputError
from playbook.core.labels import t

APP = paths.APPS_DIR / "target_planner.ipynb"

# The sample has 24 reps on the team in 2025 (R021 left in 2024). An absolute target of
# 12,000,000 CNY split equally gives 500,000.00 each. Fixing R001 at 1,000,000 leaves
# 1,100,000,000 cents for 23 reps: 47,826,086 cents each (23 x that = 1,099,999,978) and 22 cents
# left over, one each by largest remainder: 22 reps get 478,260.87 and one 478,260.86.
TARGET = 12_000_000
N_REPS = 24


def _text(widget_out) -> str:
    """All text/html and text/markdown of an Output widget's content."""
    parts = []
    for o in widget_out.outputs:
        data = o.get("data", {})
        parts.append(data.get("text/html", "") + data.get("text/markdown", "") + data.get("text/plain", ""))
    return "\n".join(parts)


@pytest.fixture
def planner(sample_dataset):
    app = TargetPlanner("data/sample", lang="en", plan_year=2025, dataset=sample_dataset, user="hr.li",
                        hr_users="hr.li")
    app.kind.value = "amount"
    app.amount.value = "12,000,000"
    app.time_method.value = "equal"
    app.rep_method.value = "equal"
    return app


# --------------------------------------------------------------------------- form input

@pytest.mark.parametrize(("text", "expected"), [("2500000", 2_500_000.0), ("2,500,000", 2_500_000.0),
                                                ("¥2 500 000.005", 2_500_000.01), ("250万", 2_500_000.0),
                                                ("1.5万元", 15_000.0), ("300 CNY", 300.0), ("0", 0.0)],
                         ids=["plain", "commas", "yen-spaces", "wan", "wan-yuan", "cny", "zero"])
def test_parse_amount_accepts_what_people_type(text, expected):
    assert parse_amount(text, field="Target") == expected


@pytest.mark.parametrize(("text", "message"), [
    ("", "Target: please type an amount."),
    ("abc", "Target: “abc” is not a number. Type an amount in CNY such as 2500000, 2,500,000 or 250万."),
    ("-100", "Target: -100 is below zero. Type 0 or more."),
    ("nan", "Target: “nan” is not a number"),
], ids=["empty", "text", "negative", "nan"])
def test_parse_amount_says_what_is_wrong(text, message):
    with pytest.raises(InputError, match=re.escape(message)):
        parse_amount(text, field="Target")


def test_parse_percent():
    assert parse_percent("30", field="Growth") == pytest.approx(0.30)
    assert parse_percent("-5 %", field="Growth") == pytest.approx(-0.05)
    with pytest.raises(InputError, match="增长率：“三十”不是百分比"):
        parse_percent("三十", field="增长率", lang="zh")


# --------------------------------------------------------------------------- the form in Python

def test_plan_shows_quarters_months_and_equal_quotas(planner):
    assert planner.show() is True
    text = _text(planner.out)
    # 12,000,000 / 4 quarters = 3,000,000.00; / 12 months = 1,000,000.00; / 24 reps = 500,000.00
    assert "3,000,000.00" in text and "1,000,000.00" in text and "500,000.00" in text
    assert "Quarters" in text and "Rep × month quotas" in text
    assert planner.plan.reps["quota"].tolist() == [500_000.0] * N_REPS
    assert planner.override_box.layout.display == "flex"
    assert len(planner.override_rep.options) == N_REPS and planner.override_rep.value == "R001"
    assert 'download="quotas_2025.xlsx"' in planner.download.value


def test_override_is_kept_and_the_others_rebalance(planner):
    planner.show()
    planner.override_rep.value = "R001"
    planner.override_amount.value = "1,000,000"
    assert planner.apply_override() is True
    quotas = planner.plan.reps.set_index("rep_id")["quota"]
    assert quotas["R001"] == 1_000_000.0
    # 11,000,000.00 over 23 reps: 478,260.869...; largest remainder: 22 reps .87, 1 rep .86
    others = quotas.drop("R001").round(2).value_counts().to_dict()
    assert others == {478_260.87: 22, 478_260.86: 1}
    assert round(float(quotas.sum()), 2) == TARGET  # the total is still exact
    assert planner.overrides == {"R001": 1_000_000.0}
    assert "Set by hand: R001 = 1,000,000.00" in planner.override_status.value
    assert "12,000,000.00 CNY, the company target" in planner.override_status.value
    assert "Manager overrides kept exactly: R001 = 1,000,000.00" in _text(planner.out)


def test_override_that_cannot_fit_is_refused_and_the_plan_kept(planner):
    planner.show()
    before = planner.plan
    planner.override_rep.value = "R002"
    planner.override_amount.value = "20,000,000"
    assert planner.apply_override() is False
    status = planner.override_status.value
    assert 'role="alert"' in status
    assert "The quota R002 = 20,000,000 CNY cannot be applied; the plan is unchanged." in status
    assert "at most the company target 12,000,000.00 CNY" in status
    assert planner.overrides == {} and planner.plan is before
    planner.override_amount.value = "-3"
    assert planner.apply_override() is False
    assert "Annual quota (CNY): -3 is below zero." in planner.override_status.value


def test_clear_overrides_goes_back_to_the_plain_split(planner):
    planner.show()
    planner.override_rep.value = "R001"
    planner.override_amount.value = "1000000"
    planner.apply_override()
    assert planner.clear_overrides() is True
    assert planner.overrides == {} and planner.plan.reps["quota"].tolist() == [500_000.0] * N_REPS
    assert "No quota is set by hand." in planner.override_status.value


def test_growth_target_on_the_base_year(planner, sample_dataset):
    from playbook import targets

    planner.kind.value = "growth"
    planner.growth.value = "30"
    assert planner.base_year.value == 2024
    assert planner.show() is True
    base = targets.base_year_sales(sample_dataset.orders, year=2024)
    # target = round(base in cents x 1.3) cents, as company_target defines it
    assert planner.plan.target.amount == round(round(base * 100) * 1.3) / 100
    assert "× (1 + 30%)" in _text(planner.out)


def test_bad_target_shows_a_readable_problem_and_no_download(planner):
    planner.amount.value = "lots"
    assert planner.show() is False
    text = _text(planner.out)
    assert 'role="alert"' in text and "“lots” is not a number" in text and "Traceback" not in text
    assert planner.download.value == "" and planner.override_box.layout.display == "none"


def test_workbook_reads_back_with_the_override(planner):
    planner.show()
    planner.override_rep.value = "R001"
    planner.override_amount.value = "1000000"
    planner.apply_override()
    sheets = pd.read_excel(stdio.BytesIO(planner.workbook_bytes()), sheet_name=None)
    assert list(sheets) == ["Year", "Quarters", "Months", "Teams", "Reps", "Rep x month"]
    reps = sheets["Reps"]
    quota = reps.columns[reps.columns.str.startswith("Quota")][0]
    assert round(float(reps[quota].sum()), 2) == TARGET
    assert float(reps.loc[reps.iloc[:, 0] == "R001", quota].iloc[0]) == 1_000_000.0


def test_chinese_labels(sample_dataset):
    app = TargetPlanner("data/sample", lang="zh", plan_year=2025, dataset=sample_dataset, user="hr.li",
                        hr_users="hr.li")
    assert app.button.description == "分解" and app.kind.options[0][0] == "基准年增长"
    app.time_method.value = "equal"
    assert app.show() is True
    assert "季度目标" in _text(app.out)


# --------------------------------------------------------------------------- in the browser

# --------------------------------------------------------------------------- whose quotas

@pytest.mark.parametrize(("user", "reps", "teams"), [
    ("R004", ["R004"], []),                                    # a rep: their own quota, no team total
    ("R001", ["R001", "R002", "R003", "R004", "R005", "R006", "R007", "R022", "R023"], ["华东一组"]),
    ("", [], []),                                              # nobody logged in: the company and months only
], ids=["rep", "supervisor", "anonymous"])
def test_the_page_and_workbook_hold_only_the_reps_the_user_may_see(sample_dataset, user, reps, teams):
    app = TargetPlanner("data/sample", lang="en", plan_year=2025, dataset=sample_dataset, user=user, hr_users=())
    app.kind.value, app.amount.value = "amount", "12,000,000"
    app.time_method.value, app.rep_method.value = "equal", "equal"
    assert app.show() is True
    assert app.plan.reps["quota"].sum() == 12_000_000  # the plan itself is the company's, whole
    assert app.shown.reps["rep_id"].tolist() == reps and app.shown.teams["team"].tolist() == teams
    assert [v for _, v in app.override_rep.options] == reps
    text = "".join(o["data"].get("text/html", "") for o in app.out.outputs)
    others = set(sample_dataset.reps["rep_id"]) - set(reps)
    assert not any(r in text for r in others)
    book = pd.read_excel(stdio.BytesIO(app.workbook_bytes()), sheet_name=None)
    cells = " ".join(str(v) for frame in book.values() for v in frame.to_numpy().ravel())
    assert not any(r in cells for r in others)


def test_a_forged_override_is_refused(sample_dataset):
    app = TargetPlanner("data/sample", lang="zh", plan_year=2025, dataset=sample_dataset, user="R004", hr_users=())
    app.kind.value, app.amount.value = "amount", "12,000,000"
    assert app.show() is True
    app.override_rep.options = [("R002", "R002")]  # a value forced past the picker
    app.override_rep.value, app.override_amount.value = "R002", "1,000,000"
    assert app.apply_override() is False and app.overrides == {}
    assert "您（R004）不能查看 R002 的数据" in app.override_status.value


server = served_behind_proxy(APP, hr="hr.li")  # who is logged in: the proxy's header


@pytest.fixture
def page(browser):
    """A page of HR (every rep's quota), as the proxy sends it."""
    return page_as(browser, "hr.li")


def _pick_rep(page, rep_id):
    select = page.get_by_label("Rep", exact=True)
    select.select_option(label=select.locator("option", has_text=rep_id).text_content())


def _wait_plan(page, lang):
    page.get_by_text(t("targets.checks", lang)).wait_for(timeout=60000)


class TestInBrowser:
    """One Voila server for the app; each test opens its own page (own kernel)."""

    pytestmark = [pytest.mark.slow, pytest.mark.xdist_group(name="voila_target_planner")]

    def test_browser_plan_override_and_download(self, server, page, screenshot, tmp_path):
        started = time.monotonic()
        page.goto(f"{server}/?lang=en", timeout=90000)
        page.get_by_role("button", name="Amount").click(timeout=90000)
        page.get_by_label("Target (CNY)").fill("12,000,000")
        page.get_by_label("Months").select_option(label="Equal (1/12 each)")
        page.get_by_label("Reps", exact=True).select_option(label="Equal")
        page.get_by_role("button", name="Plan").click()
        _wait_plan(page, "en")
        assert page.get_by_text("24 reps, quotas adding up to 12,000,000.00 CNY.").count() == 1
        assert page.locator("td", has_text="500,000.00").count() >= N_REPS
        screenshot(page)

        # fix R001 at 1,000,000: the others go to 478,260.87 / .86, the total stays 12,000,000.00
        _pick_rep(page, "R001")
        page.get_by_label("Annual quota (CNY)").fill("1,000,000")
        page.get_by_role("button", name="Apply").click()
        page.get_by_text("Set by hand: R001 = 1,000,000.00").wait_for(timeout=30000)
        page.get_by_text("Manager overrides kept exactly").wait_for(timeout=30000)
        assert page.locator("td", has_text="478,260.87").count() >= 22
        assert page.get_by_text("24 reps, quotas adding up to 12,000,000.00 CNY.").count() == 1
        screenshot(page, "override")

        # an override that cannot fit: a readable problem in the form, the plan unchanged
        _pick_rep(page, "R002")
        page.get_by_label("Annual quota (CNY)").fill("20,000,000")
        page.get_by_role("button", name="Apply").click()
        alert = page.get_by_role("alert")
        alert.wait_for(timeout=30000)
        assert "R002 = 20,000,000 CNY cannot be applied" in alert.inner_text()
        assert "at most the company target 12,000,000.00 CNY" in alert.inner_text()
        assert "Traceback" not in page.content()
        screenshot(page, "override_error")

        # the quota sheet: downloaded, read back, R001's override and the exact total in it
        with page.expect_download(timeout=30000) as info:
            page.get_by_role("link", name=re.compile(r"Download the quota sheet")).click()
        download = info.value
        assert download.suggested_filename == "quotas_2025.xlsx"
        saved = tmp_path / download.suggested_filename
        download.save_as(saved)
        reps = pd.read_excel(saved, sheet_name="Reps")
        quota = reps.columns[reps.columns.str.startswith("Quota")][0]
        assert round(float(reps[quota].sum()), 2) == TARGET
        assert float(reps.loc[reps.iloc[:, 0] == "R001", quota].iloc[0]) == 1_000_000.0
        print(f"browser plan/override/download: {time.monotonic() - started:.1f} s")

    def test_browser_bad_target_and_chinese(self, server, page, screenshot):
        started = time.monotonic()
        page.goto(f"{server}/?lang=zh", timeout=90000)
        page.get_by_role("button", name="直接金额").click(timeout=90000)
        page.get_by_label("目标金额（元）").fill("很多")
        page.get_by_role("button", name="分解", exact=True).click()
        alert = page.get_by_role("alert")
        alert.wait_for(timeout=60000)
        assert "目标金额（元）：“很多”不是数字" in alert.inner_text()
        assert "请检查输入" in alert.inner_text() and "Traceback" not in page.content()
        screenshot(page, "bad_input")

        page.get_by_role("button", name="基准年增长").click()
        page.get_by_role("button", name="分解", exact=True).click()
        _wait_plan(page, "zh")
        for label in ("公司目标", "季度目标", "月度目标", "各销售代表年度指标", "手动调整个人指标"):
            assert page.get_by_text(label).count() >= 1, label
        link = page.get_by_role("link", name=re.compile("下载指标表"))
        link.first.wait_for(timeout=30000)  # the link is refreshed just after the plan shows
        assert link.count() == 1
        screenshot(page)
        print(f"browser bad input + zh: {time.monotonic() - started:.1f} s")
