"""IDP form (个人发展计划): draft, edit, check, save, agree, review and download a rep's plan.

A supervisor (or the rep, or HR) picks a rep. The form shows the rep's latest stored
plan when there is one (and says so), else the draft the data suggest
(:func:`playbook.idp.draft_plan` on :func:`playbook.idp.dataset_evidence`, worded by
:func:`playbook.present.idp.word_plan`). The plan
table is a grid of widgets, one block per development item: the competency (a
dropdown of the catalogue), why, current and target level (1–5), the measures (chosen
from the library of the catalogue, :func:`playbook.present.idp.catalogue_frame`, or typed, one
per line), the resources and the review date. Rows can be added and removed.

- **Validate** lists every problem at once (:func:`playbook.idp.plan_issues`, worded by
  :func:`playbook.present.idp.word_plan_issues`).
- **Who is logged in** comes from a trusted source, never from a text box
  (:mod:`playbook.apps.identity`: an authenticating proxy's header with
  ``playbook app --trusted-proxy``, or Jupyter Server's login); roles come from the data:
  the rep signs their own plan, their direct supervisor (``reps.manager_id``) signs as
  supervisor, HR (``--hr`` / ``$PLAYBOOK_HR_USERS``) archives. Without identity the form
  shows no plan and says how to enable identity.
- **Who sees what** (:func:`playbook.apps.identity.may_see`): the rep picker offers only the
  reps the user may see (themselves, their direct and indirect reports, everyone for HR),
  and every path that shows a rep's plan, history, draft or download checks the same rule,
  so a crafted picker value shows nothing.
- **Save** stores the plan as a new version with the logged-in user as author and shows
  the version number (:class:`playbook.pipeline.store.Store`). The button is disabled while
  saving, and each submission carries a client token of this form: a double click or a
  resend stores nothing twice.
- **Sign-off** buttons move the saved plan through ``draft -> agreed_by_rep ->
  agreed_by_supervisor -> archived_by_hr``; a step out of order, or by someone whose role
  it is not, gets a clear message and stores nothing. The **audit** table lists who did
  what, when (saves, sign-offs, reviews).
- **No lost update.** A save or sign-off names the version the form shows: when someone
  saved or signed in between (or started the rep's plan for that date), nothing is stored;
  the form says who changed what and when, keeps the typed text and offers a reload.
- **Review** records the level each item reached at its review date (PDCA); a new plan
  can start from those levels (:func:`playbook.pipeline.store.next_plan_start_levels`).
- **Download** offers the plan as a printable HTML page (and PDF when chromium is
  installed), plus the per-rep evidence report of :func:`playbook.pipeline.idp_batch.render_idps`.

Everything typed is kept as text: the form shows it in text widgets, and every HTML it
writes escapes it (:func:`playbook.present.idp.escape_text`).

Examples
--------
>>> from playbook.apps.idp import IdpForm
>>> form = IdpForm("data/sample", lang="en", store_url="sqlite://", user="R001", hr_users=())
>>> form.rep.value = "R004"
>>> [row.competency.value for row in form.rows][:2]
['customer_communication', 'new_customer_development']
>>> form.save().author          # R001 (那振宇) is R004's direct supervisor
'R001'
>>> form.sign("agreed_by_rep") is None     # only R004 agrees as the rep
True
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import ipywidgets as W
import pandas as pd

from playbook import idp
from playbook.apps import identity as ident
from playbook.apps.idp_download import Downloads
from playbook.apps.idp_parts import (
    _WIDE,
    LEVELS,
    ItemRow,
    _box,
    _day,
    _esc,
    _failure,
    _lines,
    _problems_html,
    _when,
    plan_page_html,
)
from playbook.apps.idp_signoff import SignOff
from playbook.core.errors import PlaybookError
from playbook.core.labels import check_lang, t
from playbook.data import loading
from playbook.pipeline.store import ConflictError, Store, content_hash, next_plan_start_levels
from playbook.present import idp as present_idp
from playbook.targets import overview

__all__ = ["SIGN_STEPS", "LEVELS", "IdpForm", "idp_form_app", "plan_page_html"]

SIGN_STEPS = ("agreed_by_rep", "agreed_by_supervisor", "archived_by_hr")
"""The sign-off buttons, in workflow order (each moves the plan one step)."""


# --------------------------------------------------------------------------- the form

class IdpForm(SignOff, Downloads):
    """The IDP form: its controls are attributes; its methods are what the buttons do.

    :meth:`pick` (the rep dropdown), :meth:`validate`, :meth:`save`, :meth:`sign`,
    :meth:`record_reviews`, :meth:`new_plan` and :meth:`prepare_download`. Sign-off,
    review and audit are :class:`playbook.apps.idp_signoff.SignOff`; the downloads
    :class:`playbook.apps.idp_download.Downloads`.

    Parameters
    ----------
    data_dir : str or Path
        Data folder (the shipped sample by default).
    lang : {"en", "zh"}
        Language of every label and message.
    store_url : str
        The IDP store (SQLAlchemy URL or SQLite path); empty: ``$PLAYBOOK_STORE_URL``, else
        ``var/idp.sqlite``. Opened on first use.
    dataset : playbook.data.loading.Dataset, optional
        Data already loaded from ``data_dir``.
    evidence : DataFrame, optional
        :func:`playbook.idp.dataset_evidence` already computed (default: on first pick).
    user : str
        The authenticated user (:mod:`playbook.apps.identity`; the app notebook receives it
        from the server, never from the page). Empty: nobody is logged in, the form is read-only.
    identity_source : str
        Where ``user`` comes from: ``"proxy"`` or ``"jupyter"`` (shown in the form).
    hr_users : sequence of str, optional
        HR logins; default ``$PLAYBOOK_HR_USERS`` (comma-separated).

    Attributes
    ----------
    rep : Dropdown
        The rep (``None`` until one is chosen).
    source : HTML
        Says whether the form shows the stored plan (which version) or the data's draft.
    plan_date, strengths, rows, add_button
        The plan's date, its strengths (one per line) and the grid of :class:`ItemRow`.
    who, validate_button, save_button, check, save_status
        Who is logged in (and their roles), the two buttons and their messages.
    roles : playbook.apps.identity.Roles
        The logged-in user's roles in the data.
    state, sign_buttons, sign_status, history, audit
        The current sign-off state, one button per step of :data:`SIGN_STEPS`, the
        message, the versions stored and who did what when.
    reload_buttons
        ``{"save": Button, "sign": Button}``: shown under a conflict message, they reload the plan.
    review_rows, record_button, review_status
        Level reached and review date per item of the saved plan.
    download_button, download
        The links to the documents.
    plan_id, version, status
        The stored plan shown (None when not saved).
    widget : VBox
        The whole form, to display.
    """

    def __init__(self, data_dir: str | Path = "data/sample", *, lang: str = "en", store_url: str = "",
                 dataset: Any = None, evidence: pd.DataFrame | None = None, user: str = "",
                 identity_source: str = "", hr_users: Sequence[str] | None = None) -> None:
        check_lang(lang)
        login = ident.clean_user(user)
        self.identity = ident.Identity(login, identity_source if login else "")
        self.hr_users = ident.hr_users(hr_users)
        self.roles = ident.Roles()
        self.data_dir = data_dir
        self.lang = lang
        self.store_url = store_url or ""
        self._dataset = dataset
        self._evidence = evidence
        self._store: Any = None
        self._report_dir: Path | None = None  # reports and their snapshot, kept for the form's life
        self.catalogue = idp.load_catalogue()
        self._init_plan_state()
        self._build_widgets()
        self._connect_widgets()
        self._assemble()
        self._load_reps()

    def _init_plan_state(self) -> None:
        """Set the state of the plan shown: nothing picked, nothing stored, no save token used."""
        self._form_id = uuid.uuid4().hex
        self._token_seq = 0
        self._token_digest: str | None = None
        self._token_done = False
        self._clean_digest: str | None = None
        self.base: idp.Plan | None = None
        self.saved: idp.Plan | None = None
        self.plan_id: int | None = None
        self.version: int | None = None
        self.status: str | None = None
        self.rows: list[ItemRow] = []
        self.rep_ids: list[str] = []
        self._history = pd.DataFrame(columns=["version", "status", "author", "created_at", "content_hash", "note"])
        self._row_args = (self._library(self.lang),
                          [(present_idp.competency_name(self.catalogue, k, self.lang), k)
                           for k in self.catalogue.keys])
        self.review_rows: list[tuple[str, W.Dropdown, W.DatePicker, W.HTML]] = []

    def _label(self, key: str) -> str:
        return t(key, self.lang)

    def _heading(self, key: str) -> W.HTML:
        return W.HTML(f"<h3>{_esc(self._label(key))}</h3>")

    def _build_widgets(self) -> None:
        """Create every widget of the form, labelled in the form's language."""
        label = self._label
        self.rep = W.Dropdown(options=[(label("app_idp.pick_rep"), None)], value=None,
                              description=label("app_idp.rep"), style=_WIDE, layout=W.Layout(width="360px"),
                              disabled=True)
        self.source = W.HTML()
        self.header = W.HTML()
        self.preview = W.HTML()
        self.plan_date = W.DatePicker(description=label("idp.header.plan_date"), style=_WIDE)
        self.strengths = W.Textarea(description=label("app_idp.strengths"), style=_WIDE,
                                    layout=W.Layout(width="70%", height="80px"))
        self.rows_box = W.VBox()
        self.add_button = W.Button(description=label("app_idp.add"), icon="plus")
        self.who = W.HTML()
        self.validate_button = W.Button(description=label("app_idp.validate"), icon="check")
        self.save_button = W.Button(description=label("app_idp.save"), button_style="primary", icon="save")
        self.check = W.HTML()
        self.save_status = W.HTML()
        self.state = W.HTML()
        self.sign_buttons = {s: W.Button(description=label(f"app_idp.sign.{s}"), button_style="info",
                                         layout=W.Layout(width="auto")) for s in SIGN_STEPS}
        self.sign_status = W.HTML()
        self.reload_buttons = {k: W.Button(description=label("app_idp.reload"), icon="refresh",
                                           layout=W.Layout(width="auto", display="none")) for k in ("save", "sign")}
        self.history = W.HTML()
        self.audit = W.HTML()
        self.new_plan_button = W.Button(description=label("app_idp.new_plan"), icon="file",
                                        layout=W.Layout(width="auto"))
        self.review_help = W.HTML()
        self.review_box = W.VBox()
        self.record_button = W.Button(description=label("app_idp.record"), button_style="info", icon="flag")
        self.review_status = W.HTML()
        self.download_button = W.Button(description=label("app_idp.download"), icon="download",
                                        layout=W.Layout(width="auto"))
        self.download = W.HTML()

    def _connect_widgets(self) -> None:
        """Bind the rep picker and every button to its method."""
        self.rep.observe(self._rep_changed, names="value")
        self.add_button.on_click(self.add_row)
        self.validate_button.on_click(self.validate)
        self.save_button.on_click(self.save)
        for status, button in self.sign_buttons.items():
            button.on_click(lambda _b, s=status: self.sign(s))
        self.new_plan_button.on_click(self.new_plan)
        for button in self.reload_buttons.values():
            button.on_click(self.reload)
        self.record_button.on_click(self.record_reviews)
        self.download_button.on_click(self.prepare_download)

    def _assemble(self) -> None:
        """Lay the widgets out: the editor (hidden until a rep is picked) under the rep picker."""
        heading = self._heading
        self.editor = W.VBox([
            heading("idp.section.header"), self.header,
            heading("app_idp.section.edit"), W.HTML(f"<p>{_esc(self._label('app_idp.edit_help'))}</p>"),
            self.plan_date, self.strengths, self.rows_box, W.HBox([self.add_button]),
            heading("app_idp.section.save"), W.HBox([self.validate_button, self.save_button]),
            self.check, self.save_status, W.HBox([self.reload_buttons["save"]]),
            heading("app_idp.section.signoff"), self.state, self.preview,
            W.HBox([*self.sign_buttons.values()], layout=W.Layout(flex_flow="row wrap")),
            self.sign_status, W.HBox([self.reload_buttons["sign"]]), self.history, self.audit,
            heading("app_idp.section.review"), self.review_help, self.review_box, W.HBox([self.record_button]),
            self.review_status, W.HBox([self.new_plan_button]),
            heading("app_idp.section.download"), W.HBox([self.download_button]), self.download,
        ], layout=W.Layout(display="none"))
        self.problem = W.HTML()
        self.widget = W.VBox([
            W.HTML(f"<h2>{_esc(self._label('apps.idp_form.title'))}</h2>"
                   f"<p>{_esc(self._label('app_idp.intro'))}</p>"),
            self.who, self.rep, self.source, self.problem, self.editor,
        ])
        self._show_identity()

    # ----------------------------------------------------------------- data
    def dataset(self) -> Any:
        """Return the data folder's dataset (loaded once)."""
        if self._dataset is None:
            self._dataset = loading.load_inputs(self.data_dir)
        return self._dataset

    def _rated(self, rep_id: str) -> bool:
        """Whether the rep has any competency rating (else no claim is made about ratings)."""
        try:
            return bool(idp.rep_levels(idp.rep_evidence(self.evidence(), str(rep_id)))["level"].notna().any())
        except (PlaybookError, KeyError):
            return False

    def evidence(self) -> pd.DataFrame:
        """Return the team evidence of every rep (computed once, vectorised)."""
        if self._evidence is None:
            self._evidence = idp.dataset_evidence(self.dataset())
        return self._evidence

    def store(self) -> Any:
        """Return the IDP store (opened on first use)."""
        if self._store is None:
            self._store = Store(self.store_url or None)
        return self._store

    def _load_reps(self) -> None:
        """Fill the rep dropdown: the reps of the data still employed this year (as the batch renders)."""
        try:
            reps = self.dataset().reps
            when = overview.resolve_as_of("", self.dataset().orders)
        except Exception as exc:  # noqa: BLE001 - a form shows every failure
            self.problem.value = _failure(exc, self.lang)
            return
        self.roles = ident.roles(self.identity.user, reps, hr_users=self.hr_users)
        self._show_identity()
        reps = overview.current_reps(reps, as_of=when)
        self.rep_ids = reps["rep_id"].astype(str).tolist()  # every current rep: what a plan may name
        names = reps["name"].astype(str).tolist() if "name" in reps else self.rep_ids
        self.rep.options = [(t("app_idp.pick_rep", self.lang), None)] + [
            (f"{r} · {n}", r) for r, n in zip(self.rep_ids, names, strict=True) if ident.may_see(self.roles, r)]
        self.rep.disabled = len(self.rep.options) == 1  # nobody to show: no identity, or nobody in the data

    def _library(self, plan_lang: str) -> pd.DataFrame:
        return present_idp.catalogue_frame(self.catalogue, lang=plan_lang)

    # ----------------------------------------------------------------- choosing a rep
    def _rep_changed(self, change: dict) -> None:
        self.pick(change["new"])

    def _hidden(self, rep_id: object, box: W.HTML) -> bool:
        """Return True (and say why in ``box``) when the user may not see ``rep_id`` (:func:`~ident.may_see`)."""
        if ident.may_see(self.roles, rep_id):
            return False
        box.value = _box(t("app_idp.not_visible", self.lang, user=self.identity.user, rep=rep_id)
                         if self.identity.user else t("app_idp.no_identity", self.lang), "warn")
        return True

    def _clear(self) -> None:
        """Show no plan: empty the editor and everything read from the store, hide it."""
        self.base = self.saved = None
        self.plan_id = self.version = self.status = None
        self.rows, self.review_rows = [], []
        self.rows_box.children = self.review_box.children = ()
        for box in (self.source, self.header, self.preview, self.state, self.history, self.audit):
            box.value = ""
        self.editor.layout.display = "none"

    def pick(self, rep_id: str | None) -> bool:
        """Show the rep's latest stored plan, else the draft from the data; return True when shown.

        A rep the user may not see (:func:`playbook.apps.identity.may_see`) shows nothing.
        """
        for box in (self.problem, self.check, self.save_status, self.sign_status, self.review_status, self.download):
            box.value = ""
        if not rep_id or self._hidden(rep_id, self.problem):
            self._clear()
            return False
        try:
            stored = self.store().plans(str(rep_id))
            if len(stored):
                latest = stored.sort_values("plan_id").iloc[-1]
                self.plan_id, version = int(latest["plan_id"]), latest["version"]
                version = None if pd.isna(version) else int(version)  # None: Store.plan names the unreadable row
                self._show(self.store().plan(self.plan_id, version), version=version)
                self.source.value = _box(t(
                    "app_idp.loaded", self.lang, plan_id=self.plan_id, version=self.version,
                    status=t(f"idp.status.{self.status}", self.lang), author=latest["updated_by"],
                    when=_when(latest["updated_at"])), "info")
            else:
                self.plan_id = None
                plan = present_idp.word_plan(idp.draft_plan(self.evidence(), str(rep_id)), self.lang)
                self._show(plan)
                as_of = pd.Timestamp(plan.plan_date).date() if plan.plan_date is not None else ""
                self.source.value = _box(t("app_idp.drafted", self.lang, rep=plan.rep_name or rep_id,
                                           as_of=as_of), "info")
        except Exception as exc:  # noqa: BLE001 - a form shows every failure
            self.problem.value = _failure(exc, self.lang)
            self.editor.layout.display = "none"
            return False
        self.editor.layout.display = "flex"
        return True

    def new_plan(self, _: object = None) -> bool:
        """Draft a new plan for the rep from the levels reached at the last review (PDCA: Act).

        The next save creates a new plan; the old one stays as it is.
        """
        rep_id = self.rep.value
        if not rep_id:
            self.review_status.value = _box(t("app_idp.pick_first", self.lang), "warn")
            return False
        if self._hidden(rep_id, self.review_status):
            return False
        try:
            start = next_plan_start_levels(self.store(), str(rep_id))
            levels = start[["competency", "level", "source"]] if len(start) else None
            draft = idp.draft_plan(self.evidence(), str(rep_id), levels=levels,
                                   plan_date=pd.Timestamp.today().normalize())
            plan = present_idp.word_plan(draft, self.lang)
        except Exception as exc:  # noqa: BLE001 - a form shows every failure
            self.review_status.value = _failure(exc, self.lang)
            return False
        self.plan_id = None
        self._show(plan)
        key = "app_idp.new_from_review" if levels is not None else "app_idp.new_from_data"
        self.source.value = _box(t(key, self.lang, n=len(plan.items)), "info")
        for box in (self.check, self.save_status, self.sign_status, self.review_status, self.download):
            box.value = ""
        return True

    def _show(self, plan: idp.Plan, version: int | None = None) -> None:
        """Put ``plan`` (stored ``version``, the base of the next save) in the form; refresh the stored state."""
        for button in self.reload_buttons.values():
            button.layout.display = "none"
        self.base = plan
        self.plan_date.value = _day(plan.plan_date)
        self.strengths.value = "\n".join(plan.strengths)
        library = self._library(plan.lang)
        choices = [(present_idp.competency_name(self.catalogue, k, self.lang), k) for k in self.catalogue.keys]
        self._row_args = (library, choices)
        self.rows = [self._new_row(rec) for rec in idp.plan_from_dict(idp.plan_to_dict(plan)).items.to_dict("records")]
        self._layout_rows()
        self._token_digest, self._token_done = None, False
        self._refresh_stored(version)
        self._clean_digest = self._digest(self.current_plan())

    def _layout_rows(self) -> None:
        for n, row in enumerate(self.rows, start=1):
            row.set_number(n)
            row.mark(False)
        self.rows_box.children = [row.widget for row in self.rows]

    def _new_row(self, record: dict[str, Any] | None = None) -> ItemRow:
        library, choices = self._row_args
        row = ItemRow(library, choices, lang=self.lang, record=record)
        row.remove.on_click(lambda _b: self.remove_row(row))
        return row

    def add_row(self, _: object = None) -> ItemRow:
        """Add an empty item at the end of the plan table."""
        row = self._new_row()
        self.rows.append(row)
        self._layout_rows()
        return row

    def remove_row(self, row: ItemRow) -> None:
        """Remove an item from the plan table."""
        self.rows = [r for r in self.rows if r is not row]
        self._layout_rows()

    # ----------------------------------------------------------------- the plan in the form
    def current_plan(self) -> idp.Plan:
        """Return the plan as the form shows it now (header of the draft/stored plan, items of the grid)."""
        if self.base is None:
            raise PlaybookError(t("app_idp.pick_first", self.lang))
        items = pd.DataFrame([row.record() for row in self.rows], columns=idp.PLAN_ITEM_COLUMNS)
        when = pd.Timestamp(self.plan_date.value) if self.plan_date.value else None
        return replace(self.base, plan_date=when, strengths=tuple(_lines(self.strengths.value)), items=items)

    @staticmethod
    def _digest(plan: idp.Plan) -> str:
        return content_hash(idp.plan_to_dict(plan))

    def dirty(self) -> bool:
        """Return True when the form holds changes that are not saved."""
        return self.base is not None and self._digest(self.current_plan()) != self._clean_digest

    def validate(self, _: object = None) -> pd.DataFrame:
        """Show every problem of the plan in the form at once; return them (empty: the plan is fine)."""
        if self.base is None:
            self.check.value = _box(t("app_idp.pick_first", self.lang), "warn")
            return pd.DataFrame()
        issues = present_idp.word_plan_issues(idp.plan_issues(self.current_plan(), rep_ids=self.rep_ids), self.lang)
        bad = set(issues["row"].dropna().astype(int))
        for n, row in enumerate(self.rows, start=1):
            row.mark(n in bad)
        self.check.value = _problems_html(issues, self.lang) if len(issues) else _box(
            t("app_idp.valid_ok", self.lang), "ok")
        return issues

    # ----------------------------------------------------------------- saving
    def _save_token(self, digest: str) -> str:
        if digest != self._token_digest:
            self._token_seq += 1
            self._token_digest, self._token_done = digest, False
        return f"idp-form:{self._form_id}:{self._token_seq}"

    def save(self, _: object = None) -> Any:
        """Store the form's plan as a new version; return the stored :class:`~playbook.pipeline.store.PlanVersion`.

        Returns None when the plan was not saved.

        The button is disabled while saving. The submission's client token is kept until
        the content changes, so a second click (or a resend) returns the version stored
        the first time instead of a duplicate.
        """
        self.save_button.disabled = True
        try:
            return self._save()
        except Exception as exc:  # noqa: BLE001 - a form shows every failure
            self.save_status.value = _failure(exc, self.lang)
            return None
        finally:
            self.save_button.disabled = not self.identity.user

    def _save(self) -> Any:
        lang = self.lang
        self.save_status.value = ""
        if self.base is None:
            self.save_status.value = _box(t("app_idp.pick_first", lang), "warn")
            return None
        author = self._permitted(self.save_status)
        if author is None:
            return None
        if self.validate().shape[0]:
            self.save_status.value = _box(t("app_idp.not_saved_problems", lang), "warn")
            return None
        plan = self.current_plan()
        digest = self._digest(plan)
        token = self._save_token(digest)
        store = self.store()
        before, based_on = self.status, self.version
        if self.plan_id is not None and not self._token_done:
            if self.status == "archived_by_hr":
                self.save_status.value = _box(t("app_idp.archived_readonly", lang), "warn")
                return None
            latest = store.history(self.plan_id).iloc[-1]
            if latest["content_hash"] == digest:
                self.save_status.value = _box(t("app_idp.no_changes", lang, version=int(latest["version"])), "info")
                return None
        try:  # based on the version the form shows: if the plan moved on (or was started meanwhile), nothing is stored
            if self.plan_id is None:
                v = store.create_plan(plan, author=author, client_token=token, rep_ids=self.rep_ids)
            else:
                v = store.save_version(self.plan_id, plan, author=author, client_token=token, rep_ids=self.rep_ids,
                                       base_version=based_on)
        except ConflictError as exc:
            if not exc.changes:  # a token clash: said as it is
                raise
            self._conflict("save", exc.changes, base=exc.base_version, plan_id=exc.plan_id)
            return None
        self._token_done = True
        self.plan_id = v.plan_id
        self._refresh_stored(v.version)
        self._clean_digest = digest
        if v.created:
            text = t("app_idp.saved", lang, version=v.version, plan_id=v.plan_id, author=author)
            if before not in (None, "draft"):
                text += " " + t("app_idp.saved_redraft", lang)
        else:
            text = t("app_idp.saved_again", lang, version=v.version)
        self.save_status.value = _box(text, "ok")
        return v

    # ----------------------------------------------------------------- conflicts
    def _conflict(self, where: str, changes: tuple[Any, ...], *, base: int | None, plan_id: int | None) -> None:
        """Say that the plan changed since version ``base`` (None: it was started meanwhile); offer a reload."""
        lang = self.lang
        if base is None:  # the rep's plan for this date was started by someone else
            text = t("app_idp.conflict_start", lang, author=changes[0].author, plan_id=plan_id,
                     when=_when(changes[0].created_at))
        else:
            listed = "; ".join(t("app_idp.conflict_change", lang, version=c.version, author=c.author,
                                 status=t(f"idp.status.{c.status}", lang), when=_when(c.created_at))
                               for c in changes)
            text = t(f"app_idp.conflict_{where}", lang, base=base, changes=listed)
        (self.save_status if where == "save" else self.sign_status).value = _box(text, "warn")
        self.reload_buttons[where].layout.display = None

    def reload(self, _: object = None) -> bool:
        """Show the rep's latest stored plan again (after a conflict); what was typed is replaced by it."""
        return self.pick(self.rep.value)

    # ----------------------------------------------------------------- the stored state
    def _refresh_stored(self, version: int | None = None) -> None:
        """Read the stored plan back at ``version`` (default the latest): state, versions, preview, review rows."""
        lang = self.lang
        if self.plan_id is None:
            self.saved, self.version, self.status = None, None, None
            self.state.value = _box(t("app_idp.not_stored", lang), "info")
            self.history.value = ""
            self.audit.value = ""
            self.header.value = present_idp.plan_header_html(self.base, lang) if self.base is not None else ""
            self.preview.value = ""
            self._review_rows()
            return
        store = self.store()
        hist = self._history = store.history(self.plan_id)
        last = hist.iloc[-1] if version is None else hist.loc[hist["version"] == version].iloc[-1]
        self.version, self.status = int(last["version"]), str(last["status"])
        self.saved = store.plan(self.plan_id, self.version)
        steps = ["draft", *SIGN_STEPS]
        done = steps.index(self.status)
        chips = " → ".join(
            (f"<b style='color:#1565c0'>{_esc(t(f'idp.status.{s}', lang))}</b>" if i == done else
             f"<span style='color:{'#2e7d32' if i < done else '#999'}'>{_esc(t(f'idp.status.{s}', lang))}</span>")
            for i, s in enumerate(steps))
        text = t("app_idp.state", lang, plan_id=self.plan_id, version=self.version,
                 status=t(f"idp.status.{self.status}", lang))
        self.state.value = f'<div class="pb-state" role="status"><b>{_esc(text)}</b><br>{chips}</div>'

        shown = pd.DataFrame({
            t("app_idp.col.version", lang): hist["version"].astype(int),
            t("col.status", lang): hist["status"].map(lambda s: t(f"idp.status.{s}", lang)),
            t("app_idp.col.author", lang): hist["author"].astype(str),
            t("app_idp.col.created_at", lang): hist["created_at"].map(_when),
        })
        table = shown.to_html(index=False, escape=True, border=0, justify="left", classes="idp-header pb-history")
        self.history.value = (f"<details><summary>{_esc(t('app_idp.history', lang, n=len(hist)))}</summary>"
                              f"{table}</details>")
        self._show_audit()
        self.header.value = present_idp.plan_header_html(self.saved, lang)
        table = present_idp.plan_to_html_table(self.saved, lang) if len(self.saved.items) else _box(
            t("idp.no_items" if self._rated(self.saved.rep_id) else "idp.no_ratings", lang), "info")
        self.preview.value = f"<p><i>{_esc(t('app_idp.preview_saved', lang, version=self.version))}</i></p>{table}"
        self._review_rows()


def idp_form_app(data_dir: str | Path = "data/sample", *, lang: str = "en", store_url: str = "", user: str = "",
                 identity_source: str = "") -> W.Widget:
    """Return the IDP form (see :class:`IdpForm`), ready to display in Voila.

    ``user`` and ``identity_source`` come from the server (:func:`playbook.apps.identity.prelaunch_hook`).
    """
    return IdpForm(data_dir, lang=lang, store_url=store_url, user=user, identity_source=identity_source).widget
