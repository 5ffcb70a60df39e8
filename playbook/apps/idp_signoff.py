"""The IDP form's sign-off, review and audit panel (PDCA: Do, Check).

A mixin of :class:`playbook.apps.idp.IdpForm` (it uses the form's state and widgets):
the **sign-off** buttons move the saved plan one step of
:data:`playbook.pipeline.store.TRANSITIONS` (a step out of order, by someone whose role it
is not, or on a version the page has not shown stores nothing and says why); the
**review** records the level each item reached at its review date; the **audit** lists who
did what, when; and the line saying who is logged in locks the buttons without identity.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as W
import pandas as pd

from playbook.apps.idp_parts import (
    _WIDE,
    LEVELS,
    _box,
    _day,
    _esc,
    _failure,
    audit_frame,
    audit_html,
    identity_html,
    refusal_text,
)
from playbook.core.labels import t
from playbook.pipeline.store import REVIEWABLE, TRANSITIONS, ConflictError
from playbook.present import idp as present_idp

__all__ = ["SignOff"]


class SignOff:
    """The sign-off, review and audit part of :class:`playbook.apps.idp.IdpForm` (a mixin: it uses the form's state)."""

    # ----------------------------------------------------------------- review rows
    def _review_rows(self) -> None:
        """One line per item of the saved plan: level reached and review date (PDCA: Check)."""
        lang = self.lang
        self.review_rows = []
        if self.saved is None:
            self.review_help.value = _box(t("app_idp.review_save_first", lang), "info")
            self.review_box.children = []
            return
        reviews = self.store().table("reviews")
        reviews = reviews.loc[reviews["plan_id"] == self.plan_id].sort_values("id")
        latest = reviews.drop_duplicates("competency", keep="last").set_index("competency")
        children = []
        for rec in self.saved.items.to_dict("records"):
            comp = str(rec["competency"])
            known = comp in self.catalogue.competencies
            name = present_idp.competency_name(self.catalogue, comp, lang) if known else comp
            level = W.Dropdown(options=[("—", None)] + [(str(v), v) for v in LEVELS], value=None,
                               description=t("app_idp.reached", lang), style=_WIDE, layout=W.Layout(width="190px"))
            when = W.DatePicker(value=_day(rec["review_date"]), description=t("app_idp.review_date", lang),
                                style=_WIDE, layout=W.Layout(width="250px"))
            note = W.HTML()
            if comp in latest.index:
                r = latest.loc[comp]
                note.value = _esc(t("app_idp.recorded", lang, level=int(r["level_reached"]),
                                    date=_day(r["review_date"]), author=r["author"]))
            target = rec["target_level"]
            head = W.HTML(f"<b>{_esc(name)}</b> ({_esc(t('app_idp.target_short', lang, target=target))})",
                          layout=W.Layout(width="300px"))
            self.review_rows.append((comp, level, when, note))
            children.append(W.HBox([head, level, when, note], layout=W.Layout(align_items="center")))
        self.review_box.children = children
        self.review_help.value = (_box(t("app_idp.review_help", lang), "info") if self.status in _reviewable()
                                  else _box(t("app_idp.review_not_yet", lang,
                                              status=t(f"idp.status.{self.status}", lang)), "warn"))

    # ----------------------------------------------------------------- sign-off
    def sign(self, status: str) -> Any:
        """Move the saved plan one step to ``status``; return the new version (None with a message if refused)."""
        lang = self.lang
        self.sign_status.value = ""
        try:
            if self.base is None:
                self.sign_status.value = _box(t("app_idp.pick_first", lang), "warn")
                return None
            if self.plan_id is None:
                self.sign_status.value = _box(t("app_idp.save_first", lang), "warn")
                return None
            author = self._permitted(self.sign_status, status)
            if author is None:
                return None
            if self.dirty():
                self.sign_status.value = _box(t("app_idp.unsaved_changes", lang), "warn")
                return None
            store = self.store()
            moved = store.changes_since(self.plan_id, self.version)
            if moved:  # the page shows an older version: nobody agrees to a version they have not seen
                self._conflict("sign", moved, base=self.version, plan_id=self.plan_id)
                return None
            current = self.status
            if status == current:  # e.g. a double click: the step is already taken
                self.sign_status.value = _box(t("app_idp.already", lang, status=t(f"idp.status.{status}", lang)),
                                              "info")
                return None
            if status not in TRANSITIONS[current]:
                nxt = TRANSITIONS[current]
                text = (t("app_idp.bad_step", lang, status=t(f"idp.status.{current}", lang),
                          next=t(f"idp.status.{nxt[0]}", lang), wanted=t(f"idp.status.{status}", lang))
                        if nxt else t("app_idp.final", lang))
                self.sign_status.value = _box(text, "warn")
                return None
            token = f"idp-form:{self._form_id}:sign:{self.plan_id}:{self.version}:{status}"
            try:
                v = store.sign(self.plan_id, status, author=author, client_token=token, base_version=self.version)
            except ConflictError as exc:
                if not exc.changes:
                    raise
                self._conflict("sign", exc.changes, base=exc.base_version, plan_id=exc.plan_id)
                return None
            self._refresh_stored(v.version)
            self._clean_digest = self._digest(self.current_plan())
            self.sign_status.value = _box(t("app_idp.signed", lang, status=t(f"idp.status.{status}", lang),
                                            version=v.version, author=author), "ok")
            return v
        except Exception as exc:  # noqa: BLE001 - a form shows every failure
            self.sign_status.value = _failure(exc, lang)
            return None

    # ----------------------------------------------------------------- who is logged in
    def _show_identity(self) -> None:
        """Say who is logged in and as what (or how to enable identity); lock the buttons without identity."""
        for button in (self.save_button, self.record_button, *self.sign_buttons.values()):
            button.disabled = not self.identity.user
        self.who.value = identity_html(self.identity, self.roles, self.lang)

    def _permitted(self, box: W.HTML, step: str | None = None) -> str | None:
        """Return the user when they may change the plan (``step`` None) or take ``step``; else say why in ``box``."""
        rep_id = str(self.base.rep_id) if self.base is not None else str(self.rep.value or "")
        text = refusal_text(self.identity, self.roles, rep_id, step=step, lang=self.lang)
        if text:
            box.value = _box(text, "warn")
            return None
        return self.identity.user

    # ----------------------------------------------------------------- audit
    def audit_frame(self) -> pd.DataFrame:
        """Return who did what when on the stored plan (:func:`~playbook.apps.idp_parts.audit_frame`)."""
        if self.plan_id is None:
            return audit_frame(None, None, self.catalogue, self.lang)
        return audit_frame(self.store(), self.plan_id, self.catalogue, self.lang)

    def _show_audit(self) -> None:
        self.audit.value = audit_html(self.audit_frame(), self.lang)

    # ----------------------------------------------------------------- review
    def record_reviews(self, _: object = None) -> list[int]:
        """Record the level reached for each item where one is chosen; return the review row ids."""
        lang = self.lang
        self.review_status.value = ""
        try:
            if self.plan_id is None:
                self.review_status.value = _box(t("app_idp.review_save_first", lang), "warn")
                return []
            author = self._permitted(self.review_status)
            if author is None:
                return []
            status = self.store().status(self.plan_id)
            if status not in _reviewable():
                self.review_status.value = _box(t("app_idp.review_not_yet", lang,
                                                  status=t(f"idp.status.{status}", lang)), "warn")
                return []
            chosen = [(c, lv.value, d.value) for c, lv, d, _ in self.review_rows if lv.value is not None]
            if not chosen:
                self.review_status.value = _box(t("app_idp.review_none_chosen", lang), "warn")
                return []
            missing = [c for c, _, d in chosen if d is None]
            if missing:
                names = ", ".join(present_idp.competency_name(self.catalogue, c, lang)
                                  if c in self.catalogue.competencies else c for c in missing)
                self.review_status.value = _box(t("app_idp.review_need_date", lang, items=names), "warn")
                return []
            ids = [self.store().record_review(
                self.plan_id, comp, level, review_date=when, author=author,
                client_token=f"idp-form:{self._form_id}:review:{self.plan_id}:{comp}:{level}:{when}")
                for comp, level, when in chosen]
        except Exception as exc:  # noqa: BLE001 - a form shows every failure
            self.review_status.value = _failure(exc, lang)
            return []
        self._review_rows()
        self._show_audit()
        self.review_status.value = _box(t("app_idp.reviews_recorded", lang, n=len(ids)), "ok")
        return ids


def _reviewable() -> tuple[str, ...]:
    return REVIEWABLE
