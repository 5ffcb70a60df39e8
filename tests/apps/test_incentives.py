"""Commission calculator app: its what-if helpers, the form in Python, and the page in a real browser (Voila)."""

import html
import re
import time

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from voila_harness import page_as, served_behind_proxy

from playbook import incentives as inc
from playbook.apps import identity
from playbook.apps.incentives import CommissionCalculator
from playbook.core import paths
from playbook.core.errors import ParameterError

APP = paths.APPS_DIR / "commission_calculator.ipynb"


def _text(out) -> str:
    return "\n".join(o.get("data", {}).get("text/html", "") for o in out.outputs)


@pytest.fixture(scope="module")
def calculator():
    """One form for the module (loading the sample once), as HR sees it; tests set every control they rely on."""
    return CommissionCalculator("data/sample", lang="en", user="hr.li", hr_users="hr.li")


# --------------------------------------------------------------------------- what-if helpers (playbook.incentives)

class TestCommissionLines:
    def test_domain_example_marginal_and_whole(self):
        # domain.md section 4: 1,000k x 8% + 1,000k x 10% + 500k x 12% = 240k; whole: 2,500k x 12% = 300k
        marginal = inc.commission_lines(2_500_000, plan="domain_marginal")
        expected = pd.DataFrame({
            "rule": ["commission"] * 3, "component": ["all_sales"] * 3,
            "tier": pd.array([1, 2, 3], dtype="Int64"),
            "base_cents": pd.array([100_000_000, 100_000_000, 50_000_000], dtype="Int64"),
            "rate": [0.08, 0.10, 0.12], "amount_cents": np.array([8_000_000, 10_000_000, 6_000_000], dtype=np.int64),
        })
        pd.testing.assert_frame_equal(marginal, expected)
        whole = inc.commission_lines(2_500_000, plan="domain_whole")
        assert whole[["tier", "rate", "amount_cents"]].astype(object).values.tolist() == [[3, 0.12, 30_000_000]]

    def test_attainment_tiers_need_the_quota(self):
        with pytest.raises(ParameterError, match=r"parameter quota=None is not valid: expected the tier period's"):
            inc.commission_lines(100, plan="quota_accelerator")
        # quota 1,000k: 600k x 4% + 400k x 8% + 200k x 14% = 24k + 32k + 28k = 84k
        lines = inc.commission_lines(1_200_000, plan="quota_accelerator", quota=1_000_000)
        assert lines["amount_cents"].tolist() == [2_400_000, 3_200_000, 2_800_000]

    def test_cap_is_a_line_of_its_own(self):
        # quota 1,000k, 6,000k of sales: 24k + 32k + 5,000k x 14% = 756k, capped at 600k: cap line -156k
        lines = inc.commission_lines(6_000_000, plan="quota_accelerator", quota=1_000_000)
        assert lines["rule"].tolist()[-1] == "cap" and int(lines["amount_cents"].iloc[-1]) == -15_600_000
        assert int(lines["amount_cents"].sum()) == 60_000_000

    @pytest.mark.parametrize(("component", "message"), [(5, "expected a component of plan 'new_vs_renewal'"),
                                                        ("nope", "new_business, renewals, hardware")],
                             ids=["index", "name"])
    def test_unknown_component(self, component, message):
        with pytest.raises(ParameterError, match=message):
            inc.commission_lines(100, plan="new_vs_renewal", component=component)

    def test_bad_sales(self):
        with pytest.raises(ParameterError, match=r"parameter sales='lots' is not valid"):
            inc.commission_lines("lots", plan="domain_marginal")

    @settings(max_examples=60, deadline=None)
    @given(sales=st.integers(min_value=0, max_value=10**11), plan=st.sampled_from(["domain_marginal", "domain_whole"]))
    def test_lines_add_up_to_commission_for_sales(self, sales, plan):
        cny = sales / 100
        lines = inc.commission_lines(cny, plan=plan)
        assert int(lines["amount_cents"].sum()) == int(inc.commission_for_sales(cny, plan=plan) * 100)


class TestAddSale:
    ORDERS = pd.DataFrame({"order_id": ["O1"], "customer_id": ["C1"], "rep_id": ["R1"],
                           "order_date": pd.to_datetime(["2025-01-05"]), "amount": [100.0],
                           "product_line": ["硬件设备"], "is_refund": [False]})

    def test_one_new_order_and_the_input_unchanged(self):
        before = self.ORDERS.copy()
        out = inc.add_sale(self.ORDERS, rep_id="R1", amount=50, on="2025-03-31", product_line="软件订阅")
        pd.testing.assert_frame_equal(self.ORDERS, before)
        assert len(out) == 2 and out.dtypes.to_dict() == self.ORDERS.dtypes.to_dict()
        assert out.iloc[1].tolist() == ["WHAT-IF", "WHAT-IF", "R1", pd.Timestamp("2025-03-31"), 50.0, "软件订阅", False]

    @pytest.mark.parametrize(("kwargs", "message"), [
        ({"amount": 0}, r"parameter amount=0 is not valid: expected an amount in CNY above 0"),
        ({"amount": "x"}, r"parameter amount='x' is not valid"),
        ({"on": "someday"}, r"parameter on='someday' is not valid: expected a date"),
        ({"customer_id": "C1"}, r"parameter customer_id='C1' is not valid: expected a customer id that is not"),
    ], ids=["zero", "text", "date", "existing-customer"])
    def test_bad_parameters(self, kwargs, message):
        args = {"rep_id": "R1", "amount": 10, "on": "2025-03-31", **kwargs}
        with pytest.raises(ParameterError, match=message):
            inc.add_sale(self.ORDERS, **args)

    def test_the_extra_sale_is_paid_as_new_business(self):
        # the extra 50k goes to a customer of its own: new business at 10% = 5,000.00, not renewal at 5%
        plan = inc.parse_plan({"commission": [
            {"name": "new", "deal_types": ["new"], "tiers": [{"from": 0, "rate": "10%"}]},
            {"name": "renewals", "deal_types": ["renewal"], "tiers": [{"from": 0, "rate": "5%"}]}]}, name="nr")
        reps = pd.DataFrame({"rep_id": ["R1"], "name": ["Ann"], "team": ["A"]})
        now = inc.run_plan(self.ORDERS, reps, plan=plan, period="2025-Q1")
        after = inc.run_plan(inc.add_sale(self.ORDERS, rep_id="R1", amount=50_000, on="2025-03-31"), reps,
                             plan=plan, period="2025-Q1")
        assert int(after.by_rep["total_cents"].sum() - now.by_rep["total_cents"].sum()) == 500_000


class TestLineChanges:
    def test_hand_example(self):
        # 2,000k -> 2,500k marginal: tiers 1 and 2 unchanged, tier 3 appears with 500k x 12% = 60k
        out = inc.line_changes(inc.commission_lines(2_000_000, plan="domain_marginal"),
                               inc.commission_lines(2_500_000, plan="domain_marginal"))
        assert list(out.columns) == inc.WHAT_IF_COLUMNS
        assert out["month"].isna().all()
        assert out[["tier", "now_cents", "after_cents", "change_cents"]].astype(int).values.tolist() == [
            [1, 8_000_000, 8_000_000, 0], [2, 10_000_000, 10_000_000, 0], [3, 0, 6_000_000, 6_000_000]]

    def test_a_line_that_disappears_keeps_its_base(self):
        now = pd.DataFrame({"month": pd.to_datetime(["2025-09-01"]), "rule": ["bonus"], "component": [""],
                            "tier": pd.array([2], dtype="Int64"), "rate": [0.02],
                            "base_cents": pd.array([1_000_000], dtype="Int64"), "amount_cents": [20_000]})
        after = now.assign(tier=pd.array([1], dtype="Int64"), rate=[0.05], amount_cents=[50_000])
        out = inc.line_changes(now, after)
        # band 2 (2%) goes, band 1 (5%) comes: -200.00 and +500.00
        assert out[["tier", "base_cents", "change_cents"]].astype(int).values.tolist() == [
            [1, 1_000_000, 50_000], [2, 1_000_000, -20_000]]

    @settings(max_examples=40, deadline=None)
    @given(so_far=st.integers(0, 5 * 10**8), extra=st.integers(0, 5 * 10**8),
           plan=st.sampled_from(["domain_marginal", "domain_whole"]))
    def test_changes_add_up_to_the_change_of_the_total(self, so_far, extra, plan):
        now = inc.commission_lines(so_far / 100, plan=plan)
        after = inc.commission_lines((so_far + extra) / 100, plan=plan)
        out = inc.line_changes(now, after)
        assert int(out["change_cents"].sum()) == int(after["amount_cents"].sum() - now["amount_cents"].sum())
        assert int(out["now_cents"].sum()) == int(now["amount_cents"].sum())


# --------------------------------------------------------------------------- the form in Python

def _typed(app, plan, so_far, extra):
    app.plan.value = plan
    app.source.value = "typed"
    app.sales_so_far.value, app.extra.value = so_far, extra
    return app.show()


@pytest.mark.parametrize(("plan", "now", "after", "change"), [("domain_marginal", 18_000_000, 24_000_000, "+60,000.00"),
                                                              ("domain_whole", 20_000_000, 30_000_000, "+100,000.00")],
                         ids=["marginal", "whole"])
def test_domain_check_typed(calculator, plan, now, after, change):
    # 2,000k so far: 80k + 100k = 180k (marginal) or 2,000k x 10% = 200k (whole: exactly 2,000k stays in the
    # 10% tier, the plan's at_boundary: lower_tier); 2,500k after: 240k (marginal) or 300k (whole)
    assert _typed(calculator, plan, "2,000,000", "500,000") is True
    assert (calculator.result["now_cents"], calculator.result["after_cents"]) == (now, after)
    text = _text(calculator.out)
    assert f"{after / 100:,.2f}" in text and change in text
    assert "If you close another 500,000.00 CNY (2,500,000.00 CNY in all)" in text


def test_typed_attainment_plan_shows_the_quota_field(calculator):
    calculator.plan.value = "quota_accelerator"
    calculator.source.value = "typed"
    assert calculator.quota.layout.display == "flex"
    calculator.sales_so_far.value, calculator.extra.value, calculator.quota.value = "0", "1,200,000", "1,000,000"
    assert calculator.show() is True
    assert calculator.result["after_cents"] == 8_400_000  # 24k + 32k + 28k (see TestCommissionLines)
    calculator.plan.value = "domain_marginal"
    assert calculator.quota.layout.display == "none"


def test_rep_from_the_data(calculator, sample_dataset):
    ds = sample_dataset
    calculator.plan.value = "domain_marginal"
    calculator.source.value = "rep"
    calculator.rep.value = "R002"
    calculator.period.value = "2025-Q3"
    calculator.extra.value = "300,000"
    assert calculator.show() is True
    sales_2025 = ds.orders.loc[(ds.orders["rep_id"] == "R002") & (ds.orders["order_date"].dt.year == 2025), "amount"]
    assert sales_2025.sum() > 2_000_000  # so the extra sale is all in the 12% tier: 300k x 12% = 36k
    changes = calculator.result["changes"]
    commission = changes.loc[changes["rule"] == "commission", "change_cents"].sum()
    assert int(commission) == 3_600_000
    assert calculator.result["change_cents"] == int(changes["change_cents"].sum())
    text = _text(calculator.out)
    assert "R002 · 朱红艳, 2025-Q3 (data up to 2025-09-30)" in text and "If you close another 300,000.00 CNY" in text
    # only the rep's own figures: no other rep's id on the page
    assert not re.search(r"R0(0[13-9]|1\d|2\d)", text)


def test_reps_who_left_before_the_year_are_not_offered(calculator):
    ids = [value for _, value in calculator.rep.options]
    assert "R021" not in ids and "R002" in ids and len(ids) == 24


@pytest.mark.parametrize(("field", "value", "message"), [
    ("extra", "-100", "If I close another (CNY): -100 is below zero. Type 0 or more."),
    ("extra", "abc", "If I close another (CNY): “abc” is not a number."),
    ("sales_so_far", "lots", "Sales so far this year (CNY): “lots” is not a number."),
], ids=["negative", "text-extra", "text-sales"])
def test_bad_input_is_a_readable_message(calculator, field, value, message):
    _typed(calculator, "domain_marginal", "0", "100")
    getattr(calculator, field).value = value
    assert calculator.show() is False
    text = _text(calculator.out)
    assert 'role="alert"' in text and message in text and "Traceback" not in text
    assert calculator.result == {}


def test_chinese_labels():
    app = CommissionCalculator("data/sample", lang="zh")
    assert app.button.description == "计算" and app.plan.label.startswith("阶梯提成 8/10/12%（分段累进）")
    assert _typed(app, "domain_marginal", "0", "2500000") is True
    assert "240,000.00" in _text(app.out) and "收入测算" in _text(app.out)


def test_missing_data_folder_still_allows_typed_sales(tmp_path):
    app = CommissionCalculator(tmp_path / "nothing", lang="en")
    assert app.source.value == "typed" and 'role="alert"' in _text(app.out)
    assert _typed(app, "domain_whole", "0", "2,500,000") is True and app.result["after_cents"] == 30_000_000


# --------------------------------------------------------------------------- who sees whose statement

# data/sample/reps.csv: R001 manages R002-R007, R022, R023 (team 华东一组); R008 manages R009-R014, R024
EAST = ["R001", "R002", "R003", "R004", "R005", "R006", "R007", "R022", "R023"]
NAMES = {"R001": "那振宇", "R003": "杨博新", "R008": "曾颖琳", "R009": "赵悦静"}


def test_a_rep_is_offered_only_themselves_and_a_forged_rep_is_refused():
    app = CommissionCalculator("data/sample", lang="en", user="R002", hr_users=())
    assert [v for _, v in app.rep.options] == ["R002"] and app.source.value == "rep"
    assert "Logged in as R002: your own figures are shown, nobody else's." in html.unescape(app.access.value)
    app.rep.options = [*app.rep.options, ("R003", "R003")]  # a value forced past the picker
    app.rep.value, app.extra.value = "R003", "100,000"
    assert app.show() is False and app.result == {}
    text = _text(app.out)
    assert "You (R002) may not see the figures of R003" in text and 'role="alert"' in text
    assert NAMES["R003"] not in text and "CNY" not in text


def test_a_supervisor_sees_their_team_down_the_chain_only():
    app = CommissionCalculator("data/sample", lang="en", user="r001", hr_users=())  # logins ignore case
    assert [v for _, v in app.rep.options] == EAST
    app.rep.value, app.extra.value = "R003", "100,000"
    assert app.show() is True and "R003 · 杨博新" in _text(app.out)
    app.rep.options = [*app.rep.options, ("R009", "R009")]
    app.rep.value = "R009"
    assert app.show() is False and "You (r001) may not see the figures of R009" in _text(app.out)


def test_anonymous_gets_typed_sales_only_with_a_message_in_chinese():
    app = CommissionCalculator("data/sample", lang="zh", user="")
    assert app.rep.options == () and app.source.value == "typed" and app.source.layout.display == "none"
    assert "当前无人登录" in app.access.value and "您仍可在下方输入销售额试算提成方案" in app.access.value
    app.source.value = "rep"  # forced
    assert app.show() is False and "当前无人登录，因此不显示任何销售代表的数据" in _text(app.out)
    assert _typed(app, "domain_marginal", "0", "2500000") is True and "240,000.00" in _text(app.out)


def test_a_login_unknown_to_the_data_sees_nobody():
    app = CommissionCalculator("data/sample", lang="en", user="guest", hr_users=())
    assert app.rep.options == () and "this login is no rep in the data" in app.access.value


@pytest.mark.parametrize(("user", "lang", "told", "not_told"), [
    ("", "en", "log in to see them with your own figures", "From the data"),
    ("", "zh", "请登录后按您本人的数据查看", "从数据读取"),
    ("guest", "en", "this login sees no rep there: ask HR to add you to the data", "From the data"),
    ("guest", "zh", "当前登录在数据中看不到任何销售代表：请联系人力资源把您加入数据", "从数据读取"),
    ("R002", "en", "choose “From the data” for them", "log in"),
])
def test_the_typed_footnote_offers_only_what_the_user_can_choose(user, lang, told, not_told):
    app = CommissionCalculator("data/sample", lang=lang, user=user, hr_users=())
    assert _typed(app, "domain_marginal", "0", "2500000") is True
    text = html.unescape(_text(app.out))
    assert told in text and not_told not in text


# --------------------------------------------------------------------------- in the browser

HEADER = identity.DEFAULT_USER_HEADER
NORTH = ["R008", "R009", "R010", "R011", "R012", "R013", "R014", "R024"]


server = served_behind_proxy(APP, hr="hr.li")  # who is logged in: the proxy's header



def _rep_ids(select):
    return [o.get_attribute("value") or o.text_content() for o in select.locator("option").all()]


class TestInBrowser:
    """One Voila server for the app; each test opens its own page (own kernel)."""

    pytestmark = [pytest.mark.slow, pytest.mark.xdist_group(name="voila_commission_calculator")]

    def test_rep_what_if_domain_check_and_bad_input(self, server, browser, screenshot):
        started = time.monotonic()
        page = page_as(browser, "R002")                      # 朱红艳, a rep: her own statement only
        page.goto(f"{server}/?lang=en", timeout=90000)
        rep = page.get_by_label("Rep ID")
        rep.locator("option", has_text="R002").wait_for(state="attached", timeout=90000)
        assert [o.text_content().replace("\xa0", " ") for o in rep.locator("option").all()] == ["R002 · 朱红艳"]
        assert "Logged in as R002: your own figures are shown" in page.locator(".pb-access").inner_text()
        rep.select_option(label=rep.locator("option", has_text="R002").text_content())
        page.get_by_role("button", name="This quarter (2025-Q3)").click()
        page.get_by_label("If I close another (CNY)").fill("300,000")
        page.get_by_role("button", name="Calculate").click()
        page.get_by_text("If you close another 300,000.00 CNY:").wait_for(timeout=60000)
        # the outputs show one after another: wait for the line items (the last), then read the page
        page.locator("td", has_text="36,000.00").first.wait_for(timeout=60000)  # 300k x 12%, commission line
        assert page.get_by_role("heading", name="Line items: now and after the sale").count() == 1
        assert "Traceback" not in page.content() and "import" not in page.inner_text("body")
        body = page.inner_text("body")
        assert not re.search(r"R0(0[13-9]|1\d|2\d)", body), "another rep's id on R002's page"
        assert not any(name in body for name in NAMES.values())
        screenshot(page, "rep")

        # the domain check, typed: 2,500,000 CNY -> 240,000 (marginal) and 300,000 (whole)
        page.get_by_role("button", name="Typed by me").click()
        page.get_by_label("Sales so far this year (CNY)").fill("2,000,000")
        page.get_by_label("If I close another (CNY)").fill("500,000")
        page.get_by_role("button", name="Calculate").click()
        headline = "If you close another 500,000.00 CNY (2,500,000.00 CNY in all): {} CNY (+{} CNY)."
        page.get_by_text(headline.format("240,000.00", "60,000.00")).wait_for(timeout=30000)
        screenshot(page, "marginal")
        page.get_by_label("Plan").select_option(label="Tiered 8/10/12% (whole amount) + monthly bonus")
        page.get_by_role("button", name="Calculate").click()
        # whole amount: exactly 2,000,000 so far stays at 10% (at_boundary: lower_tier) = 200,000 -> +100,000
        page.get_by_text(headline.format("300,000.00", "100,000.00")).wait_for(timeout=30000)
        page.locator("td", has_text="300,000.00").first.wait_for(timeout=30000)  # the one line: 2,500k x 12%
        screenshot(page, "whole")

        # negative and non-numeric input: a readable message, no traceback
        page.get_by_label("If I close another (CNY)").fill("-100")
        page.get_by_role("button", name="Calculate").click()
        alert = page.get_by_role("alert")
        alert.wait_for(timeout=30000)
        assert "If I close another (CNY): -100 is below zero. Type 0 or more." in alert.inner_text()
        screenshot(page, "negative")
        page.get_by_label("If I close another (CNY)").fill("a lot")
        page.get_by_role("button", name="Calculate").click()
        page.get_by_text("“a lot” is not a number").wait_for(timeout=30000)
        assert "Traceback" not in page.content()
        print(f"browser rep + domain check + bad input: {time.monotonic() - started:.1f} s")

    def test_chinese_without_login_only_typed_sales(self, server, browser, screenshot):
        started = time.monotonic()
        page = page_as(browser, "")                           # the proxy named nobody
        page.goto(f"{server}/?lang=zh", timeout=90000)
        page.get_by_text("当前无人登录，因此不显示任何销售代表的数据").wait_for(timeout=90000)
        assert page.get_by_role("button", name="手动输入").count() == 0 or not page.get_by_role(
            "button", name="手动输入").is_visible()     # only typed sales: no choice to make
        assert _rep_ids(page.get_by_label("工号")) == []
        for label in ("提成方案", "目前销售额", "本年至今销售额（元）", "如果再成交（元）"):
            assert page.get_by_text(label, exact=True).count() >= 1, label
        page.get_by_label("本年至今销售额（元）").fill("0")
        page.get_by_label("如果再成交（元）").fill("250万")
        page.get_by_role("button", name="计算").click()
        headline = "如果再成交 2,500,000.00 元（合计 2,500,000.00 元）：240,000.00 元"
        page.get_by_text(headline).wait_for(timeout=60000)
        page.get_by_role("heading", name="明细：目前与成交后对比").wait_for(timeout=60000)  # shown after the headline
        assert page.get_by_role("heading", name="明细：目前与成交后对比").count() == 1
        screenshot(page)
        print(f"browser zh: {time.monotonic() - started:.1f} s")

    def test_supervisor_sees_their_team_and_a_forged_choice_shows_nobody_else(self, server, browser, screenshot):
        page = page_as(browser, "R008")                      # 曾颖琳 manages 华北一组
        page.goto(f"{server}/?lang=en", timeout=90000)
        rep = page.get_by_label("Rep ID")
        rep.locator("option", has_text="R024").wait_for(state="attached", timeout=90000)
        labels = [o.text_content().replace("\xa0", " ") for o in rep.locator("option").all()]
        assert [x.split(" · ")[0] for x in labels] == NORTH
        rep.select_option(label=rep.locator("option", has_text="R009").text_content())
        page.get_by_role("button", name="Calculate").click()
        page.locator(".jp-OutputArea-output p", has_text="R009 · 赵悦静").first.wait_for(timeout=60000)
        # forge the picker in the page: an option the kernel never offered (R003, another team)
        rep.evaluate("s => { const o = document.createElement('option'); o.text = 'R003 · 杨博新';"
                     " o.value = String(s.options.length); s.add(o); s.value = o.value;"
                     " s.dispatchEvent(new Event('change', {bubbles: true})); }")
        page.get_by_label("If I close another (CNY)").fill("123,456")
        page.get_by_role("button", name="Calculate").click()  # answered after the forged change (in order)
        page.get_by_text("If you close another 123,456.00 CNY").first.wait_for(timeout=60000)
        headline = page.locator(".jp-OutputArea-output p", has_text="If you close another 123,456.00 CNY")
        assert "R009 · 赵悦静" in headline.inner_text()  # the forged choice was not taken
        out = page.locator(".jp-OutputArea-output .jp-OutputArea-output").all_inner_texts()  # the results
        assert out and not any("R003" in x or NAMES["R003"] in x for x in out), out
        assert "Traceback" not in page.content()
        screenshot(page)
