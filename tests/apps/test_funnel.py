"""Funnel explorer app: the form bound in Python (fast), then served by Voila and driven in a browser."""

import datetime

import numpy as np
import pandas as pd
import pytest
from voila_harness import page_as, served_behind_proxy

from playbook.apps.funnel import MIN_N, FunnelExplorer
from playbook.core import paths
from playbook.core.labels import t
from playbook.data import loading
from playbook.present.html import escape

APP = paths.APPS_DIR / "funnel_explorer.ipynb"
# Four opportunities, two teams; the latest date in them is 2025-03-01 (the default as-of):
#   o1 East/R1  lead 01-02, intent 01-05, negotiation 01-09, won 01-20
#   o2 East/R1  lead 01-03, lost 01-10 (failed lead -> intent)
#   o3 West/R2  lead 02-01, intent 02-03, still open (sitting in intent -> negotiation)
#   o4 West/R2  lead 03-01, still open (sitting in lead -> intent)
OPPORTUNITIES = """
opportunity_id,customer_id,rep_id,channel,amount,created_date,intent_date,negotiation_date,closed_date,outcome
o1,C1,R1,referral,100,2025-01-02,2025-01-05,2025-01-09,2025-01-20,won
o2,,R1,referral,50,2025-01-03,,,2025-01-10,lost
o3,,R2,trade_show,80,2025-02-01,2025-02-03,,,open
o4,,R2,trade_show,30,2025-03-01,,,,open
"""
HR = "hr.li"  # on the HR list: sees every rep (who sees what: TestWhoSeesWhat)
STEP_NAMES = ["lead_to_intent", "intent_to_negotiation", "negotiation_to_deal", "deal_to_repurchase"]


@pytest.fixture
def data_dir(write_file):
    write_file("crm/reps.csv", "rep_id,name,team,hire_date\nR1,Li,East,2024-01-02\nR2,Wu,West,2024-01-02\n")
    write_file("crm/customers.csv", "customer_id\nC1\n")
    write_file("crm/orders.csv", "order_id,customer_id,rep_id,order_date,amount\nO1,C1,R1,2025-01-20,100\n")
    return write_file("crm/opportunities.csv", OPPORTUNITIES).parent


def _html(app: FunnelExplorer) -> list[str]:
    return [o["data"].get("text/html", "") for o in app.out.outputs]


def _steps(entered, passed, pending, rate) -> pd.DataFrame:
    """The four steps of the five-stage funnel (the last: deal -> repurchase)."""
    decided = [e - p for e, p in zip(entered, pending, strict=True)]
    return pd.DataFrame({"step": STEP_NAMES, "entered": entered, "passed": passed, "pending": pending,
                         "decided": decided, "rate": rate})


def test_teams_come_from_the_data(data_dir):
    app = FunnelExplorer(data_dir, user=HR, hr_users=HR, lang="en")
    assert app.team.options == (("All teams", ""), ("East", "East"), ("West", "West"))
    assert app.out.outputs == ()


def test_all_teams_funnel_leaks_and_stuck_deals(data_dir):
    app = FunnelExplorer(data_dir, user=HR, hr_users=HR, lang="en")
    assert app.show() is True
    # lead -> intent: 4 entered, o1 and o3 passed, o4 open there: decided 3, rate 2/3;
    # intent -> negotiation: o1 and o3 entered, o1 passed, o3 open: rate 1/1; negotiation -> deal: o1 won;
    # deal -> repurchase: C1 won on 01-20, its 180-day window runs past the as-of date: pending, nothing decided
    expected = _steps([4, 2, 1, 1], [2, 1, 1, 0], [1, 1, 0, 1], [2 / 3, 1.0, 1.0, np.nan])
    pd.testing.assert_frame_equal(app.frames["steps"], expected, check_dtype=False)
    # o3 has sat in intent since 02-03: 26 days to 03-01; the only completed intent stay (o1) took
    # 4 days, and a team with fewer than 10 completed stays is held to the company's p90 (4 days)
    stuck = app.frames["stuck"][["opportunity_id", "stage", "days_in_stage", "limit_days", "days_over"]]
    pd.testing.assert_frame_equal(stuck, pd.DataFrame({
        "opportunity_id": ["o3"], "stage": ["intent"], "days_in_stage": [26], "limit_days": [4.0],
        "days_over": [22.0]}), check_dtype=False)
    assert app.frames["leaks"].empty  # too few deals to judge anyone
    assert sorted(set(app.frames["teams"]["team"])) == ["East", "West"]  # all teams: teams against the company
    pages = _html(app)
    assert "As of 2025-03-01 · leads created the beginning to the as-of date · team: All teams" in pages[0]
    assert sum("image/png" in o["data"] for o in app.out.outputs) == 2  # funnel and heat map
    assert any(t("funnel.no_leaks", "en") in p for p in pages)
    assert any(">o3</td>" in p for p in pages)  # the stuck deal is listed
    no_authority = t("funnel.no_authority", "en").replace("'", "&#x27;")  # escaped in the page
    assert app.frames["authority"].empty and any(no_authority in p for p in pages)


def test_team_and_period_reach_the_functions(data_dir):
    app = FunnelExplorer(data_dir, user=HR, hr_users=HR, lang="en")
    app.team.value = "West"  # o3 passed to intent and sits there; o4 sits in lead
    assert app.show() is True
    expected = _steps([2, 1, 0, 0], [1, 0, 0, 0], [1, 1, 0, 0], [1.0, np.nan, np.nan, np.nan])
    pd.testing.assert_frame_equal(app.frames["steps"], expected, check_dtype=False)
    assert "teams" not in app.frames  # one team against the company is itself
    app.team.value = ""
    app.period_start.value = datetime.date(2025, 1, 3)  # o2, o3, o4
    app.period_end.value = datetime.date(2025, 2, 1)  # o2, o3
    assert app.show() is True
    assert app.frames["funnel"][["leads", "intents", "lost", "open"]].iloc[0].tolist() == [2, 1, 1, 1]
    app.as_of.value = datetime.date(2025, 1, 31)  # o3 is not created yet: o2 alone
    assert app.show() is True
    assert app.frames["funnel"][["leads", "lost", "open"]].iloc[0].tolist() == [1, 1, 0]


@pytest.mark.parametrize("lang, text", [
    ("en", "The period ends on 2025-01-31, before it starts on 2025-02-01."),
    ("zh", "期间结束日期 2025-01-31 早于开始日期 2025-02-01。"),
], ids=["en", "zh"])
def test_end_before_start_is_a_readable_message(data_dir, lang, text):
    app = FunnelExplorer(data_dir, user=HR, hr_users=HR, lang=lang)
    app.period_start.value = datetime.date(2025, 2, 1)
    app.period_end.value = datetime.date(2025, 1, 31)
    assert app.show() is False
    (page,) = _html(app)
    assert 'class="pb-error"' in page and text in page and "Traceback" not in page
    assert app.frames == {}


@pytest.mark.parametrize("lang, text", [
    ("en", "No opportunities were created from 2024-01-01 to 2024-12-31 (team: East; as of 2025-03-01)."),
    ("zh", "2024-01-01 至 2024-12-31 期间没有新建商机（团队：East；截至 2025-03-01）。"),
], ids=["en", "zh"])
def test_period_without_opportunities_is_a_readable_message(data_dir, lang, text):
    app = FunnelExplorer(data_dir, user=HR, hr_users=HR, lang=lang)
    app.team.value = "East"
    app.period_start.value = datetime.date(2024, 1, 1)
    app.period_end.value = datetime.date(2024, 12, 31)
    assert app.show() is False
    (page,) = _html(app)
    assert text in page and "Traceback" not in page


def test_a_folder_that_cannot_be_read_shows_its_problems(tmp_path):
    app = FunnelExplorer(tmp_path / "nowhere", lang="en")  # shown at once: the form needs the teams
    (page,) = _html(app)
    assert 'class="pb-error"' in page and "file not found" in page
    assert app.team.options == (("All teams", ""),)
    assert app.show() is False


def test_chinese_labels(data_dir):
    app = FunnelExplorer(data_dir, user=HR, hr_users=HR, lang="zh")
    assert (app.team.description, app.period_start.description, app.button.description) == (
        "团队", "线索创建日期从", "显示")
    assert app.show() is True
    pages = _html(app)
    assert "<h3>销售漏斗</h3>" in pages[1] and any("停滞商机" in p for p in pages)


# --------------------------------------------------------------------------- who sees what

@pytest.fixture
def chain_dir(data_dir, write_file):
    """The same data, R2 (Wu, West) reporting to R1 (Li, East)."""
    write_file("crm/reps.csv", "rep_id,name,team,manager_id,hire_date\nR1,Li,East,,2024-01-02\n"
               "R2,Wu,West,R1,2024-01-02\n")
    return data_dir


class TestWhoSeesWhat:
    def test_a_rep_sees_the_funnel_of_their_own_deals_only(self, chain_dir):
        app = FunnelExplorer(chain_dir, lang="en", user="R2", hr_users=())
        assert app.team.options == (("All teams", ""), ("West", "West"))
        assert app.show() is True  # "all teams" is all R2 may see: o3 and o4 (see test_team_and_period_...)
        expected = _steps([2, 1, 0, 0], [1, 0, 0, 0], [1, 1, 0, 0], [1.0, np.nan, np.nan, np.nan])
        pd.testing.assert_frame_equal(app.frames["steps"], expected, check_dtype=False)
        assert "teams" not in app.frames  # one team (all R2 may see) against itself says nothing
        text = "".join(_html(app))
        assert "Li" not in text and "o1" not in text and "R1" not in text
        # nor does one rep against a "team" of themselves: no heat map, a sentence saying why
        assert escape(t("app_funnel.one_rep", "en")) in text and t("funnel.leak_rule", "en", min_n=MIN_N,
                                                              confidence="95%") not in text
        assert sum("image/png" in o["data"] for o in app.out.outputs) == 1  # the funnel only
        boss = FunnelExplorer(chain_dir, lang="en", user="R1", hr_users=())
        assert boss.show() is True and escape(t("app_funnel.one_rep", "en")) not in "".join(_html(boss))

    def test_a_forged_team_shows_nobody_else(self, chain_dir):
        app = FunnelExplorer(chain_dir, lang="en", user="R2", hr_users=())
        app.team.options = [*app.team.options, ("East", "East")]  # a value forced past the picker
        app.team.value = "East"
        assert app.show() is False and app.frames == {}
        (page,) = _html(app)
        assert 'class="pb-error"' in page and "o1" not in page and "Li" not in page

    def test_a_supervisor_sees_their_team_down_the_chain(self, chain_dir):
        app = FunnelExplorer(chain_dir, lang="en", user="R1", hr_users=())
        assert app.team.options == (("All teams", ""), ("East", "East"), ("West", "West"))
        assert app.show() is True
        assert app.frames["funnel"][["leads", "deals", "lost", "open"]].iloc[0].tolist() == [4, 1, 1, 2]

    @pytest.mark.parametrize("user, lang, text", [
        ("", "zh", "当前无人登录，因此不显示任何销售代表的数据"),
        ("guest", "en", "guest is no rep in the data and not on the HR list"),
    ], ids=["anonymous-zh", "unknown-login"])
    def test_nobody_known_sees_nothing(self, chain_dir, user, lang, text):
        app = FunnelExplorer(chain_dir, lang=lang, user=user, hr_users=())
        assert app.team.options == ((t("app_funnel.all_teams", lang), ""),)
        assert app.show() is False and app.frames == {}
        (page,) = _html(app)
        assert text in page and "o3" not in page


# --------------------------------------------------------------------------- in the browser

server = served_behind_proxy(APP, hr=HR)  # who is logged in: the proxy's header



@pytest.fixture
def page(browser):
    """A page of HR (every rep): the tests of the funnel itself."""
    return page_as(browser, HR)


def _options(select) -> list[str]:
    """The labels of a select's options (nbsp, as the page shows spaces, read as spaces)."""
    return [o.text_content().replace("\xa0", " ") for o in select.locator("option").all()]


def _open(page, server: str, lang: str) -> None:
    page.goto(f"{server}/?lang={lang}", timeout=90000)
    page.get_by_role("button", name=t("app.show", lang)).wait_for(timeout=60000)


class TestInBrowser:
    """One Voila server for the app; each test opens its own page (own kernel)."""

    pytestmark = [pytest.mark.slow, pytest.mark.xdist_group(name="voila_funnel_explorer")]

    def test_team_funnel_heatmap_leaks_and_stuck_deals(self, server, page, screenshot):
        team = sorted(loading.load_table(paths.SAMPLE_DIR / "reps.csv", "reps")["team"].unique())[0]
        expected = FunnelExplorer(lang="en", user=HR, hr_users=HR)  # the same form in Python, as the page shows
        expected.team.value = team
        expected.period_start.value = datetime.date(2025, 1, 1)
        assert expected.show()
        _open(page, server, "en")
        page.get_by_label("Team").select_option(label=team)
        page.get_by_label("Leads created from").fill("2025-01-01")
        page.get_by_role("button", name="Show").click()
        page.get_by_role("heading", name=t("funnel.stuck", "en")).wait_for(timeout=60000)
        assert page.get_by_role("heading", name=f"team: {team}").count() == 1  # the subtitle names it
        assert page.locator(".jp-OutputArea-output img").count() == 2  # funnel and heat map
        body = page.inner_text("body")
        assert t("funnel.rep_leaks", "en") in body
        for opp in expected.frames["stuck"]["opportunity_id"]:
            assert opp in body
        assert "Traceback" not in page.content() and "import" not in body
        screenshot(page)

    def test_bad_periods_show_a_message(self, server, page, screenshot):
        _open(page, server, "en")
        page.get_by_label("Leads created from").fill("2025-06-01")
        page.get_by_label("to", exact=True).fill("2025-03-31")
        page.get_by_role("button", name="Show").click()
        error = page.locator(".pb-error")
        error.wait_for(timeout=60000)
        assert "The period ends on 2025-03-31, before it starts on 2025-06-01." in error.inner_text()
        screenshot(page, "end_before_start")
        page.get_by_label("Leads created from").fill("2020-01-01")
        page.get_by_label("to", exact=True).fill("2020-12-31")
        page.get_by_role("button", name="Show").click()
        page.get_by_text("No opportunities were created from 2020-01-01 to 2020-12-31").wait_for(timeout=60000)
        assert page.locator(".jp-OutputArea-output img").count() == 0
        assert "Traceback" not in page.content()
        screenshot(page, "empty_period")

    def test_chinese_page(self, server, page, screenshot):
        _open(page, server, "zh")
        page.get_by_role("button", name="显示").click()
        page.get_by_role("heading", name=t("funnel.stuck", "zh")).wait_for(timeout=60000)
        body = page.inner_text("body")
        for label in ("销售漏斗诊断", "全部团队", "各团队环节与全公司对比", "各销售代表与本团队对比",
                      "各销售代表漏点（供个人发展计划使用）", "漏点"):
            assert label in body
        assert page.locator(".jp-OutputArea-output img").count() == 2
        assert "Traceback" not in page.content()
        screenshot(page)

    def test_a_rep_sees_only_their_own_and_a_supervisor_their_team(self, server, browser, screenshot):
        reps = loading.load_table(paths.SAMPLE_DIR / "reps.csv", "reps")
        others = reps.loc[reps["rep_id"] != "R004"]
        page = page_as(browser, "R004")                      # 董文斌, a rep of 华东一组
        _open(page, server, "en")
        assert "Logged in as R004: your own figures are shown" in page.locator(".pb-access").inner_text()
        assert _options(page.get_by_label("Team")) == ["All teams", "华东一组"]
        page.get_by_role("button", name="Show").click()
        page.get_by_role("heading", name=t("funnel.stuck", "en")).wait_for(timeout=60000)
        body = page.inner_text("body")
        seen = [r for r, n in zip(others["rep_id"], others["name"], strict=True) if r in body or n in body]
        assert seen == [] and "Traceback" not in page.content()
        assert t("app_funnel.one_rep", "en") in body  # no heat map of the rep against themselves
        assert page.locator(".jp-OutputArea-output img").count() == 1
        screenshot(page, "rep")

        boss = page_as(browser, "R001")                      # 那振宇 manages 华东一组
        _open(boss, server, "en")
        team = boss.get_by_label("Team")
        assert _options(team) == ["All teams", "华东一组"]
        # forge the picker in the page: a team the kernel never offered
        team.evaluate("s => { const o = document.createElement('option'); o.text = '华北一组';"
                      " o.value = '华北一组'; s.add(o); s.value = o.value;"
                      " s.dispatchEvent(new Event('change', {bubbles: true})); }")
        boss.get_by_role("button", name="Show").click()
        boss.get_by_role("heading", name=t("funnel.stuck", "en")).wait_for(timeout=60000)
        results = " ".join(boss.locator(".jp-OutputArea-output .jp-OutputArea-output").all_inner_texts())
        north = reps.loc[reps["team"] == "华北一组"]
        assert not any(r in results or n in results for r, n in zip(north["rep_id"], north["name"], strict=True))
        assert "华北一组" not in results and "R002" in results  # the team below R001 is there
        screenshot(boss, "supervisor")
