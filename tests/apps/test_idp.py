"""IDP form: the form bound to playbook.idp and playbook.pipeline.store in Python (fast), then in a real browser.

Facts of the shipped sample used below (``playbook.data.sample.SIGNALS``): R004 (董文斌, sales
specialist) is rated 2 of 5 at new-customer development by his supervisor 那振宇 and 3 at
customer communication, needs diagnosis and negotiation; the data run to 2025-09-30. The
draft's rules (``templates/competencies.yaml``): target = current + 2 (at most 5); review =
first day of the month 4 + 3 x (gap - 1) months after the plan month, so a two-level step
planned in 2025-09 is reviewed on 2026-04-01.
"""

import datetime
import re
import sqlite3
import threading
import time

import pandas as pd
import pytest

from playbook import idp
from playbook.apps.idp import IdpForm, plan_page_html
from playbook.core import paths
from playbook.core.labels import t
from playbook.data.sample import SIGNALS
from playbook.pipeline.store import Store
from playbook.present import idp as present_idp

APP = paths.APPS_DIR / "idp_form.ipynb"
REP = "R004"
SCRIPT = "<script>alert(1)</script>"
NCD = "new_customer_development"
REVIEW = datetime.date(2026, 4, 1)


def _text(html_text: str) -> str:
    """Visible text of an HTML fragment (tags dropped, entities kept)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html_text)).strip()


@pytest.fixture(scope="module")
def sample(sample_dataset):
    return sample_dataset, idp.dataset_evidence(sample_dataset)


@pytest.fixture
def store_url(tmp_path):
    return f"sqlite:///{tmp_path / 'idp.sqlite'}"


@pytest.fixture
def make_form(sample, store_url):
    ds, evidence = sample

    def make(lang="en", url=store_url):
        return IdpForm("data/sample", lang=lang, store_url=url, dataset=ds, evidence=evidence)

    return make


@pytest.fixture
def form(make_form):
    f = make_form()
    f.rep.value = REP
    return f


# --------------------------------------------------------------------------- the form in Python

def test_sample_fact_the_tests_rely_on():
    assert SIGNALS.under_performer == REP and SIGNALS.under_performer_levels[NCD] == 2


def test_picking_a_rep_without_a_plan_shows_the_data_draft(form):
    assert "No stored plan for 董文斌 yet" in _text(form.source.value)
    got = [(r.competency.value, r.current.value, r.target.value, r.review.value) for r in form.rows]
    # the four lowest-rated competencies (2 or 3 of 5): +2 levels each, reviewed 7 months after 2025-09
    assert got == [("customer_communication", 3, 5, REVIEW), (NCD, 2, 4, REVIEW),
                   ("needs_diagnosis", 3, 5, REVIEW), ("negotiation", 3, 5, REVIEW)]
    ncd = form.rows[1]
    # the draft's measures are library measures: selected there, nothing typed
    assert ncd.library.value == tuple(form.base.items.loc[1, "measures"].split("\n"))
    assert ncd.typed.value == "" and "Coaching by experienced colleagues" in ncd.resources.value
    assert form.plan_date.value == datetime.date(2025, 9, 30)
    assert form.editor.layout.display == "flex" and not form.dirty()
    assert "董文斌" in form.header.value and "销售专员" in form.header.value and form.preview.value == ""
    assert form.rep.options[0] == (t("app_idp.pick_rep", "en"), None) and len(form.rep.options) == 1 + 24


def test_the_form_gives_back_the_plan_it_shows(form):
    """Items of the grid = items of the draft (library choices in library order, then typed lines)."""
    pd.testing.assert_frame_equal(idp.plan_from_dict(idp.plan_to_dict(form.current_plan())).items,
                                  idp.plan_from_dict(idp.plan_to_dict(form.base)).items)


def test_validate_lists_every_problem_at_once(form):
    form.rows[1].target.value = 1                        # item 2: target 1 < current 2
    form.rows[0].library.value = ()                      # item 1: no measure left
    form.add_row()                                       # item 5: nothing filled in
    issues = form.validate()
    expected = [(1, "empty_measures"), (2, "target_below_current"), (5, "empty_item"),
                (5, "level_out_of_range"), (5, "level_out_of_range"), (5, "missing_review_date"),
                (5, "empty_measures")]
    assert list(zip(issues["row"].astype(int), issues["code"], strict=True)) == expected
    shown = _text(form.check.value)
    assert shown.startswith("7 problem(s) in the plan:")
    assert "Item 2: the target level 1 is below the current level 2" in shown
    assert 'role="alert"' in form.check.value
    assert [r.widget.layout.border for r in form.rows].count("2px solid #c0392b") == 3  # items 1, 2 and 5
    form.remove_row(form.rows[4])
    form.rows[0].typed.value = "Read one book"
    form.rows[1].target.value = 4
    assert form.validate().empty and "No problem found" in form.check.value


def test_save_needs_a_name_and_a_valid_plan(form, store_url):
    assert form.save() is None and "Type your name" in _text(form.save_status.value)
    form.author.value = "那振宇"
    form.rows[1].target.value = 1
    assert form.save() is None and "Not saved: fix the problems" in _text(form.save_status.value)
    assert Store(store_url).plans().empty
    assert form.save_button.disabled is False


def test_save_stores_version_1_and_a_resend_stores_nothing(form, store_url, monkeypatch):
    form.author.value = "那振宇"
    form.rows[1].target.value = 3
    store, pressed = form.store(), []
    create = store.create_plan

    def spy(*args, **kwargs):
        pressed.append(form.save_button.disabled)
        return create(*args, **kwargs)

    monkeypatch.setattr(store, "create_plan", spy)
    v1 = form.save()
    assert pressed == [True] and form.save_button.disabled is False  # disabled while saving only
    assert (v1.version, v1.created, v1.author) == (1, True, "那振宇")
    assert "Saved as version 1 of plan 1 by 那振宇." in _text(form.save_status.value)
    again = form.save()                                   # double click: same token, same content
    assert (again.version, again.created) == (1, False)
    assert "Already saved as version 1" in _text(form.save_status.value)
    form.rows[1].typed.value = "Weekly prospecting call list"
    v2 = form.save()                                      # edited: a new submission, a new version
    assert (v2.version, v2.created) == (2, True)
    with Store(store_url) as store:
        hist = store.history(v1.plan_id)
        assert hist["version"].tolist() == [1, 2] and hist["author"].tolist() == ["那振宇"] * 2
        assert store.plan(v1.plan_id, 1).items.loc[1, "target_level"] == 3
        assert store.plan(v1.plan_id).items.loc[1, "measures"].endswith("\nWeekly prospecting call list")
    assert "Plan 1, version 2: Draft" in _text(form.state.value)


def test_a_stored_plan_is_loaded_again_and_unchanged_content_is_not_saved(form, make_form):
    form.author.value = "那振宇"
    form.rows[1].typed.value = SCRIPT
    form.save()
    other = make_form()
    other.rep.value = REP
    assert "Showing the stored plan 1, version 1 (Draft), last saved by 那振宇" in _text(other.source.value)
    assert other.rows[1].typed.value == SCRIPT            # a text widget: kept as the text typed
    other.author.value = "HR"
    assert other.save() is None and "No changes to save: version 1" in _text(other.save_status.value)


def test_typed_html_is_escaped_in_everything_the_form_writes(form, store_url):
    form.author.value = "<b>Boss</b>"
    form.rows[1].typed.value = SCRIPT
    form.save()
    form.sign("agreed_by_rep")
    page = plan_page_html(form.saved, lang="en", status=form.status, version=form.version,
                          history=Store(store_url).history(form.plan_id))
    for html_text in (form.preview.value, form.history.value, form.save_status.value, form.sign_status.value,
                      page):
        assert "<script>" not in html_text and "<b>Boss" not in html_text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in form.preview.value
    assert "&lt;b&gt;Boss&lt;/b&gt;" in form.history.value and "&lt;script&gt;" in page


def test_sign_off_runs_through_the_states_and_refuses_steps_out_of_order(form):
    form.author.value = "那振宇"
    assert form.sign("agreed_by_rep") is None and "Save the plan first" in _text(form.sign_status.value)
    form.save()
    assert form.sign("archived_by_hr") is None
    assert ("The plan is “Draft”: the next step is “Agreed by the rep”, it cannot go to “Archived by HR” now."
            in _text(form.sign_status.value))
    assert form.sign("agreed_by_rep").version == 2
    assert form.sign("agreed_by_rep") is None and "already “Agreed by the rep”" in _text(form.sign_status.value)
    form.rows[0].why.value = "Edited after the rep agreed"
    assert form.sign("agreed_by_supervisor") is None and "not saved" in _text(form.sign_status.value)
    v = form.save()                                       # an edit after agreement: a new draft
    assert (v.version, v.status) == (3, "draft") and "has to be agreed again" in _text(form.save_status.value)
    assert [form.sign(s).version for s in ("agreed_by_rep", "agreed_by_supervisor", "archived_by_hr")] == [4, 5, 6]
    assert "Plan 1, version 6: Archived by HR" in _text(form.state.value)
    assert form.sign("agreed_by_rep") is None and "that is the last step" in _text(form.sign_status.value)
    form.rows[0].why.value = "Too late"
    assert form.save() is None and "archived by HR and cannot change" in _text(form.save_status.value)


def test_review_records_the_level_reached_and_the_next_plan_starts_from_it(form, store_url):
    form.author.value = "那振宇"
    form.save()
    form.review_rows[1][1].value = 3
    assert form.record_reviews() == [] and "once the supervisor has agreed" in _text(form.review_status.value)
    form.sign("agreed_by_rep")
    form.sign("agreed_by_supervisor")
    assert form.record_reviews() == [] and "Choose the level reached" in _text(form.review_status.value)
    comp, level, when, _note = form.review_rows[1]
    assert (comp, when.value) == (NCD, REVIEW)            # defaults to the item's review date
    level.value = 3
    ids = form.record_reviews()
    assert len(ids) == 1 and "Recorded 1 review result(s)." in _text(form.review_status.value)
    assert form.review_rows[1][3].value == "Recorded: level 3 on 2026-04-01 (那振宇)"
    reviews = Store(store_url).table("reviews")
    assert reviews[["competency", "level_reached", "author"]].values.tolist() == [[NCD, 3, "那振宇"]]
    assert str(reviews.loc[0, "review_date"]) == "2026-04-01"
    form.review_rows[1][1].value = 3
    assert form.record_reviews() == ids                   # the same record again: nothing new
    assert len(Store(store_url).table("reviews")) == 1
    assert form.new_plan() is True and form.plan_id is None
    ncd = next(r for r in form.rows if r.competency.value == NCD)
    assert (ncd.current.value, ncd.target.value) == (3, 5)  # starts from the level reached: 3, target 3 + 2


def test_chinese_form(make_form):
    f = make_form(lang="zh")
    assert (f.rep.description, f.save_button.description, f.validate_button.description) == ("销售代表", "保存", "检查")
    f.rep.value = REP
    assert "董文斌 还没有已保存的计划" in _text(f.source.value)
    assert f.rows[1].competency.label == "开发新客户" and "学习" in "".join(f.rows[1].library.value)
    f.rows[1].target.value = 1
    f.validate()
    assert "第 2 项" in _text(f.check.value) and "计划中有 1 个问题" in _text(f.check.value)
    assert f.save() is None and "请先在“您的姓名”中填写姓名" in _text(f.save_status.value)


def test_a_bad_data_folder_is_a_readable_problem(tmp_path):
    f = IdpForm(tmp_path / "nothing_here", lang="en", store_url="sqlite://")
    assert 'role="alert"' in f.problem.value and "Traceback" not in f.problem.value
    assert f.rep.disabled and f.editor.layout.display == "none"


def test_a_store_that_is_not_an_idp_store_is_a_readable_problem(make_form, tmp_path):
    broken = tmp_path / "notes.sqlite"
    broken.write_text("these are meeting notes, not a database")
    f = make_form(url=str(broken))
    f.rep.value = REP
    shown = _text(f.problem.value)
    assert 'role="alert"' in f.problem.value and "cannot be read as an IDP store" in shown
    assert "left untouched" in shown and f.editor.layout.display == "none"
    assert broken.read_text() == "these are meeting notes, not a database"


def _loaded(make_form, author, lang="en"):
    f = make_form(lang=lang)
    f.rep.value = REP
    f.author.value = author
    return f


def test_five_forms_saving_the_version_they_loaded_at_once_store_one_and_lose_nothing(form, make_form, store_url):
    form.author.value = "setup"
    plan_id = form.save().plan_id                         # plan 1, version 1
    forms = []
    for i in range(1, 6):                                 # five people open it ...
        f = _loaded(make_form, f"Saver {i}")
        f.rows[0].typed.value = f"Extra step {i}"
        forms.append(f)
    threads = [threading.Thread(target=f.save) for f in forms]
    for th in threads:                                    # ... and save at the same moment
        th.start()
    for th in threads:
        th.join()
    with Store(store_url) as store:
        hist = store.history(plan_id)
        assert hist["version"].tolist() == [1, 2]         # one lands; nobody's save silently drops another's
        winner = hist["author"].iloc[1]
        assert store.plan(plan_id).items.loc[0, "measures"].endswith(f"\nExtra step {winner.split()[-1]}")
    saved = [f for f in forms if "Saved as version 2 of plan 1" in _text(f.save_status.value)]
    refused = [f for f in forms if f not in saved]
    assert len(saved) == 1 and len(refused) == 4
    for f in refused:                                     # told who changed what, their text still in the form
        shown = _text(f.save_status.value)
        assert shown.startswith(f"Not saved: the plan changed after you opened version 1: version 2 (Draft) by "
                                f"{winner}, ")
        assert "Nothing was stored, and what you typed is still in the form." in shown
        assert f.rows[0].typed.value == f"Extra step {f.author.value.split()[-1]}" and f.dirty()
        assert f.reload_buttons["save"].layout.display is None and f.version == 1
    loser = refused[0]
    assert loser.save() is None and "Not saved: the plan changed" in _text(loser.save_status.value)  # again: no
    assert loser.reload() is True                         # reload: version 2, the winner's text
    assert "Showing the stored plan 1, version 2" in _text(loser.source.value)
    assert loser.rows[0].typed.value == f"Extra step {winner.split()[-1]}"
    assert loser.reload_buttons["save"].layout.display == "none" and loser.save_status.value == ""
    loser.rows[0].typed.value += "\nMy step on top"
    assert loser.save().version == 3


def test_a_page_showing_an_old_version_cannot_agree_to_a_newer_one(form, make_form, store_url):
    form.author.value = "那振宇"
    plan_id = form.save().plan_id
    rep_page = _loaded(make_form, "董文斌")                # the rep opens version 1 ...
    form.rows[0].why.value = "Changed by the supervisor"
    assert form.save().version == 2                       # ... the supervisor changes it meanwhile
    assert rep_page.sign("agreed_by_rep") is None
    shown = _text(rep_page.sign_status.value)
    assert shown.startswith("Not signed: the plan changed after you opened version 1: version 2 (Draft) by 那振宇, ")
    assert "You would be agreeing to a version you have not seen, so nothing was stored." in shown
    assert rep_page.reload_buttons["sign"].layout.display is None
    with Store(store_url) as store:
        assert store.history(plan_id)["version"].tolist() == [1, 2] and store.table("signoffs").empty
    rep_page.reload()
    assert rep_page.rows[0].why.value == "Changed by the supervisor"
    assert rep_page.sign("agreed_by_rep").version == 3    # what the rep agrees to is what the rep saw
    # the supervisor's page still shows version 2: its edit would drop nothing, it is refused
    form.rows[1].typed.value = "One more step"
    assert form.save() is None
    assert "version 3 (Agreed by the rep) by 董文斌" in _text(form.save_status.value)
    assert form.rows[1].typed.value == "One more step"


def test_two_people_starting_the_reps_first_plan_store_one_plan(make_form, store_url):
    first, second = _loaded(make_form, "那振宇"), _loaded(make_form, "HR")
    assert first.plan_id is None and second.plan_id is None   # both see the data's draft
    first.rows[0].typed.value, second.rows[0].typed.value = "First's step", "Second's step"
    assert first.save().plan_id == 1
    assert second.save() is None
    shown = _text(second.save_status.value)
    assert shown.startswith("Not saved: meanwhile 那振宇 started a plan for this rep with the same date (plan 1, ")
    assert second.rows[0].typed.value == "Second's step" and second.plan_id is None
    with Store(store_url) as store:
        assert len(store.table("plans")) == 1 and len(store.table("versions")) == 1
    second.reload()
    assert second.plan_id == 1 and second.rows[0].typed.value == "First's step"


def test_the_conflict_message_in_chinese(form, make_form):
    form.author.value = "那振宇"
    form.save()
    other = _loaded(make_form, "人力资源部", lang="zh")
    form.rows[0].why.value = "Changed"
    form.save()
    other.rows[0].why.value = "我的修改"
    assert other.save() is None
    shown = _text(other.save_status.value)
    assert shown.startswith("未保存：您打开第 1 版后，该计划已有更新：第 2 版（草稿，那振宇，")
    assert "您填写的内容仍在表单中" in shown and other.reload_buttons["save"].description == "重新加载计划"
    assert other.rows[0].why.value == "我的修改"


def test_a_read_only_store_reads_and_says_why_it_cannot_save(form, make_form, store_url):
    form.author.value = "那振宇"
    form.save()
    path = store_url.removeprefix("sqlite:///")
    reader = make_form(url=f"sqlite:///file:{path}?mode=ro&uri=true")
    reader.rep.value = REP
    assert "Showing the stored plan 1, version 1" in _text(reader.source.value)   # reading works
    reader.author.value = "HR"
    reader.rows[0].why.value = "An edit"
    assert reader.save() is None
    shown = _text(reader.save_status.value)
    assert "the IDP store is read-only (the store URL opens it read-only): plans can still be read" in shown
    assert "restore" not in shown and "Traceback" not in reader.save_status.value


def test_an_unreadable_stored_version_is_named(form, make_form, store_url):
    form.author.value = "那振宇"
    form.save()
    con = sqlite3.connect(store_url.removeprefix("sqlite:///"))
    con.execute("UPDATE plan_versions SET content = 'not json' WHERE id = 1")
    con.commit()
    con.close()
    other = make_form()
    other.rep.value = REP
    shown = _text(other.problem.value)
    assert "plan 1, version 1 cannot be read: content: not valid JSON" in shown and "Traceback" not in shown
    con = sqlite3.connect(store_url.removeprefix("sqlite:///"))
    con.execute("UPDATE plan_versions SET created_at = 'yesterday' WHERE id = 1")  # now the whole row is unreadable
    con.commit()
    con.close()
    other.rep.value = None
    other.rep.value = REP
    shown = _text(other.problem.value)
    assert "plan 1, version 1 cannot be read: content: not valid JSON" in shown
    assert "created_at: &#x27;yesterday&#x27; is not a date and time" in shown
    assert other.editor.layout.display == "none" and "Traceback" not in shown


# --------------------------------------------------------------------------- in the browser

def _open(page, url, rep_label, lang="en"):
    page.goto(f"{url}/?lang={lang}", timeout=90000)
    rep = page.get_by_label(t("app_idp.rep", lang), exact=True)
    rep.locator("option", has_text=rep_label).wait_for(state="attached", timeout=90000)
    rep.select_option(label=rep.locator("option", has_text=rep_label).text_content())


def _status(page, text):
    page.locator(".pb-message", has_text=text).first.wait_for(timeout=60000)


@pytest.fixture
def server(serve, tmp_path):
    """A Voila server on the form with its own temporary store (Voila does not pass notebook parameters)."""
    url = f"sqlite:///{tmp_path / 'browser_store.sqlite'}"
    return serve(APP, env={"PLAYBOOK_STORE_URL": url}), url


class TestInBrowser:
    """Each test: its own Voila server and temporary store; each page its own kernel."""

    pytestmark = pytest.mark.slow

    def test_browser_draft_edit_validate_save_sign_review_download(self, server, page, screenshot, tmp_path):
        url, store_url = server
        started = time.monotonic()
        dialogs = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        _open(page, url, f"{REP} · 董文斌")
        _status(page, "No stored plan for 董文斌 yet")
        items = page.get_by_label("Development item", exact=True)
        assert items.count() == 4
        chosen = items.nth(1).locator("option:checked").text_content()
        assert chosen.replace("\xa0", " ") == "New-customer development"  # options show spaces as nbsp
        assert "1,248,191 CNY" in page.locator("table.idp-header").first.inner_text()  # his sales to date
        screenshot(page, "1_draft")

        # target below current: every problem listed, nothing saved
        page.get_by_label("Target level", exact=True).nth(1).select_option(label="1")
        page.get_by_role("button", name="Validate").click()
        alert = page.get_by_role("alert")
        alert.wait_for(timeout=30000)
        assert "Item 2: the target level 1 is below the current level 2" in alert.inner_text()
        screenshot(page, "2_problems")

        # fix it, type a measure with a script, save with a name: version 1
        page.get_by_label("Target level", exact=True).nth(1).select_option(label="4")
        page.get_by_label("Other measures", exact=True).nth(1).fill(SCRIPT)
        page.get_by_label("Your name", exact=True).fill("那振宇")
        page.get_by_role("button", name="Save").click()
        _status(page, "Saved as version 1 of plan 1 by 那振宇.")
        with Store(store_url) as store:
            hist = store.history(1)
            assert hist[["version", "author", "status"]].values.tolist() == [[1, "那振宇", "draft"]]
            assert store.plan(1).items.loc[1, "measures"].endswith("\n" + SCRIPT)
        screenshot(page, "3_saved")

        # an edit, then a double click on Save: one new version only
        page.get_by_label("Other measures", exact=True).nth(0).fill("Join two customer meetings a week")
        page.get_by_role("button", name="Save").dblclick()
        page.locator(".pb-message", has_text=re.compile("version 2")).first.wait_for(timeout=30000)
        time.sleep(1.5)                                   # let a second click land, if it does
        with Store(store_url) as store:
            assert store.history(1)["version"].tolist() == [1, 2]

        # reload: the stored plan comes back, the script is text and runs nowhere
        page.reload()
        _open(page, url, f"{REP} · 董文斌")
        _status(page, "Showing the stored plan 1, version 2")
        assert page.get_by_label("Other measures", exact=True).nth(1).input_value() == SCRIPT
        cell = page.locator("table.idp-plan td", has_text="alert(1)")
        assert SCRIPT in cell.inner_text()
        screenshot(page, "4_reloaded")

        # sign-off: a step out of order is refused, then through to agreed by the supervisor
        page.get_by_label("Your name", exact=True).fill("那振宇")
        page.get_by_role("button", name="HR archives").click()
        _status(page, "it cannot go to “Archived by HR” now")
        screenshot(page, "5_bad_step")
        page.get_by_role("button", name="Rep agrees").click()
        _status(page, "The plan is now “Agreed by the rep” (version 3")
        page.get_by_role("button", name="Supervisor agrees").click()
        _status(page, "The plan is now “Agreed by the supervisor” (version 4")

        # review: the level reached at the review date
        page.get_by_label("Level reached", exact=True).nth(1).select_option(label="3")
        page.get_by_role("button", name="Record review").click()
        _status(page, "Recorded 1 review result(s).")
        page.get_by_text("Recorded: level 3 on 2026-04-01 (那振宇)").wait_for(timeout=30000)
        with Store(store_url) as store:
            assert store.table("reviews")[["competency", "level_reached"]].values.tolist() == [[NCD, 3]]
        page.get_by_role("button", name="HR archives").click()
        _status(page, "The plan is now “Archived by HR” (version 5")
        assert "Plan 1, version 5: Archived by HR" in page.locator(".pb-state").inner_text()
        screenshot(page, "6_archived")

        # download: the saved plan as HTML (and PDF), plus the evidence report
        page.get_by_role("button", name="Prepare the download").click()
        link = page.get_by_role("link", name="Download the plan (HTML)")
        link.wait_for(timeout=90000)
        with page.expect_download(timeout=30000) as info:
            link.click()
        saved = tmp_path / info.value.suggested_filename
        info.value.save_as(saved)
        document = saved.read_text(encoding="utf-8")
        assert saved.name == "idp_plan_R004_en_v5.html"
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in document and SCRIPT not in document
        assert "Version 5: Archived by HR" in document
        assert page.get_by_role("link", name="Report with the data evidence (HTML)").count() == 1
        assert page.get_by_role("link", name="Download the plan (PDF)").count() == 1
        screenshot(page, "7_download")
        assert dialogs == [] and "Traceback" not in page.content()
        print(f"browser draft/validate/save/sign/review/download: {time.monotonic() - started:.1f} s")

    def test_browser_five_pages_save_the_same_plan_at_once(self, server, browser, sample, screenshot):
        url, store_url = server
        ds_reps = "R005"
        with Store(store_url) as store:                   # the plan everybody opens: version 1
            first = store.create_plan(present_idp.word_plan(idp.draft_plan(sample[1], ds_reps)), author="setup")
        started = time.monotonic()
        pages = [browser.new_context(viewport={"width": 1280, "height": 900}).new_page() for _ in range(5)]
        for page in pages:                                # five kernels start together
            page.goto(f"{url}/?lang=en", timeout=90000)
        for i, page in enumerate(pages, start=1):
            rep = page.get_by_label("Rep", exact=True)
            rep.locator("option", has_text=ds_reps).wait_for(state="attached", timeout=90000)
            rep.select_option(label=rep.locator("option", has_text=ds_reps).text_content())
            _status(page, "Showing the stored plan 1, version 1")
            page.get_by_label("Your name", exact=True).fill(f"Saver {i}")
            page.get_by_label("Other measures", exact=True).nth(0).fill(f"Extra step {i}")
        for page in pages:                                # all five press Save at the same moment
            page.get_by_role("button", name="Save").click(no_wait_after=True)
        for page in pages:
            page.locator(".pb-message", has_text=re.compile(r"Saved as version 2 of plan 1|Not saved")).wait_for(
                timeout=90000)
        saved = [p for p in pages if p.locator(".pb-message", has_text="Saved as version 2 of plan 1").count()]
        refused = [p for p in pages if p not in saved]
        assert len(saved) == 1 and len(refused) == 4      # one lands, four are told; nothing is dropped
        screenshot(refused[0])
        with Store(store_url) as store:
            hist = store.history(first.plan_id)
            assert hist["version"].tolist() == [1, 2]
            winner = hist["author"].iloc[1]
            assert store.plan(first.plan_id).items.loc[0, "measures"].endswith(f"\nExtra step {winner.split()[-1]}")
            assert len(store.table("items")) == 2 * 4
        for page in refused:                              # each still holds its own text
            message = page.locator(".pb-message", has_text="Not saved").inner_text()
            assert f"version 2 (Draft) by {winner}" in message
            mine = page.get_by_label("Your name", exact=True).input_value().split()[-1]
            assert page.get_by_label("Other measures", exact=True).nth(0).input_value() == f"Extra step {mine}"
            assert page.get_by_role("button", name="Reload the plan").count() == 1
        print(f"browser five pages saving at once: {time.monotonic() - started:.1f} s")

    def test_browser_two_pages_the_second_gets_the_conflict_and_keeps_its_text(self, server, browser, sample,
                                                                                 screenshot):
        url, store_url = server
        with Store(store_url) as store:
            store.create_plan(present_idp.word_plan(idp.draft_plan(sample[1], "R006")), author="setup")
        started = time.monotonic()
        first, second = (browser.new_context(viewport={"width": 1280, "height": 900}).new_page() for _ in range(2))
        for page, name in ((first, "Ann"), (second, "Bo")):  # two people open version 1
            _open(page, url, "R006")
            _status(page, "Showing the stored plan 1, version 1")
            page.get_by_label("Your name", exact=True).fill(name)
        first.get_by_label("Other measures", exact=True).nth(0).fill("Ann's step")
        first.get_by_role("button", name="Save").click()
        _status(first, "Saved as version 2 of plan 1 by Ann.")
        second.get_by_label("Other measures", exact=True).nth(0).fill("Bo's step")
        second.get_by_role("button", name="Save").click()
        _status(second, "Not saved: the plan changed after you opened version 1: version 2 (Draft) by Ann")
        assert second.get_by_label("Other measures", exact=True).nth(0).input_value() == "Bo's step"
        screenshot(second, "1_conflict")
        second.get_by_role("button", name="Rep agrees").click()  # agreeing to what Bo has not seen: refused too
        _status(second, "You have changes that are not saved")
        with Store(store_url) as store:
            assert store.history(1)["version"].tolist() == [1, 2] and store.table("signoffs").empty
        second.get_by_role("button", name="Reload the plan").click()
        _status(second, "Showing the stored plan 1, version 2")
        assert second.get_by_label("Other measures", exact=True).nth(0).input_value() == "Ann's step"
        second.get_by_role("button", name="Rep agrees").click()
        _status(second, "The plan is now “Agreed by the rep” (version 3, by Bo)")
        first.get_by_role("button", name="Supervisor agrees").click()  # Ann's page still shows version 2
        _status(first, "Not signed: the plan changed after you opened version 2: version 3 (Agreed by the rep) by Bo")
        screenshot(first, "2_stale_sign_off")
        assert "Traceback" not in first.content() + second.content()
        print(f"browser two pages, conflict: {time.monotonic() - started:.1f} s")

    def test_browser_chinese_and_a_save_without_name(self, server, page, screenshot):
        started = time.monotonic()
        _open(page, server[0], "R011", lang="zh")
        _status(page, "还没有已保存的计划")
        for label in ("发展原因", "目前水平", "期望水平", "措施库中的措施", "其他措施", "所需资源", "评估时间"):
            assert page.get_by_label(label, exact=True).count() >= 1, label
        page.get_by_role("button", name="保存").click()
        _status(page, "请先在“您的姓名”中填写姓名")
        assert page.get_by_role("button", name="员工确认").count() == 1
        assert page.get_by_label("有待发展项目", exact=True).count() >= 1
        assert page.locator("table.idp-header th", has_text="直接上级").count() == 1
        assert "Traceback" not in page.content()
        screenshot(page)
        print(f"browser zh: {time.monotonic() - started:.1f} s")
