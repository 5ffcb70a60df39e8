"""Who is logged in (the prelaunch hook, with fake request handlers) and what they may sign (roles from the data)."""

from types import SimpleNamespace

import nbformat
import pandas as pd
import pytest
from click.testing import CliRunner
from tornado.httputil import HTTPHeaders

from playbook import cli
from playbook.apps import identity
from playbook.apps.identity import Identity, Roles, may_edit, may_see, refusal, request_identity, roles, visible_reps
from playbook.core import paths

REPS = pd.DataFrame({
    "rep_id": ["R1", "R2", "R3", "R4"],
    "name": ["Li", "Wu", "Zhao", "Qian"],
    "manager_id": [None, "R1", "R1", "R2"],
})


def _handler(headers=None, *, user=None, auth=False):
    """A stand-in for Voila's request handler: its request's headers, current_user, identity provider."""
    return SimpleNamespace(request=SimpleNamespace(headers=HTTPHeaders(headers or {})), current_user=user,
                           identity_provider=SimpleNamespace(auth_enabled=auth))


# --------------------------------------------------------------------------- the request

def test_the_proxy_header_is_the_user_only_with_a_trusted_proxy():
    h = _handler({"X-Forwarded-User": " ann@corp "}, user=SimpleNamespace(username="jupyter-ann"), auth=True)
    assert request_identity(h, trusted_proxy=True) == Identity("ann@corp", "proxy")
    assert request_identity(h) == Identity("jupyter-ann", "jupyter")     # the header is not read ...
    assert "X-Forwarded-User" not in h.request.headers                  # ... and is removed


def test_a_configured_header_name_is_read_case_insensitively():
    h = _handler({"x-remote-user": "wu"})
    assert request_identity(h, trusted_proxy=True, user_header="X-Remote-User") == Identity("wu", "proxy")
    assert request_identity(h, trusted_proxy=True) == Identity()         # the default header is absent


def test_a_stripped_header_never_falls_back_and_bad_values_are_nobody():
    assert request_identity(_handler({}, user=SimpleNamespace(username="x"), auth=True),
                            trusted_proxy=True) == Identity()
    for bad in ("", "   ", "ann\nbob", "a" * 201):
        assert request_identity(_handler({"X-Forwarded-User": bad}), trusted_proxy=True) == Identity(), bad


@pytest.mark.parametrize(("user", "auth", "expected"), [
    (SimpleNamespace(username="li", name="Li"), True, Identity("li", "jupyter")),
    ({"name": "hub-user"}, True, Identity("hub-user", "jupyter")),           # JupyterHub's user model
    ("plain", True, Identity("plain", "jupyter")),
    (SimpleNamespace(username="3f2a"), False, Identity()),                   # no login required: a guest
    (None, True, Identity()),
], ids=["user", "hub", "str", "no-login", "none"])
def test_jupyter_servers_login_is_the_user_when_the_server_requires_one(user, auth, expected):
    assert request_identity(_handler(user=user, auth=auth)) == expected


def _notebook():
    return nbformat.read(paths.APPS_DIR / "idp_form.ipynb", as_version=4)


def test_the_hook_injects_the_user_after_the_parameters_cell(monkeypatch):
    monkeypatch.setenv(identity.ENV_TRUSTED_PROXY, "1")
    monkeypatch.setenv(identity.ENV_USER_HEADER, "X-Forwarded-User")
    nb = identity.prelaunch_hook(_handler({"X-Forwarded-User": 'o"brien\\'}), _notebook(), "")
    cell = nb.cells[1]
    assert cell.metadata["tags"] == ["injected-parameters"]
    scope = {}
    exec(nb.cells[0].source + "\n" + cell.source, scope)                 # noqa: S102 - our own cells
    assert (scope["user"], scope["identity_source"]) == ('o"brien\\', "proxy")


def test_the_hook_without_a_trusted_proxy_injects_nobody(monkeypatch):
    monkeypatch.delenv(identity.ENV_TRUSTED_PROXY, raising=False)
    nb = identity.prelaunch_hook(_handler({"X-Forwarded-User": "R001"}), _notebook(), "")
    scope = {}
    exec(nb.cells[0].source + "\n" + nb.cells[1].source, scope)          # noqa: S102 - our own cells
    assert (scope["user"], scope["identity_source"]) == ("", "")


def test_a_notebook_without_a_user_parameter_is_left_alone():
    nb = nbformat.read(paths.APPS_DIR / "home.ipynb", as_version=4)
    before = len(nb.cells)
    assert identity.inject_identity(nb, Identity("R001", "proxy")) is False and len(nb.cells) == before


def test_the_app_folder_installs_the_hook():
    assert "c.VoilaConfiguration.prelaunch_hook = prelaunch_hook" in (paths.APPS_DIR / "voila.py").read_text()


def test_server_env_trusts_the_proxy_only_when_asked():
    assert identity.server_env(environ={identity.ENV_TRUSTED_PROXY: "1"})[identity.ENV_TRUSTED_PROXY] == ""
    env = identity.server_env(trusted_proxy=True, user_header="X-Remote-User", hr="b, a", environ={})
    assert env == {"PLAYBOOK_TRUSTED_PROXY": "1", "PLAYBOOK_USER_HEADER": "X-Remote-User",
                   "PLAYBOOK_HR_USERS": "b,a"}


def test_hr_users_come_from_the_environment_by_default(monkeypatch):
    monkeypatch.setenv(identity.ENV_HR_USERS, "hr.li,hr.wu,hr.li")
    assert identity.hr_users() == ("hr.li", "hr.wu") and identity.hr_users([]) == ()


# --------------------------------------------------------------------------- the roles

def test_roles_from_rep_id_direct_reports_and_the_hr_list():
    assert roles("R1", REPS, hr_users=["hr"]) == Roles("R1", "R1", "Li", frozenset({"R2", "R3"}), False,
                                                       team=frozenset({"R2", "R3", "R4"}))
    assert roles(" r2 ", REPS) == Roles("r2", "R2", "Wu", frozenset({"R4"}), False, team=frozenset({"R4"}))
    assert roles("hr", REPS, hr_users=["HR"]) == Roles("hr", hr=True)
    assert roles("", REPS, hr_users=[""]) == Roles() and roles("nobody", REPS) == Roles("nobody")


def test_a_login_column_replaces_the_rep_id_and_a_duplicate_login_is_nobodys():
    reps = REPS.assign(login=["li@corp", "wu@corp", "dup@corp", "dup@corp"])
    assert roles("LI@CORP", reps).rep_id == "R1" and roles("R1", reps).rep_id is None
    assert roles("dup@corp", reps) == Roles("dup@corp")


@pytest.mark.parametrize(("user", "step", "plan_rep", "expected"), [
    ("R2", "agreed_by_rep", "R2", None),
    ("R3", "agreed_by_rep", "R2", "not_own_plan"),
    ("R1", "agreed_by_rep", "R2", "not_own_plan"),            # the supervisor does not sign for the rep
    ("R1", "agreed_by_supervisor", "R2", None),
    ("R1", "agreed_by_supervisor", "R4", "not_direct_report"),  # R4 reports to R2, not R1
    ("R2", "agreed_by_supervisor", "R2", "not_direct_report"),  # nobody agrees as their own supervisor
    ("hr", "archived_by_hr", "R2", None),
    ("R1", "archived_by_hr", "R2", "not_hr"),
    ("", "agreed_by_rep", "R2", "no_identity"),
], ids=["own", "other-rep", "boss-as-rep", "boss", "skip-level", "self-as-boss", "hr", "not-hr", "nobody"])
def test_who_may_take_each_sign_off_step(user, step, plan_rep, expected):
    assert refusal(roles(user, REPS, hr_users=["hr"]), step, plan_rep) == expected


def test_who_may_change_a_plan():
    got = {u: may_edit(roles(u, REPS, hr_users=["hr"]), "R2") for u in ("R1", "R2", "R3", "R4", "hr", "x", "")}
    assert got == {"R1": True, "R2": True, "R3": False, "R4": False, "hr": True, "x": False, "": False}


# --------------------------------------------------------------------------- playbook app

def test_playbook_app_passes_the_identity_settings_to_voila(monkeypatch):
    calls = []

    def serve(cmd, *, cwd, env, ready, **_options):
        calls.append((cmd, str(cwd), env))
        ready()
        return 0

    monkeypatch.setattr(cli.server, "serve", serve)
    monkeypatch.setattr(cli.server, "check_port", lambda *args: None)
    monkeypatch.setattr(cli.extras, "require", lambda *args: None)
    monkeypatch.setenv(identity.ENV_TRUSTED_PROXY, "1")          # left in the shell: not trusted by itself
    monkeypatch.setenv(identity.ENV_HR_USERS, "hr.wu")
    plain = CliRunner().invoke(cli.main, ["app"])
    trusted = CliRunner().invoke(cli.main, ["app", "--trusted-proxy", "--user-header", "X-Remote-User",
                                            "--hr", "hr.li"])
    assert (plain.exit_code, trusted.exit_code) == (0, 0)
    assert "Identity: the Jupyter login, if one is set; HR: hr.wu" in plain.output
    assert "Identity: the X-Remote-User header of the proxy; HR: hr.wu,hr.li" in trusted.output
    (_, cwd, env_plain), (_, _, env_trusted) = calls
    assert cwd == str(paths.APPS_DIR)                             # where voila.py installs the hook
    assert env_plain[identity.ENV_TRUSTED_PROXY] == "" and env_trusted[identity.ENV_TRUSTED_PROXY] == "1"
    assert (env_trusted[identity.ENV_USER_HEADER], env_trusted[identity.ENV_HR_USERS]) == (
        "X-Remote-User", "hr.wu,hr.li")


# --------------------------------------------------------------------------- who may see whom

@pytest.mark.parametrize(("user", "seen"), [
    ("R1", ["R1", "R2", "R3", "R4"]),   # R2 and R3 report to R1, R4 to R2: an indirect report
    ("R2", ["R2", "R4"]),               # a supervisor: themselves and their direct report
    ("R3", ["R3"]),                     # a rep: themselves only
    ("R4", ["R4"]),
    ("hr", ["R1", "R2", "R3", "R4", "R9"]),  # HR: everyone, even a rep the data do not list
    ("stranger", []),                   # a login that is nobody in the data
    ("", []),                           # no identity: nobody
], ids=["top", "supervisor", "rep", "leaf", "hr", "unknown", "anonymous"])
def test_who_may_see_whom(user, seen):
    who = roles(user, REPS, hr_users=["hr"])
    assert visible_reps(who, ["R1", "R2", "R3", "R4", "R9"]) == seen


def test_may_see_refuses_empty_and_odd_values_and_survives_a_loop_in_the_data():
    looped = pd.DataFrame({"rep_id": ["A", "B", "C", "D"], "manager_id": ["C", "A", "B", None]})
    a = roles("A", looped)                                # A -> B -> C -> A: the loop ends, A is not their own report
    assert (a.reports, a.team) == (frozenset({"B"}), frozenset({"B", "C"}))
    assert [may_see(a, r) for r in ("A", "B", "C", "D", None, "", " B ")] == [True, True, True, False, False,
                                                                               False, True]
    assert not may_see(Roles(rep_id="R1"), "R1")         # a role without a user is nobody's
    assert roles("R3", REPS.drop(columns="manager_id")) == Roles("R3", "R3", "Zhao")


# --------------------------------------------------------------------------- the figures an app may show

ORDERS = pd.DataFrame({"order_id": ["o1", "o2", "o3", "o4", "o5", "o6"],
                       "rep_id": ["R1", "R2", "R3", "R4", " R4 ", None],
                       "amount": [10, 20, 30, 40, 50, 60]})


@pytest.mark.parametrize(("user", "hr", "orders"), [
    ("R4", (), ["o4", "o5"]),                         # a rep: their own rows (an id with spaces is theirs too)
    ("R2", (), ["o2", "o4", "o5"]),                   # R2 manages R4
    ("r1", (), ["o1", "o2", "o3", "o4", "o5"]),       # R1: R2, R3 and, through R2, R4; a row without a rep: nobody's
    ("hr.li", ("hr.li",), ["o1", "o2", "o3", "o4", "o5", "o6"]),  # HR: every row, as the data has it
    ("guest", (), []),                                 # a login the data do not know
    ("", ("",), []),                                   # nobody logged in
], ids=["rep", "supervisor", "chain", "hr", "unknown", "anonymous"])
def test_visible_rows_keep_only_the_reps_the_user_may_see(user, hr, orders):
    who = identity.viewer(user, REPS, hr=hr)
    assert identity.visible_rows(who, ORDERS)["order_id"].tolist() == orders


def test_visible_rows_read_another_column_and_keep_the_frame_shape():
    customers = pd.DataFrame({"customer_id": ["C1", "C2"], "owner_rep_id": ["R3", "R2"]})
    kept = identity.visible_rows(Roles("R3", rep_id="R3"), customers, column="owner_rep_id")
    assert kept.to_dict("list") == {"customer_id": ["C1"], "owner_rep_id": ["R3"]}
    assert list(identity.visible_rows(Roles(), customers).columns) == ["customer_id", "owner_rep_id"]


def test_check_visible_names_who_and_whom_in_both_languages():
    from playbook.core.errors import PlaybookError
    from playbook.present.messages import message

    with pytest.raises(PlaybookError) as caught:
        identity.check_visible(identity.viewer("R3", REPS, hr=()), "R4")
    assert caught.value.code == "access.not_visible"
    assert message(caught.value, "en").startswith("You (R3) may not see the figures of R4:")
    assert message(caught.value, "zh").startswith("您（R3）不能查看 R4 的数据")
    with pytest.raises(PlaybookError) as caught:
        identity.check_visible(Roles(), "R4")
    assert caught.value.code == "access.no_identity" and "当前无人登录" in message(caught.value, "zh")
    identity.check_visible(identity.viewer("R1", REPS, hr=()), "R4")  # down the chain: no error


def test_check_someone_refuses_anonymous_and_unknown_logins():
    from playbook.core.errors import PlaybookError

    for who, code in ((Roles(), "access.no_identity"), (Roles("guest"), "access.no_rep")):
        with pytest.raises(PlaybookError) as caught:
            identity.check_someone(who)
        assert caught.value.code == code
    identity.check_someone(Roles("hr", hr=True))


@pytest.mark.parametrize(("who", "lang", "text"), [
    (Roles(), "zh", "当前无人登录，因此不显示任何销售代表的数据"),
    (Roles("R4", rep_id="R4"), "en", "Logged in as R4: your own figures are shown, nobody else's."),
    (Roles("R1", rep_id="R1", team=frozenset({"R2", "R3", "R4"})), "zh", "显示您本人及您下属 3 名销售代表的数据"),
    (Roles("hr.li", hr=True), "en", "HR: every rep's figures are shown."),
    (Roles("guest"), "en", "this login is no rep in the data and not on the HR list"),
], ids=["anonymous", "rep", "supervisor", "hr", "unknown"])
def test_the_access_box_says_whose_figures_are_shown(who, lang, text):
    import html

    from playbook.apps import access_html

    assert text in html.unescape(access_html(who, lang))
    assert access_html(Roles("<b>"), "en").count("<b>") == 0  # escaped
