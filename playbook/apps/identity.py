"""Who is logged in, and what they may sign: identity from a trusted source, roles from the data.

The apps never ask for a name. The user comes from one of two trusted sources, read by
Voila's ``prelaunch_hook`` (called with the page's request handler before the page's
kernel starts) and handed to the notebook as an injected cell after its parameters:

1. **an authenticating reverse proxy** (SSO, oauth2-proxy, nginx ``auth_request``): its
   header, ``X-Forwarded-User`` by default, read only when the server was started with
   ``playbook app --trusted-proxy`` (:data:`ENV_TRUSTED_PROXY`); otherwise the header is
   removed from the request and never read;
2. **Jupyter Server's own login** (``handler.current_user``) when the server requires a
   login (token, password, or an identity provider such as JupyterHub's).

Without either, the user is empty and the IDP form is read-only (it says how to enable
identity). Roles come from the data (:func:`roles`): a rep is the row of ``reps`` whose
``login`` (when the column exists, else ``rep_id``) is the user; a supervisor signs for
the reps whose ``manager_id`` is theirs; HR is a configured list (``--hr`` or
``$PLAYBOOK_HR_USERS``).

Who may see a rep's plan, history, figures and reports is one rule, :func:`may_see`: the
rep themselves, every supervisor above them along the ``manager_id`` chain (direct and
indirect reports: a regional manager sees the teams of their team leads) and HR. Nobody
else, and nobody at all without identity: an anonymous page shows no plan.

Examples
--------
>>> import pandas as pd
>>> reps = pd.DataFrame({"rep_id": ["R1", "R2", "R3"], "manager_id": [None, "R1", "R1"]})
>>> boss = roles("r1", reps, hr_users=["hr.li"])
>>> boss.rep_id, sorted(boss.reports), boss.hr
('R1', ['R2', 'R3'], False)
>>> refusal(boss, "agreed_by_supervisor", "R2"), refusal(boss, "agreed_by_rep", "R2")
(None, 'not_own_plan')
>>> may_see(boss, "R3"), may_see(roles("r2", reps), "R3"), may_see(roles("", reps), "R2")
(True, False, False)
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from playbook.core.errors import PlaybookError

__all__ = [
    "DEFAULT_USER_HEADER",
    "ENV_TRUSTED_PROXY",
    "ENV_USER_HEADER",
    "ENV_HR_USERS",
    "Identity",
    "clean_user",
    "Roles",
    "request_identity",
    "prelaunch_hook",
    "server_env",
    "inject_identity",
    "hr_users",
    "roles",
    "refusal",
    "may_edit",
    "may_see",
    "visible_reps",
    "viewer",
    "visible_rows",
    "check_visible",
    "check_someone",
]

DEFAULT_USER_HEADER = "X-Forwarded-User"
"""The header an authenticating proxy sets by default."""
ENV_TRUSTED_PROXY = "PLAYBOOK_TRUSTED_PROXY"
"""Set to ``1`` by ``playbook app --trusted-proxy``: the Voila server reads the proxy's header."""
ENV_USER_HEADER = "PLAYBOOK_USER_HEADER"
"""The proxy's header name (``playbook app --user-header``); :data:`DEFAULT_USER_HEADER` when empty."""
ENV_HR_USERS = "PLAYBOOK_HR_USERS"
#: The data folder the apps read (``playbook app --data``); empty: each app's default.
ENV_DATA = "PLAYBOOK_DATA"
"""Comma-separated HR logins (``playbook app --hr``)."""

_MAX_USER = 200  # the store's author column
_BAD = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Identity:
    """The authenticated user of a page: ``user`` ("" when unknown) and its ``source``.

    ``source`` is ``"proxy"`` (the trusted proxy's header), ``"jupyter"`` (Jupyter Server's
    login) or ``""`` (no identity: the forms are read-only).
    """

    user: str = ""
    source: str = ""


def clean_user(value: object) -> str:
    """Return a login as text: stripped, no control characters, at most 200 characters ("" when unusable)."""
    if not isinstance(value, str):
        return ""
    text = value.strip()
    return "" if not text or len(text) > _MAX_USER or _BAD.search(text) else text


def _jupyter_user(handler: Any) -> str:
    """Return the user Jupyter Server authenticated, "" when the server asks for no login."""
    provider = getattr(handler, "identity_provider", None)
    if provider is None or not getattr(provider, "auth_enabled", False):
        return ""  # no token, no password: every visitor is an anonymous guest
    user = getattr(handler, "current_user", None)
    if isinstance(user, dict):  # JupyterHub's model
        return clean_user(user.get("name"))
    if isinstance(user, str):
        return clean_user(user)
    return clean_user(getattr(user, "username", None))


def request_identity(handler: Any, *, trusted_proxy: bool = False,
                     user_header: str = DEFAULT_USER_HEADER) -> Identity:
    """Return who sent the request ``handler`` serves.

    With ``trusted_proxy`` the proxy's header ``user_header`` is the user (no header: no
    identity; the proxy must set it on every request). Without it the header is removed
    from the request, never read, and the user is the one Jupyter Server's login
    authenticated (none when the server requires no login).

    Parameters
    ----------
    handler : tornado.web.RequestHandler
        The page's request handler (Voila passes it to the prelaunch hook).
    trusted_proxy : bool
        True only when an authenticating proxy sits in front and strips the header
        from what clients send.
    user_header : str
        The proxy's header.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> req = SimpleNamespace(headers={"X-Forwarded-User": "ann"})
    >>> request_identity(SimpleNamespace(request=req), trusted_proxy=True)
    Identity(user='ann', source='proxy')
    >>> request_identity(SimpleNamespace(request=req)), req.headers
    (Identity(user='', source=''), {})
    """
    headers = handler.request.headers
    name = user_header or DEFAULT_USER_HEADER
    if trusted_proxy:
        user = clean_user(headers.get(name))
        return Identity(user, "proxy") if user else Identity()
    for key in [k for k in headers if k.lower() == name.lower()]:
        del headers[key]  # a client can send any header: without a trusted proxy it is nobody's word
    user = _jupyter_user(handler)
    return Identity(user, "jupyter") if user else Identity()


def inject_identity(notebook: Any, identity: Identity) -> bool:
    """Add a cell setting ``user`` and ``identity_source`` after the notebook's parameters cell.

    Only a notebook whose ``parameters`` cell declares ``user`` receives it (the others are
    left as they are). Returns True when the cell was added.

    Examples
    --------
    >>> import nbformat
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
    ...     'user: str = ""', metadata={"tags": ["parameters"]}), nbformat.v4.new_code_cell("x = 1")])
    >>> inject_identity(nb, Identity("o'brien", "proxy"))
    True
    >>> print(nb.cells[1].source)
    # injected by playbook.apps.identity: the authenticated user, never typed
    user = "o'brien"
    identity_source = 'proxy'
    """
    cells = notebook.cells
    at = next((i for i, c in enumerate(cells) if "parameters" in c.get("metadata", {}).get("tags", [])), None)
    if at is None or not re.search(r"^user\s*[:=]", cells[at].source, flags=re.M):
        return False
    source = ("# injected by playbook.apps.identity: the authenticated user, never typed\n"
              f"user = {identity.user!r}\nidentity_source = {identity.source!r}")
    _insert_cell(cells, at + 1, source)
    return True


def _insert_cell(cells: list, at: int, source: str) -> None:
    """Insert an injected code cell at ``at``, shaped like the notebook's own cells."""
    node = type(cells[at - 1])  # nbformat's NotebookNode, without importing nbformat in every app's kernel
    cells.insert(at, node(id=uuid.uuid4().hex[:8], cell_type="code", source=source, outputs=[],
                          execution_count=None, metadata=node(tags=["injected-parameters"])))


def inject_data(notebook: Any, data_dir: str) -> bool:
    """Add a cell setting ``data_dir`` after the parameters cell (``playbook app --data``).

    Only a notebook whose ``parameters`` cell declares ``data_dir`` receives it.

    Examples
    --------
    >>> import nbformat
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
    ...     'data_dir: str = "data/sample"', metadata={"tags": ["parameters"]})])
    >>> inject_data(nb, "/srv/crm"), nb.cells[1].source.splitlines()[-1]
    (True, "data_dir = '/srv/crm'")
    """
    cells = notebook.cells
    at = next((i for i, c in enumerate(cells) if "parameters" in c.get("metadata", {}).get("tags", [])), None)
    if at is None or not data_dir or not re.search(r"^data_dir\s*[:=]", cells[at].source, flags=re.M):
        return False
    source = ("# injected by playbook.apps.identity: the server's data folder (playbook app --data)\n"
              f"data_dir = {data_dir!r}")
    _insert_cell(cells, at + 1, source)
    return True


def prelaunch_hook(handler: Any, notebook: Any, cwd: str = "") -> Any:
    """Voila's ``VoilaConfiguration.prelaunch_hook``: put the page's authenticated user in its notebook.

    Reads :data:`ENV_TRUSTED_PROXY` and :data:`ENV_USER_HEADER` of the Voila server
    (``playbook app`` sets them) and calls :func:`request_identity` and
    :func:`inject_identity`. Voila loads the notebook afresh for each page, so each page
    gets its own user. ``notebooks/apps/voila.py`` installs it.
    """
    trusted = os.environ.get(ENV_TRUSTED_PROXY, "").strip().lower() in ("1", "true", "yes")
    who = request_identity(handler, trusted_proxy=trusted,
                           user_header=os.environ.get(ENV_USER_HEADER, "") or DEFAULT_USER_HEADER)
    inject_identity(notebook, who)
    inject_data(notebook, os.environ.get(ENV_DATA, ""))
    return notebook


def hr_users(value: str | Iterable[str] | None = None) -> tuple[str, ...]:
    """Return the HR logins: ``value`` (comma-separated text or a list), else ``$PLAYBOOK_HR_USERS``.

    Examples
    --------
    >>> hr_users(" hr.li, ,hr.wang ")
    ('hr.li', 'hr.wang')
    """
    if value is None:
        value = os.environ.get(ENV_HR_USERS, "")
    parts = value.split(",") if isinstance(value, str) else list(value)
    return tuple(dict.fromkeys(p for p in (clean_user(str(x)) for x in parts) if p))


def server_env(*, trusted_proxy: bool = False, user_header: str = DEFAULT_USER_HEADER, hr: str = "",
               environ: dict[str, str] | None = None) -> dict[str, str]:
    """Return the environment variables ``playbook app`` gives the Voila server (and so its kernels).

    The proxy's header is trusted only when ``trusted_proxy`` is given here: a
    ``PLAYBOOK_TRUSTED_PROXY`` left in the shell is overridden. ``hr`` is added to the HR
    list already in ``environ`` (default ``os.environ``).

    Examples
    --------
    >>> env = server_env(hr="hr.li", environ={"PLAYBOOK_TRUSTED_PROXY": "1", "PLAYBOOK_HR_USERS": "hr.wu"})
    >>> env == {"PLAYBOOK_TRUSTED_PROXY": "", "PLAYBOOK_USER_HEADER": "X-Forwarded-User",
    ...         "PLAYBOOK_HR_USERS": "hr.wu,hr.li"}
    True
    """
    environ = os.environ if environ is None else environ
    return {ENV_TRUSTED_PROXY: "1" if trusted_proxy else "",
            ENV_USER_HEADER: user_header or DEFAULT_USER_HEADER,
            ENV_HR_USERS: ",".join(hr_users(",".join([environ.get(ENV_HR_USERS, ""), hr])))}


@dataclass(frozen=True)
class Roles:
    """What a user is in the data: their ``rep_id`` (or None), their direct ``reports``, ``hr`` or not.

    ``team`` is every rep below them along the ``manager_id`` chain (direct and indirect
    reports): whose plans they may see (:func:`may_see`).
    """

    user: str = ""
    rep_id: str | None = None
    name: str = ""
    reports: frozenset[str] = field(default_factory=frozenset)
    hr: bool = False
    team: frozenset[str] = field(default_factory=frozenset)


def roles(user: str, reps: pd.DataFrame, *, hr_users: Iterable[str] = (), login_column: str = "login") -> Roles:
    """Return the roles of ``user`` from the reps table and the HR list.

    The user is the rep whose ``login_column`` (when ``reps`` has it, else ``rep_id``)
    equals ``user``, ignoring case and surrounding spaces; a login found on more than one
    row is nobody's. Their reports are the reps whose ``manager_id`` is their ``rep_id``;
    their team, the reports and, recursively, the reports' reports (a loop in the data
    ends where it closes; the user is never in their own team).

    Examples
    --------
    >>> reps = pd.DataFrame({"rep_id": ["R1", "R2", "R3"], "name": ["Li", "Wu", "Qi"],
    ...                      "manager_id": [None, "R1", "R2"], "login": ["li@corp", "wu@corp", "qi@corp"]})
    >>> li = roles("LI@corp", reps)
    >>> li.rep_id, li.name, sorted(li.reports), sorted(li.team), li.hr
    ('R1', 'Li', ['R2'], ['R2', 'R3'], False)
    >>> roles("R1", reps).rep_id is None, roles("hr", reps, hr_users=["HR"]).hr
    (True, True)
    """
    user = clean_user(user)
    if not user:
        return Roles()
    hr = user.casefold() in {h.casefold() for h in hr_users}
    column = login_column if login_column in reps.columns else "rep_id"
    logins = reps[column].astype("string").str.strip().str.casefold()
    match = reps.loc[logins == user.casefold()]
    if len(match) != 1:
        return Roles(user=user, hr=hr)
    rep_id = str(match["rep_id"].iloc[0])
    name = str(match["name"].iloc[0]) if "name" in match else ""
    managers = (reps["manager_id"].astype("string").str.strip() if "manager_id" in reps
                else pd.Series(pd.NA, index=reps.index, dtype="string"))
    below: dict[str, set[str]] = {}
    for rep, boss in zip(reps["rep_id"].astype(str).str.strip(), managers, strict=True):
        if not pd.isna(boss):
            below.setdefault(str(boss), set()).add(rep)
    reports = frozenset(below.get(rep_id, ()))
    team: set[str] = set()
    todo = list(reports)
    while todo:  # down the manager_id chain; a loop stops at a rep already seen
        rep = todo.pop()
        if rep != rep_id and rep not in team:
            team.add(rep)
            todo.extend(below.get(rep, ()))
    return Roles(user=user, rep_id=rep_id, name=name, reports=reports, hr=hr, team=frozenset(team))


_NEEDS = {"agreed_by_rep": "not_own_plan", "agreed_by_supervisor": "not_direct_report", "archived_by_hr": "not_hr"}


def refusal(who: Roles, step: str, plan_rep_id: str) -> str | None:
    """Return why ``who`` may not take the sign-off ``step`` on a plan of ``plan_rep_id`` (None: they may).

    ``agreed_by_rep``: the plan's rep only; ``agreed_by_supervisor``: the rep's direct
    supervisor only; ``archived_by_hr``: a user of the HR list only. Codes: ``no_identity``,
    ``not_own_plan``, ``not_direct_report``, ``not_hr``.

    Examples
    --------
    >>> rep = Roles("R2", rep_id="R2")
    >>> refusal(rep, "agreed_by_rep", "R2"), refusal(rep, "agreed_by_rep", "R3"), refusal(Roles(), "x", "R2")
    (None, 'not_own_plan', 'no_identity')
    """
    if not who.user:
        return "no_identity"
    allowed = {"agreed_by_rep": who.rep_id == str(plan_rep_id),
               "agreed_by_supervisor": str(plan_rep_id) in who.reports,
               "archived_by_hr": who.hr}.get(step, False)
    return None if allowed else _NEEDS.get(step, "not_allowed")


def may_edit(who: Roles, plan_rep_id: str) -> bool:
    """Return True when ``who`` may save a plan of ``plan_rep_id``: the rep, their supervisor or HR.

    Examples
    --------
    >>> may_edit(Roles("R1", rep_id="R1", reports=frozenset({"R2"})), "R2"), may_edit(Roles("x"), "R2")
    (True, False)
    """
    return bool(who.user) and (who.hr or who.rep_id == str(plan_rep_id) or str(plan_rep_id) in who.reports)


def may_see(who: Roles, rep_id: object) -> bool:
    """Return True when ``who`` may see the plan, history, figures and reports of ``rep_id``.

    The rule of every per-rep view: the rep themselves, a supervisor above them (their
    :attr:`Roles.team`, direct and indirect reports) and HR. Nobody without identity, and
    nobody the data do not know (a login that is no rep and not on the HR list).

    Examples
    --------
    >>> boss = Roles("li", rep_id="R1", reports=frozenset({"R2"}), team=frozenset({"R2", "R3"}))
    >>> [may_see(boss, r) for r in ("R1", "R2", "R3", "R4")]
    [True, True, True, False]
    >>> may_see(Roles("R4", rep_id="R4"), "R4"), may_see(Roles("hr", hr=True), "R9"), may_see(Roles(), "R1")
    (True, True, False)
    """
    if not who.user or rep_id is None:
        return False
    rep = str(rep_id).strip()
    return bool(rep) and (who.hr or rep == who.rep_id or rep in who.team)


def visible_reps(who: Roles, rep_ids: Iterable[object]) -> list[str]:
    """Return the reps of ``rep_ids`` (in their order) that ``who`` may see (:func:`may_see`).

    Examples
    --------
    >>> visible_reps(Roles("R2", rep_id="R2"), ["R1", "R2", "R3"]), visible_reps(Roles(), ["R1"])
    (['R2'], [])
    """
    return [str(r) for r in rep_ids if may_see(who, r)]


def viewer(user: str, reps: pd.DataFrame, *, hr: str | Iterable[str] | None = None) -> Roles:
    """Return the roles of the page's logged-in ``user`` (HR list: ``hr``, else ``$PLAYBOOK_HR_USERS``).

    Every app that shows a rep's figures starts here: ``user`` is what the server injected
    (:func:`prelaunch_hook`), never a value of the page.

    Examples
    --------
    >>> reps = pd.DataFrame({"rep_id": ["R1", "R2"], "manager_id": [None, "R1"]})
    >>> viewer("R1", reps, hr=()).team, viewer("hr.li", reps, hr="hr.li").hr, viewer("", reps).user
    (frozenset({'R2'}), True, '')
    """
    return roles(user, reps, hr_users=hr_users(hr))


def visible_rows(who: Roles, frame: pd.DataFrame, column: str = "rep_id") -> pd.DataFrame:
    """Return the rows of ``frame`` whose ``column`` is a rep ``who`` may see (:func:`may_see`).

    The filter every per-rep view applies to its data before computing what it shows, so
    a value forced into the page cannot bring another person's rows back. HR sees every
    row; anyone else the rows of their own ``rep_id`` and their team (a row without a rep
    is nobody's and is left out); nobody without identity.

    Examples
    --------
    >>> orders = pd.DataFrame({"rep_id": ["R1", "R2", None, "R3 "], "amount": [1, 2, 3, 4]})
    >>> visible_rows(Roles("li", rep_id="R1", team=frozenset({"R3"})), orders)["amount"].tolist()
    [1, 4]
    >>> len(visible_rows(Roles("hr", hr=True), orders)), len(visible_rows(Roles(), orders))
    (4, 0)
    """
    if not who.user:
        return frame.iloc[0:0]
    if who.hr:
        return frame
    allowed = [r for r in (who.rep_id, *who.team) if r]
    return frame.loc[frame[column].astype("string").str.strip().isin(allowed).fillna(False).to_numpy(bool)]


def check_visible(who: Roles, rep_id: object) -> None:
    """Raise :class:`~playbook.core.errors.PlaybookError` unless ``who`` may see ``rep_id``.

    Codes (worded in ``message.access.*``): ``access.no_identity`` (nobody logged in),
    ``access.not_visible`` (the rep is not theirs to see). The check of the code path that
    computes a rep's figures, whatever the page's picker holds.

    Examples
    --------
    >>> check_visible(Roles("R1", rep_id="R1"), "R1")
    >>> check_visible(Roles("R1", rep_id="R1"), "R2")
    Traceback (most recent call last):
    ...
    playbook.core.errors.PlaybookError: R1 may not see the figures of R2
    """
    if may_see(who, rep_id):
        return
    if not who.user:
        raise PlaybookError("nobody is logged in", code="access.no_identity")
    raise PlaybookError(f"{who.user} may not see the figures of {rep_id}", code="access.not_visible",
                        params={"user": who.user, "rep": str(rep_id)})


def check_someone(who: Roles) -> None:
    """Raise :class:`~playbook.core.errors.PlaybookError` unless ``who`` may see at least their own figures.

    Codes: ``access.no_identity`` (nobody logged in), ``access.no_rep`` (a login that is no
    rep in the data and not on the HR list).

    Examples
    --------
    >>> check_someone(Roles("hr", hr=True)), check_someone(Roles("R1", rep_id="R1"))
    (None, None)
    >>> check_someone(Roles("guest"))
    Traceback (most recent call last):
    ...
    playbook.core.errors.PlaybookError: guest is no rep in the data and not on the HR list
    """
    if not who.user:
        raise PlaybookError("nobody is logged in", code="access.no_identity")
    if not (who.hr or who.rep_id):
        raise PlaybookError(f"{who.user} is no rep in the data and not on the HR list", code="access.no_rep",
                            params={"user": who.user})
