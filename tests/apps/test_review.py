"""Weekly review app: the IDP reviews due list only the reps the logged-in user may see.

Plans of R004 (董文斌, reports to R001) and R011 (彭伟新, reports to R008) are stored from
the data's draft: reviewed on 2026-04-01 (see tests/apps/test_idp.py), so both are due in April 2026.
"""

import datetime

import nbformat
import pytest

from playbook import idp
from playbook.apps import identity
from playbook.apps.review import WeeklyReview
from playbook.core import paths
from playbook.core.labels import t
from playbook.pipeline.store import Store
from playbook.present import idp as present_idp


@pytest.fixture(scope="module")
def store_url(sample_dataset, tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('review') / 'idp.sqlite'}"
    evidence = idp.dataset_evidence(sample_dataset)
    with Store(url) as store:
        for rep_id in ("R004", "R011"):
            store.create_plan(present_idp.word_plan(idp.draft_plan(evidence, rep_id)), author="setup")
    return url


def _due(store_url, user, hr=()):
    """The reviews-due section of the cockpit on 2026-04-15 as ``user`` sees it."""
    form = WeeklyReview("data/sample", lang="en", store_url=store_url, user=user, hr_users=hr)
    form.as_of.value = datetime.date(2026, 4, 15)
    assert form.show()
    html = "".join(str(o.get("data", {}).get("text/html", "")) for o in form.out.outputs)
    return html.split(t("review.reviews_due", "en"), 1)[1]


@pytest.mark.parametrize(("user", "hr", "seen"), [
    ("R004", (), {"R004"}),                 # a rep: their own items only
    ("R001", (), {"R004"}),                 # R004's supervisor: not R011 of another team
    ("R008", (), {"R011"}),
    ("hr.li", ("hr.li",), {"R004", "R011"}),
    ("guest", (), set()),                   # a login that is nobody in the data
], ids=["rep", "supervisor", "other-supervisor", "hr", "unknown"])
def test_reviews_due_list_only_the_reps_the_user_may_see(store_url, user, hr, seen):
    due = _due(store_url, user, hr)
    assert {r for r in ("R004", "R011") if r in due} == seen
    if not seen:
        assert t("review.no_reviews", "en") in due


def test_without_identity_no_review_is_listed_and_the_page_says_why(store_url):
    due = _due(store_url, "")
    assert "R004" not in due and "R011" not in due
    assert "IDP reviews are shown to a named login only" in due


def test_the_server_hands_the_user_to_the_weekly_review_page():
    nb = nbformat.read(paths.APPS_DIR / "weekly_review.ipynb", as_version=4)
    assert identity.inject_identity(nb, identity.Identity("R001", "proxy"))
    scope = {}
    exec(nb.cells[0].source + "\n" + nb.cells[1].source, scope)          # noqa: S102 - our own cells
    assert scope["user"] == "R001"


@pytest.mark.parametrize(("user", "reps"), [
    ("R004", {"R004"}),                                          # a rep: their own rows
    ("R008", {"R008", "R009", "R010", "R011", "R012", "R013", "R014", "R024"}),  # 华北一组's manager
    ("", set()),                                                 # nobody logged in: no section at all
], ids=["rep", "supervisor", "anonymous"])
def test_team_sections_hold_only_the_reps_the_user_may_see(store_url, sample_dataset, user, reps):
    import re

    form = WeeklyReview("data/sample", lang="en", store_url=store_url, user=user, hr_users=())
    assert form.show()
    html = "".join(str(o.get("data", {}).get("text/html", "")) for o in form.out.outputs)
    assert set(re.findall(r"R0\d\d", html)) <= reps
    others = sample_dataset.reps.loc[~sample_dataset.reps["rep_id"].isin(reps)]
    assert not any(name in html for name in others["name"])
    teams = sorted(sample_dataset.reps.loc[sample_dataset.reps["rep_id"].isin(reps), "team"].unique())
    assert [v for _, v in form.team.options] == ["", *teams]
    assert (t("review.stuck", "en") in html) == bool(reps)
