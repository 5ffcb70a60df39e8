"""IDP form: the form bound to playbook.idp and playbook.pipeline.store in Python (fast), then in a real browser.

Facts of the shipped sample used below (``playbook.data.sample.SIGNALS``): R004 (董文斌, sales
specialist) is rated 2 of 5 at new-customer development by his supervisor 那振宇 and 3 at
customer communication, needs diagnosis and negotiation; the data run to 2025-09-30. The
draft's rules (``templates/competencies.yaml``): target = current + 2 (at most 5); review =
first day of the month 4 + 3 x (gap - 1) months after the plan month, so a two-level step
planned in 2025-09 is reviewed on 2026-04-01.

Who is logged in comes from the server (``playbook.apps.identity``); the sample has no
``login`` column, so a login is a ``rep_id``: ``R001`` is 那振宇, R004's direct supervisor.
"""

import dataclasses
import datetime
import re
import sqlite3
import threading
import time

import pandas as pd
import pytest
import traitlets
from voila_harness import VIEWPORT

from playbook import idp
from playbook.apps import identity
from playbook.apps.idp import IdpForm, plan_page_html
from playbook.core import paths
from playbook.core.labels import t
from playbook.data.sample import SIGNALS
from playbook.pipeline.store import Store
from playbook.present import idp as present_idp

APP = paths.APPS_DIR / "idp_form.ipynb"
REP = "R004"
BOSS = "R001"                                             # 那振宇, R004's direct supervisor
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

    def make(lang="en", url=store_url, user=BOSS, hr=()):
        return IdpForm("data/sample", lang=lang, store_url=url, dataset=ds, evidence=evidence, user=user,
                       hr_users=hr)

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
    # R001 sees himself and the 8 reps of reps.csv whose manager_id is R001 (he has no indirect reports)
    assert form.rep.options[0] == (t("app_idp.pick_rep", "en"), None)
    assert [v for _, v in form.rep.options[1:]] == ["R001", "R002", "R003", "R004", "R005", "R006", "R007",
                                                    "R022", "R023"]


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


def test_without_identity_the_form_shows_no_plan_and_says_how_to_enable_identity(make_form, form, store_url):
    form.save()                                           # a plan saved by someone logged in
    f = make_form(user="")
    assert "Nobody is logged in, so no plan is shown" in _text(f.who.value)
    assert "playbook app --trusted-proxy" in _text(f.who.value)
    assert f.rep.options == ((t("app_idp.pick_rep", "en"), None),) and f.rep.disabled
    buttons = [f.save_button, f.record_button, *f.sign_buttons.values()]
    assert [b.disabled for b in buttons] == [True] * 5
    assert f.pick(REP) is False and "Nobody is logged in" in _text(f.problem.value)   # a crafted value
    assert f.base is None and f.rows == [] and f.editor.layout.display == "none" and "董文斌" not in _everything(f)
    assert f.save() is None and f.sign("agreed_by_rep") is None and f.new_plan() is False
    assert Store(store_url).history(1)["status"].tolist() == ["draft"]


def test_the_form_says_who_is_logged_in_and_as_what(make_form):
    assert _text(make_form().who.value) == (
        "Logged in as R001 (set by the server): rep R001 · 那振宇; direct supervisor of 8 rep(s).")
    hr = make_form(user="hr.li", hr=("hr.li",))
    assert _text(hr.who.value) == "Logged in as hr.li (set by the server): HR."
    stranger = make_form(user="guest")
    assert "not a rep, supervisor or HR in the data: no plan is shown" in _text(stranger.who.value)
    assert len(stranger.rep.options) == 1 and stranger.pick(REP) is False
    assert ("You (guest) may not see the plan of R004: a plan is seen by its rep, their supervisors (direct and "
            "indirect) and HR only. Nothing of it is shown.") == _text(stranger.problem.value)
    assert stranger.save() is None and "Choose a rep" in _text(stranger.save_status.value)


def _everything(f: IdpForm) -> str:
    """Every text the form shows: its HTML boxes, the picker's labels and the values of the plan's widgets."""
    boxes = [f.who, f.source, f.problem, f.header, f.preview, f.state, f.history, f.audit, f.check,
             f.save_status, f.sign_status, f.review_status, f.download, f.review_help]
    rows = [str(w.value) for r in f.rows for w in (r.competency, r.why, r.typed, r.resources)]
    return " ".join([b.value for b in boxes] + [label for label, _ in f.rep.options] + rows + [f.strengths.value])


# --------------------------------------------------------------------------- who sees what

def test_a_rep_sees_only_their_own_plan_whatever_the_picker_is_sent(form, make_form):
    form.save()                                           # R005's supervisor saves a plan of R005 too
    form.rep.value = "R005"
    form.rows[0].typed.value = "Secret step of R005"
    form.save()
    rep = make_form(user=REP)
    assert rep.rep.options == ((t("app_idp.pick_rep", "en"), None), (f"{REP} · 董文斌", REP))
    with pytest.raises(traitlets.TraitError):             # the widget refuses a value it does not offer ...
        rep.rep.value = "R005"
    rep.rep.value = REP
    assert "Showing the stored plan 1, version 1" in _text(rep.source.value)
    assert rep.pick("R005") is False                      # ... and the form refuses it if it gets one anyway
    shown = _everything(rep)
    assert "You (R004) may not see the plan of R005" in shown
    assert "李彬洋" not in shown and "Secret step" not in shown and "Plan 2" not in shown
    assert rep.base is None and rep.plan_id is None and rep.editor.layout.display == "none"
    assert rep.save() is None and rep.sign("agreed_by_rep") is None and rep.prepare_download() is False
    assert Store(form.store_url).history(2)["status"].tolist() == ["draft"]
    rep.rep.value = REP
    rep.rep.value = None
    rep.rep.options = [*rep.rep.options, ("R005", "R005")]  # a tampered picker: the new plan and download refuse
    rep.rep.value = "R005"
    assert rep.new_plan() is False and "may not see the plan of R005" in _text(rep.review_status.value)
    rep.base = form.saved                                  # even a plan of R005 in the form is not downloaded
    assert rep.prepare_download() is False and "may not see the plan of R005" in _text(rep.download.value)


def test_hr_sees_everyone_and_a_supervisor_sees_indirect_reports(sample, make_form, store_url):
    assert len(make_form(user="hr.li", hr=("hr.li",)).rep.options) == 1 + 24   # every current rep
    ds, evidence = sample
    reps = ds.reps.copy()
    reps.loc[reps["rep_id"] == "R008", "manager_id"] = BOSS  # R008's team now reports to R001 through R008
    chained = IdpForm("data/sample", lang="en", store_url=store_url, dataset=dataclasses.replace(ds, reps=reps),
                      evidence=evidence, user=BOSS, hr_users=())
    seen = [v for _, v in chained.rep.options[1:]]
    assert seen == ["R001", *[f"R{i:03d}" for i in range(2, 15)], "R022", "R023", "R024"]
    assert chained.pick("R011") and "彭伟新" in chained.header.value   # an indirect report: seen ...
    assert chained.save() is None and "may not change the plan of R011" in _text(chained.save_status.value)
    assert chained.pick("R016") is False                  # ... another region's rep: not


def test_save_needs_a_valid_plan(form, store_url):
    form.rows[1].target.value = 1
    assert form.save() is None and "Not saved: fix the problems" in _text(form.save_status.value)
    assert Store(store_url).plans().empty
    assert form.save_button.disabled is False


def test_save_stores_version_1_and_a_resend_stores_nothing(form, store_url, monkeypatch):
    form.rows[1].target.value = 3
    store, pressed = form.store(), []
    create = store.create_plan

    def spy(*args, **kwargs):
        pressed.append(form.save_button.disabled)
        return create(*args, **kwargs)

    monkeypatch.setattr(store, "create_plan", spy)
    v1 = form.save()
    assert pressed == [True] and form.save_button.disabled is False  # disabled while saving only
    assert (v1.version, v1.created, v1.author) == (1, True, BOSS)
    assert "Saved as version 1 of plan 1 by R001." in _text(form.save_status.value)
    again = form.save()                                   # double click: same token, same content
    assert (again.version, again.created) == (1, False)
    assert "Already saved as version 1" in _text(form.save_status.value)
    form.rows[1].typed.value = "Weekly prospecting call list"
    v2 = form.save()                                      # edited: a new submission, a new version
    assert (v2.version, v2.created) == (2, True)
    with Store(store_url) as store:
        hist = store.history(v1.plan_id)
        assert hist["version"].tolist() == [1, 2] and hist["author"].tolist() == [BOSS] * 2
        assert store.plan(v1.plan_id, 1).items.loc[1, "target_level"] == 3
        assert store.plan(v1.plan_id).items.loc[1, "measures"].endswith("\nWeekly prospecting call list")
    assert "Plan 1, version 2: Draft" in _text(form.state.value)


def test_a_stored_plan_is_loaded_again_and_unchanged_content_is_not_saved(form, make_form):
    form.rows[1].typed.value = SCRIPT
    form.save()
    other = make_form(user="HR", hr=("HR",))
    other.rep.value = REP
    assert "Showing the stored plan 1, version 1 (Draft), last saved by R001" in _text(other.source.value)
    assert other.rows[1].typed.value == SCRIPT            # a text widget: kept as the text typed
    assert other.save() is None and "No changes to save: version 1" in _text(other.save_status.value)


def test_typed_html_is_escaped_in_everything_the_form_writes(make_form, store_url):
    form = make_form(user="<b>Boss</b>", hr=("<b>Boss</b>",))  # a login the proxy sends is data too
    form.rep.value = REP
    form.rows[1].typed.value = SCRIPT
    form.save()
    form.sign("agreed_by_rep")                            # refused: the message names the user
    page = plan_page_html(form.saved, lang="en", status=form.status, version=form.version,
                          history=Store(store_url).history(form.plan_id))
    for html_text in (form.preview.value, form.history.value, form.save_status.value, form.sign_status.value,
                      page):
        assert "<script>" not in html_text and "<b>Boss" not in html_text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in form.preview.value
    assert "&lt;b&gt;Boss&lt;/b&gt;" in form.history.value and "&lt;script&gt;" in page


def test_sign_off_runs_through_the_states_and_refuses_steps_out_of_order(make_form):
    form = make_form(user=REP, hr=(REP,))                 # the rep, who is also on the HR list here
    form.rep.value = REP
    assert form.sign("agreed_by_rep") is None and "Save the plan first" in _text(form.sign_status.value)
    form.save()
    assert form.sign("archived_by_hr") is None
    assert ("The plan is “Draft”: the next step is “Agreed by the rep”, it cannot go to “Archived by HR” now."
            in _text(form.sign_status.value))
    assert form.sign("agreed_by_rep").version == 2
    assert form.sign("agreed_by_rep") is None and "already “Agreed by the rep”" in _text(form.sign_status.value)
    form.rows[0].why.value = "Edited after the rep agreed"
    assert form.sign("archived_by_hr") is None and "not saved" in _text(form.sign_status.value)
    v = form.save()                                       # an edit after agreement: a new draft
    assert (v.version, v.status) == (3, "draft") and "has to be agreed again" in _text(form.save_status.value)
    assert form.sign("agreed_by_rep").version == 4
    boss = make_form()                                    # the supervisor agrees in their own form
    boss.rep.value = REP
    assert boss.sign("agreed_by_supervisor").version == 5
    form.pick(REP)
    assert form.sign("archived_by_hr").version == 6
    assert "Plan 1, version 6: Archived by HR" in _text(form.state.value)
    assert form.sign("agreed_by_rep") is None and "that is the last step" in _text(form.sign_status.value)
    form.rows[0].why.value = "Too late"
    assert form.save() is None and "archived by HR and cannot change" in _text(form.save_status.value)


def test_the_audit_lists_who_did_what_when(form, make_form, store_url):
    assert form.audit_frame().empty and form.audit.value == ""
    form.save()
    rep = make_form(user=REP)
    rep.rep.value = REP
    rep.sign("agreed_by_rep")
    assert rep.sign("agreed_by_supervisor") is None       # refused: nothing stored, nothing audited
    form.pick(REP)
    form.sign("agreed_by_supervisor")
    form.review_rows[1][1].value = 3
    form.record_reviews()
    audit = form.audit_frame()
    assert audit[["who", "action", "version"]].astype(object).values.tolist() == [
        [BOSS, "Saved", 1], [REP, "Signed: Agreed by the rep", 2], [BOSS, "Signed: Agreed by the supervisor", 3],
        [BOSS, "Review: New-customer development reached level 3", pd.NA]]
    assert audit["when"].is_monotonic_increasing
    shown = _text(form.audit.value)
    assert shown.startswith("Who did what, when (4) When By What Version")
    assert "R004 Signed: Agreed by the rep 2" in shown


def test_review_records_the_level_reached_and_the_next_plan_starts_from_it(form, store_url):
    form.save()
    form.review_rows[1][1].value = 3
    assert form.record_reviews() == [] and "once the supervisor has agreed" in _text(form.review_status.value)
    with Store(store_url) as store:                       # the rep agrees (in their own form)
        store.sign(form.plan_id, "agreed_by_rep", author=REP)
    form.pick(REP)
    form.sign("agreed_by_supervisor")
    assert form.record_reviews() == [] and "Choose the level reached" in _text(form.review_status.value)
    comp, level, when, _note = form.review_rows[1]
    assert (comp, when.value) == (NCD, REVIEW)            # defaults to the item's review date
    level.value = 3
    ids = form.record_reviews()
    assert len(ids) == 1 and "Recorded 1 review result(s)." in _text(form.review_status.value)
    assert form.review_rows[1][3].value == "Recorded: level 3 on 2026-04-01 (R001)"
    reviews = Store(store_url).table("reviews")
    assert reviews[["competency", "level_reached", "author"]].values.tolist() == [[NCD, 3, BOSS]]
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
    assert f.save() is None and "计划中有 1 个问题" in _text(f.check.value)
    assert "当前登录：R001" in _text(f.who.value)
    nobody = make_form(lang="zh", user="")
    assert nobody.pick(REP) is False and "当前无人登录，因此不显示任何计划" in _text(nobody.problem.value)


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


def _loaded(make_form, user, lang="en"):
    """A form opened by ``user`` (logged in; HR unless it is the rep or the rep's supervisor)."""
    f = make_form(lang=lang, user=user, hr=() if user in (REP, BOSS) else (user,))
    f.rep.value = REP
    return f


def test_five_forms_saving_the_version_they_loaded_at_once_store_one_and_lose_nothing(form, make_form, store_url):
    plan_id = form.save().plan_id                         # plan 1, version 1
    forms = []
    for i in range(1, 6):                                 # five people open it ...
        f = _loaded(make_form, f"Saver{i}")
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
        assert store.plan(plan_id).items.loc[0, "measures"].endswith(f"\nExtra step {winner.removeprefix('Saver')}")
    saved = [f for f in forms if "Saved as version 2 of plan 1" in _text(f.save_status.value)]
    refused = [f for f in forms if f not in saved]
    assert len(saved) == 1 and len(refused) == 4
    for f in refused:                                     # told who changed what, their text still in the form
        shown = _text(f.save_status.value)
        assert shown.startswith(f"Not saved: the plan changed after you opened version 1: version 2 (Draft) by "
                                f"{winner}, ")
        assert "Nothing was stored, and what you typed is still in the form." in shown
        assert f.rows[0].typed.value == f"Extra step {f.identity.user.removeprefix('Saver')}" and f.dirty()
        assert f.reload_buttons["save"].layout.display is None and f.version == 1
    loser = refused[0]
    assert loser.save() is None and "Not saved: the plan changed" in _text(loser.save_status.value)  # again: no
    assert loser.reload() is True                         # reload: version 2, the winner's text
    assert "Showing the stored plan 1, version 2" in _text(loser.source.value)
    assert loser.rows[0].typed.value == f"Extra step {winner.removeprefix('Saver')}"
    assert loser.reload_buttons["save"].layout.display == "none" and loser.save_status.value == ""
    loser.rows[0].typed.value += "\nMy step on top"
    assert loser.save().version == 3


def test_a_page_showing_an_old_version_cannot_agree_to_a_newer_one(form, make_form, store_url):
    plan_id = form.save().plan_id
    rep_page = _loaded(make_form, REP)                # the rep opens version 1 ...
    form.rows[0].why.value = "Changed by the supervisor"
    assert form.save().version == 2                       # ... the supervisor changes it meanwhile
    assert rep_page.sign("agreed_by_rep") is None
    shown = _text(rep_page.sign_status.value)
    assert shown.startswith(f"Not signed: the plan changed after you opened version 1: version 2 (Draft) by {BOSS}, ")
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
    assert f"version 3 (Agreed by the rep) by {REP}" in _text(form.save_status.value)
    assert form.rows[1].typed.value == "One more step"


def test_two_people_starting_the_reps_first_plan_store_one_plan(make_form, store_url):
    first, second = _loaded(make_form, BOSS), _loaded(make_form, "hr.li")
    assert first.plan_id is None and second.plan_id is None   # both see the data's draft
    first.rows[0].typed.value, second.rows[0].typed.value = "First's step", "Second's step"
    assert first.save().plan_id == 1
    assert second.save() is None
    shown = _text(second.save_status.value)
    assert shown.startswith(f"Not saved: meanwhile {BOSS} started a plan for this rep with the same date (plan 1, ")
    assert second.rows[0].typed.value == "Second's step" and second.plan_id is None
    with Store(store_url) as store:
        assert len(store.table("plans")) == 1 and len(store.table("versions")) == 1
    second.reload()
    assert second.plan_id == 1 and second.rows[0].typed.value == "First's step"


def test_the_conflict_message_in_chinese(form, make_form):
    form.save()
    other = _loaded(make_form, "hr.li", lang="zh")
    form.rows[0].why.value = "Changed"
    form.save()
    other.rows[0].why.value = "我的修改"
    assert other.save() is None
    shown = _text(other.save_status.value)
    assert shown.startswith(f"未保存：您打开第 1 版后，该计划已有更新：第 2 版（草稿，{BOSS}，")
    assert "您填写的内容仍在表单中" in shown and other.reload_buttons["save"].description == "重新加载计划"
    assert other.rows[0].why.value == "我的修改"


def test_a_read_only_store_reads_and_says_why_it_cannot_save(form, make_form, store_url):
    form.save()
    path = store_url.removeprefix("sqlite:///")
    reader = make_form(url=f"sqlite:///file:{path}?mode=ro&uri=true", user="hr.li", hr=("hr.li",))
    reader.rep.value = REP
    assert "Showing the stored plan 1, version 1" in _text(reader.source.value)   # reading works
    reader.rows[0].why.value = "An edit"
    assert reader.save() is None
    shown = _text(reader.save_status.value)
    assert "the IDP store is read-only (the store URL opens it read-only): plans can still be read" in shown
    assert "restore" not in shown and "Traceback" not in reader.save_status.value


def test_an_unreadable_stored_version_is_named(form, make_form, store_url):
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


def _options(select):
    """The labels of a select's options (nbsp, as the page shows spaces, read as spaces)."""
    return [o.text_content().replace("\xa0", " ") for o in select.locator("option").all()]


def _status(page, text):
    page.locator(".pb-message", has_text=text).first.wait_for(timeout=60000)


HEADER = identity.DEFAULT_USER_HEADER
SAVERS = [f"Saver {i}" for i in range(1, 6)]


@pytest.fixture
def server(serve, tmp_path):
    """Voila on the form as ``playbook app --trusted-proxy --hr R001,Saver 1,…`` serves it, with its own store.

    Voila does not pass notebook parameters: the store comes in ``PLAYBOOK_STORE_URL``; the
    user in the proxy's header, which each test's browser context sends (``extra_http_headers``).
    """
    url = f"sqlite:///{tmp_path / 'browser_store.sqlite'}"
    env = identity.server_env(trusted_proxy=True, hr=",".join([BOSS, *SAVERS]), environ={})
    return serve(APP, env={"PLAYBOOK_STORE_URL": url, **env}), url


@pytest.fixture
def plain_server(serve, tmp_path):
    """Voila on the form as plain ``playbook app`` serves it: no trusted proxy, no Jupyter login."""
    url = f"sqlite:///{tmp_path / 'browser_store.sqlite'}"
    env = identity.server_env(trusted_proxy=False, hr=BOSS, environ={})
    return serve(APP, env={"PLAYBOOK_STORE_URL": url, **env}), url


def _as(browser, user):
    """A page whose requests carry ``user`` in the proxy's header (as the proxy would add it)."""
    return browser.new_context(viewport=VIEWPORT, extra_http_headers={HEADER: user}).new_page()


class TestInBrowser:
    """Each test: its own Voila server and temporary store; each page its own kernel."""

    pytestmark = pytest.mark.slow

    def test_browser_draft_edit_validate_save_sign_review_download(self, server, browser, screenshot, tmp_path):
        url, store_url = server
        page = _as(browser, BOSS)                         # 那振宇: R004's supervisor, and on the HR list
        started = time.monotonic()
        dialogs = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        _open(page, url, f"{REP} · 董文斌")
        _status(page, "No stored plan for 董文斌 yet")
        items = page.get_by_label("Development item", exact=True)
        assert items.count() == 4
        chosen = items.nth(1).locator("option:checked").text_content()
        assert chosen.replace("\xa0", " ") == "New-customer development"  # options show spaces as nbsp
        header = page.locator("table.idp-header").first.inner_text().replace("\xa0", " ")  # money: nbsp
        assert "1,248,191 CNY" in header                  # his sales to date
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
        assert "Logged in as R001 (from the sign-in proxy)" in page.locator(".pb-message").first.inner_text()
        page.get_by_role("button", name="Save").click()
        _status(page, "Saved as version 1 of plan 1 by R001.")
        with Store(store_url) as store:
            hist = store.history(1)
            assert hist[["version", "author", "status"]].values.tolist() == [[1, BOSS, "draft"]]
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

        # sign-off: a step out of order is refused, the rep's step by another is refused
        page.get_by_role("button", name="HR archives").click()
        _status(page, "it cannot go to “Archived by HR” now")
        screenshot(page, "5_bad_step")
        page.get_by_role("button", name="Rep agrees").click()
        _status(page, "Only R004 can take the step “Agreed by the rep” on their own plan")
        # the rep agrees in their own browser; then the supervisor
        rep_page = _as(browser, REP)
        _open(rep_page, url, f"{REP} · 董文斌")
        rep_page.get_by_role("button", name="Rep agrees").click()
        _status(rep_page, "The plan is now “Agreed by the rep” (version 3, by R004)")
        page.reload()
        _open(page, url, f"{REP} · 董文斌")
        _status(page, "Showing the stored plan 1, version 3")
        page.get_by_role("button", name="Supervisor agrees").click()
        _status(page, "The plan is now “Agreed by the supervisor” (version 4")

        # review: the level reached at the review date
        page.get_by_label("Level reached", exact=True).nth(1).select_option(label="3")
        page.get_by_role("button", name="Record review").click()
        _status(page, "Recorded 1 review result(s).")
        page.get_by_text("Recorded: level 3 on 2026-04-01 (R001)").wait_for(timeout=30000)
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

    def test_browser_the_rep_signs_their_own_plan_only_and_the_audit_shows_it(self, server, browser, sample,
                                                                               screenshot):
        url, store_url = server
        with Store(store_url) as store:                   # plans of R004 and R005, saved by their supervisor
            for rep_id in (REP, "R005"):
                store.create_plan(present_idp.word_plan(idp.draft_plan(sample[1], rep_id)), author=BOSS)
        page = _as(browser, REP)
        _open(page, url, f"{REP} · 董文斌")
        assert "Logged in as R004 (from the sign-in proxy): rep R004 · 董文斌." in page.locator(
            ".pb-message").first.inner_text()
        page.get_by_role("button", name="Rep agrees").click()
        _status(page, "The plan is now “Agreed by the rep” (version 2, by R004)")
        audit = page.locator("table.pb-audit")
        audit.locator("td", has_text="Signed: Agreed by the rep").wait_for(timeout=30000)
        rows = [r.inner_text().split("\t") for r in audit.locator("tbody tr").all()]
        assert [(r[1], r[2], r[3]) for r in rows] == [(BOSS, "Saved", "1"), (REP, "Signed: Agreed by the rep", "2")]
        screenshot(page, "1_signed")
        # the picker offers R004 only; a value for R005 forced into the page shows nothing of R005
        rep = page.get_by_label("Rep", exact=True)
        assert _options(rep) == ["— choose a rep —", "R004 · 董文斌"]
        rep.evaluate("""select => {
            const forged = document.createElement("option");
            forged.textContent = "R005"; forged.value = "R005";
            select.appendChild(forged); select.value = "R005";
            select.dispatchEvent(new Event("change", {bubbles: true}));
        }""")
        time.sleep(3)                                     # let the kernel answer, if it shows anything
        shown = page.locator("body").inner_text()
        assert "李彬洋" not in shown and "plan 2" not in shown.lower() and "Traceback" not in shown
        screenshot(page, "2_forged")
        with Store(store_url) as store:
            assert store.history(1)[["version", "status", "author"]].values.tolist() == [
                [1, "draft", BOSS], [2, "agreed_by_rep", REP]]
            assert store.history(2)["status"].tolist() == ["draft"]
        assert "Traceback" not in page.content()

    def test_browser_jupyter_login_is_the_user_when_the_server_requires_one(self, serve, tmp_path, page):
        """Voila's own token login: the hook reads ``handler.current_user``; a token names nobody in the data."""
        env = identity.server_env(environ={})
        url = serve(APP, env={"PLAYBOOK_STORE_URL": f"sqlite:///{tmp_path / 's.sqlite'}", **env},
                    extra=("--token=team-secret",))
        page.goto(f"{url}/?lang=en&token=team-secret", timeout=90000)
        who = page.locator(".pb-message", has_text="Logged in as")
        who.wait_for(timeout=90000)
        assert "(from the Jupyter login): not a rep, supervisor or HR in the data" in who.inner_text()

    def test_browser_five_pages_save_the_same_plan_at_once(self, server, browser, sample, screenshot):
        url, store_url = server
        ds_reps = "R005"
        with Store(store_url) as store:                   # the plan everybody opens: version 1
            first = store.create_plan(present_idp.word_plan(idp.draft_plan(sample[1], ds_reps)), author="setup")
        started = time.monotonic()
        pages = [_as(browser, saver) for saver in SAVERS]  # five HR people, each in their own browser
        for page in pages:                                # five kernels start together
            page.goto(f"{url}/?lang=en", timeout=90000)
        for i, page in enumerate(pages, start=1):
            rep = page.get_by_label("Rep", exact=True)
            rep.locator("option", has_text=ds_reps).wait_for(state="attached", timeout=90000)
            rep.select_option(label=rep.locator("option", has_text=ds_reps).text_content())
            _status(page, "Showing the stored plan 1, version 1")
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
            mine = pages.index(page) + 1
            assert page.get_by_label("Other measures", exact=True).nth(0).input_value() == f"Extra step {mine}"
            assert page.get_by_role("button", name="Reload the plan").count() == 1
        print(f"browser five pages saving at once: {time.monotonic() - started:.1f} s")

    def test_browser_two_pages_the_second_gets_the_conflict_and_keeps_its_text(self, server, browser, sample,
                                                                                 screenshot):
        url, store_url = server
        with Store(store_url) as store:
            store.create_plan(present_idp.word_plan(idp.draft_plan(sample[1], "R006")), author="setup")
        started = time.monotonic()
        first, second = _as(browser, BOSS), _as(browser, "R006")  # R006's supervisor and R006 open version 1
        for page in (first, second):
            _open(page, url, "R006")
            _status(page, "Showing the stored plan 1, version 1")
        first.get_by_label("Other measures", exact=True).nth(0).fill("Ann's step")
        first.get_by_role("button", name="Save").click()
        _status(first, f"Saved as version 2 of plan 1 by {BOSS}.")
        second.get_by_label("Other measures", exact=True).nth(0).fill("Bo's step")
        second.get_by_role("button", name="Save").click()
        _status(second, f"Not saved: the plan changed after you opened version 1: version 2 (Draft) by {BOSS}")
        assert second.get_by_label("Other measures", exact=True).nth(0).input_value() == "Bo's step"
        screenshot(second, "1_conflict")
        second.get_by_role("button", name="Rep agrees").click()  # agreeing to what R006 has not seen: refused too
        _status(second, "You have changes that are not saved")
        with Store(store_url) as store:
            assert store.history(1)["version"].tolist() == [1, 2] and store.table("signoffs").empty
        second.get_by_role("button", name="Reload the plan").click()
        _status(second, "Showing the stored plan 1, version 2")
        assert second.get_by_label("Other measures", exact=True).nth(0).input_value() == "Ann's step"
        second.get_by_role("button", name="Rep agrees").click()
        _status(second, "The plan is now “Agreed by the rep” (version 3, by R006)")
        first.get_by_role("button", name="Supervisor agrees").click()  # the supervisor's page still shows version 2
        _status(first, "Not signed: the plan changed after you opened version 2: version 3 (Agreed by the rep) by R006")
        screenshot(first, "2_stale_sign_off")
        assert "Traceback" not in first.content() + second.content()
        print(f"browser two pages, conflict: {time.monotonic() - started:.1f} s")


    def test_browser_chinese_without_identity_shows_no_plan(self, plain_server, browser, screenshot):
        """No --trusted-proxy: a header sent by the client is nobody's word; no plan is shown, nothing can be done."""
        started = time.monotonic()
        page = _as(browser, "R011")
        page.goto(f"{plain_server[0]}/?lang=zh", timeout=90000)
        _status(page, "当前无人登录")
        assert "playbook app --trusted-proxy" in page.locator(".pb-message", has_text="当前无人登录").inner_text()
        rep = page.get_by_label("销售代表", exact=True)
        assert rep.is_disabled() and _options(rep) == ["— 请选择销售代表 —"]
        assert page.get_by_role("button", name="保存").count() == 0 or not page.get_by_role("button",
                                                                                          name="保存").is_visible()
        assert "彭伟新" not in page.locator("body").inner_text() and "Traceback" not in page.content()
        screenshot(page)
        print(f"browser zh: {time.monotonic() - started:.1f} s")
