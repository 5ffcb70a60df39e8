"""Pieces of the IDP form: the printable plan page and one editable item row."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import ipywidgets as W
import pandas as pd

from playbook import idp
from playbook.apps import error_html
from playbook.apps import identity as ident
from playbook.core.errors import PlaybookError
from playbook.core.labels import check_lang, t
from playbook.present import html as report
from playbook.present import idp as present_idp
from playbook.present.times import local_time

__all__ = ["LEVELS", "plan_page_html", "ItemRow", "audit_frame", "audit_html", "identity_html", "refusal_text"]

LEVELS = (1, 2, 3, 4, 5)
"""The level scale of the plan table."""

_WIDE = {"description_width": "initial"}

def _esc(value: object) -> str:
    return report.escape(value)


def _box(text: str, kind: str = "ok") -> str:
    """Return a message box; ``kind``: ok (green), info (blue), warn (amber). Text is escaped."""
    colours = {"ok": ("#2e7d32", "#e8f5e9"), "info": ("#1565c0", "#e3f2fd"), "warn": ("#b26a00", "#fff8e1")}
    border, background = colours[kind]
    return (f'<div class="pb-message pb-{kind}" role="status" style="border:1px solid {border};'
            f'background:{background};padding:6px 8px;border-radius:4px;margin:4px 0">{_esc(text)}</div>')


def _failure(exc: BaseException, lang: str) -> str:
    """Return the message box of a failure: a PlaybookError as it is, anything else in short (never a traceback)."""
    if not isinstance(exc, PlaybookError):
        exc = PlaybookError(f"{type(exc).__name__}: {exc}")
    return error_html(exc, lang)


def _problems_html(issues: pd.DataFrame, lang: str) -> str:
    """Every problem of :func:`playbook.present.idp.word_plan_issues` as an escaped list in an alert box."""
    items = "".join(f"<li>{_esc(m)}</li>" for m in issues["message"])
    return (f'<div class="pb-error" role="alert" style="border:1px solid #c0392b;background:#fdecea;'
            f'padding:8px;border-radius:4px"><b>{_esc(t("app_idp.problems", lang, n=len(issues)))}</b>'
            f"<ul>{items}</ul></div>")


def _lines(text: str) -> list[str]:
    return [line.strip() for line in str(text or "").replace("\r", "\n").split("\n") if line.strip()]


def _day(value: object) -> date | None:
    if value is None:
        return None
    ts = pd.to_datetime(value, errors="coerce")
    return None if pd.isna(ts) else ts.date()


def _when(value: object) -> str:
    return local_time(value)  # stored in UTC, shown in the team's time zone


def plan_page_html(plan: idp.Plan, *, lang: str = "en", status: str = "", version: int | None = None,
                   history: pd.DataFrame | None = None) -> str:
    """Return a standalone, printable HTML page of a plan: header, plan table, sign-off.

    Built from :func:`playbook.present.idp.plan_header_html` and
    :func:`playbook.present.idp.plan_to_html_table`, so every typed text is escaped.

    Parameters
    ----------
    plan : Plan
    lang : {"en", "zh"}
    status : str, optional
        The stored status (``draft`` …); empty for a plan not saved.
    version : int, optional
        The stored version shown.
    history : DataFrame, optional
        :meth:`playbook.pipeline.store.Store.history` of the plan (its sign-offs are listed).

    Examples
    --------
    >>> items = pd.DataFrame({"competency": ["negotiation"], "why": [""], "current_level": [3],
    ...                       "target_level": [4], "measures": ["<script>alert(1)</script>"],
    ...                       "resources": [""], "review_date": pd.to_datetime(["2026-03-01"])})
    >>> page = plan_page_html(idp.Plan("R1", rep_name="Ann", items=items), lang="zh", status="draft", version=2)
    >>> "<script>" in page, "&lt;script&gt;" in page, "第 2 版：草稿" in page
    (False, True, True)
    """
    check_lang(lang)
    title = f"{t('idp.title', lang)} · {plan.rep_name or plan.rep_id}"
    state = (t("app_idp.page_state", lang, version=version, status=t(f"idp.status.{status}", lang))
             if status and version else t("app_idp.not_stored", lang))
    signed = ""
    if history is not None and len(history):
        steps = history.loc[history["status"] != "draft"]
        rows = "".join(f"<tr><td>{_esc(t(f'idp.status.{s}', lang))}</td><td>{_esc(a)}</td>"
                       f"<td>{_esc(_when(c))}</td></tr>"
                       for s, a, c in steps[["status", "author", "created_at"]].itertuples(index=False))
        if rows:
            signed = (f"<h2>{_esc(t('app_idp.signoffs', lang))}</h2><table class='idp-header'><tr>"
                      f"<th>{_esc(t('col.status', lang))}</th><th>{_esc(t('app_idp.col.author', lang))}</th>"
                      f"<th>{_esc(t('app_idp.col.created_at', lang))}</th></tr>{rows}</table>")
    return (
        f'<!DOCTYPE html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">'
        f"<title>{_esc(title)}</title>{report.PRINT_CSS}</head><body>"
        f"<h1>{_esc(title)}</h1>"
        f"<h2>{_esc(t('idp.section.header', lang))}</h2>{present_idp.plan_header_html(plan, lang, state=state)}"
        f"<h2>{_esc(t('app_idp.section.plan_table', lang))}</h2>{present_idp.plan_to_html_table(plan, lang)}"
        f"{signed}<h2>{_esc(t('render.signoff', lang))}</h2>{report.signoff_html(lang)}</body></html>"
    )


# --------------------------------------------------------------------------- who, and who did what

def identity_html(who: ident.Identity, roles: ident.Roles, lang: str = "en") -> str:
    """Return the box saying who is logged in and as what (or, without identity, how to enable it).

    Examples
    --------
    >>> _text = lambda h: h.split(">", 1)[1].rsplit("<", 1)[0]
    >>> _text(identity_html(ident.Identity("li", "proxy"), ident.Roles("li", "R1", "Li", frozenset({"R2"}))))
    'Logged in as li (from the sign-in proxy): rep R1 · Li; direct supervisor of 1 rep(s).'
    >>> "Nobody is logged in" in identity_html(ident.Identity(), ident.Roles())
    True
    """
    if not who.user:
        return _box(t("app_idp.no_identity", lang), "warn")
    parts = []
    if roles.rep_id:
        parts.append(t("app_idp.role.rep", lang, rep=f"{roles.rep_id} · {roles.name}" if roles.name else roles.rep_id))
    if roles.reports:
        parts.append(t("app_idp.role.supervisor", lang, n=len(roles.reports)))
    if roles.hr:
        parts.append(t("app_idp.role.hr", lang))
    text = t("app_idp.logged_in", lang, user=who.user, source=t(f"app_idp.source.{who.source or 'server'}", lang),
             roles="; ".join(parts) if parts else t("app_idp.role.none", lang))
    return _box(text, "info" if parts else "warn")


def refusal_text(who: ident.Identity, roles: ident.Roles, plan_rep_id: str, *, step: str | None = None,
                 lang: str = "en") -> str:
    """Return why the user may not change a plan of ``plan_rep_id`` (``step`` None) or take ``step`` ("" if they may).

    Examples
    --------
    >>> boss = ident.Roles("R1", "R1", reports=frozenset({"R2"}))
    >>> refusal_text(ident.Identity("R1"), boss, "R2"), refusal_text(ident.Identity("R1"), boss, "R2",
    ...                                                               step="agreed_by_supervisor")
    ('', '')
    >>> refusal_text(ident.Identity("R1"), boss, "R2", step="agreed_by_rep")[:44]
    'Only R2 can take the step “Agreed by the rep'
    """
    if not who.user:
        return t("app_idp.no_identity", lang)
    if step is None:
        return "" if ident.may_edit(roles, plan_rep_id) else t("app_idp.not_yours", lang, user=who.user,
                                                                 rep=plan_rep_id)
    why = ident.refusal(roles, step, plan_rep_id)
    return "" if why is None else t(f"app_idp.refused.{why}", lang, user=who.user, rep=plan_rep_id,
                                    step=t(f"idp.status.{step}", lang))


AUDIT_COLUMNS = ["when", "who", "action", "version"]


def audit_frame(store: Any, plan_id: int | None, catalogue: idp.Catalogue, lang: str = "en") -> pd.DataFrame:
    """Return who did what when on a stored plan: ``when, who, action, version``, oldest first.

    From the store's raw tables: each version (a save, or a sign-off: the step taken) and
    each review recorded (no version). Empty when ``plan_id`` is None.
    """
    if plan_id is None:
        return pd.DataFrame(columns=AUDIT_COLUMNS)
    versions = store.table("versions")
    versions = versions.loc[versions["plan_id"] == plan_id]
    signed = store.table("signoffs")
    signed = set(signed.loc[signed["plan_id"] == plan_id, "version_id"])
    rows = [(c, a, t("app_idp.audit.signed", lang, status=t(f"idp.status.{st}", lang)) if vid in signed
             else t("app_idp.audit.saved", lang), int(v), 0, vid)
            for vid, v, st, a, c in versions[["id", "version", "status", "author", "created_at"]].itertuples(
                index=False)]
    reviews = store.table("reviews")
    reviews = reviews.loc[reviews["plan_id"] == plan_id]
    for rid, comp, level, a, c in reviews[["id", "competency", "level_reached", "author",
                                           "created_at"]].itertuples(index=False):
        name = present_idp.competency_name(catalogue, comp, lang) if comp in catalogue.competencies else comp
        rows.append((c, a, t("app_idp.audit.review", lang, item=name, level=int(level)), None, 1, rid))
    rows.sort(key=lambda r: (pd.Timestamp(r[0]), r[4], r[5]))
    frame = pd.DataFrame([r[:4] for r in rows], columns=AUDIT_COLUMNS)
    frame["version"] = frame["version"].astype("Int64")
    return frame


def audit_html(audit: pd.DataFrame, lang: str = "en") -> str:
    """Return :func:`audit_frame` as an escaped table under its heading ("" when empty)."""
    if audit.empty:
        return ""
    shown = pd.DataFrame({
        t("app_idp.col.created_at", lang): audit["when"].map(_when),
        t("app_idp.col.author", lang): audit["who"].astype(str),
        t("app_idp.audit.col.action", lang): audit["action"],
        t("app_idp.col.version", lang): audit["version"].map(lambda v: "" if pd.isna(v) else str(v)),
    })
    table = shown.to_html(index=False, escape=True, border=0, justify="left", classes="idp-header pb-audit")
    return f"<h4>{_esc(t('app_idp.audit.title', lang, n=len(audit)))}</h4>{table}"


# --------------------------------------------------------------------------- one item of the grid

class ItemRow:
    """The widgets of one development item (one row of the plan table).

    Parameters
    ----------
    library : DataFrame
        :func:`playbook.present.idp.catalogue_frame` in the plan's language.
    competencies : sequence of (label, key)
        The competency dropdown's options.
    lang : {"en", "zh"}
        Language of the labels.
    record : mapping, optional
        An item of the plan (:data:`playbook.idp.PLAN_ITEM_COLUMNS`); measures found in
        the library are selected there, the others go to the typed box.
    """

    def __init__(self, library: pd.DataFrame, competencies: Sequence[tuple[str, str]], *, lang: str = "en",
                 record: dict[str, Any] | None = None) -> None:
        self.lang = lang
        self._library = library
        rec = dict(record or {})
        key = str(rec.get("competency") or "")
        options = [(t("app_idp.choose", lang), ""), *competencies]
        if key and key not in {v for _, v in options}:
            options.append((key, key))  # a free-text item of a stored plan stays as it is
        levels = [("—", None)] + [(str(v), v) for v in LEVELS]

        def level(value: object) -> int | None:
            v = pd.to_numeric(pd.Series([value], dtype="object"), errors="coerce").iloc[0]
            return int(v) if pd.notna(v) and v in LEVELS else None

        self.number = W.HTML()
        self.competency = W.Dropdown(options=options, value=key, description=t("idp.table.item", lang),
                                     style=_WIDE, layout=W.Layout(width="340px"))
        self.current = W.Dropdown(options=levels, value=level(rec.get("current_level")),
                                  description=t("idp.table.current", lang), style=_WIDE,
                                  layout=W.Layout(width="170px"))
        self.target = W.Dropdown(options=levels, value=level(rec.get("target_level")),
                                 description=t("idp.table.target", lang), style=_WIDE,
                                 layout=W.Layout(width="170px"))
        self.review = W.DatePicker(value=_day(rec.get("review_date")), description=t("idp.table.review", lang),
                                   style=_WIDE, layout=W.Layout(width="230px"))
        self.remove = W.Button(description=t("app_idp.remove", lang), icon="trash", layout=W.Layout(width="110px"))
        self.why = W.Textarea(value=str(rec.get("why") or ""), description=t("idp.table.why", lang), style=_WIDE,
                              layout=W.Layout(width="98%", height="48px"))
        self.library = W.SelectMultiple(options=[], rows=5, description=t("app_idp.library", lang), style=_WIDE,
                                        layout=W.Layout(width="48%"))
        self.typed = W.Textarea(description=t("app_idp.typed", lang), style=_WIDE,
                                placeholder=t("app_idp.typed_placeholder", lang),
                                layout=W.Layout(width="26%", height="96px"))
        self.resources = W.Textarea(value="\n".join(_lines(rec.get("resources"))),
                                    description=t("idp.table.resources", lang), style=_WIDE,
                                    layout=W.Layout(width="24%", height="96px"))
        self._set_library(key)
        measures = _lines(rec.get("measures"))
        known = set(self.library.options)
        self.library.value = tuple(m for m in self.library.options if m in measures)
        self.typed.value = "\n".join(m for m in measures if m not in known)
        self.competency.observe(self._competency_changed, names="value")
        self.widget = W.VBox([
            W.HBox([self.number, self.competency, self.current, self.target, self.review, self.remove],
                   layout=W.Layout(flex_flow="row wrap", align_items="center")),
            self.why,
            W.HBox([self.library, self.typed, self.resources]),
        ], layout=W.Layout(border="1px solid #ccc", padding="6px", margin="4px 0"))

    def _set_library(self, key: str) -> None:
        texts = self._library.loc[self._library["competency"] == key, "measure"].astype(str).tolist()
        self.library.options = list(dict.fromkeys(texts))

    def _competency_changed(self, change: dict) -> None:
        kept = [m for m in self.library.value]
        self._set_library(str(change["new"] or ""))
        self.library.value = tuple(m for m in self.library.options if m in kept)

    def set_number(self, n: int) -> None:
        """Show the item's number (1 = first) as the plan table counts it."""
        self.number.value = f"<b>{_esc(t('app_idp.item_n', self.lang, n=n))}</b>"

    def mark(self, problem: bool) -> None:
        """Outline the item in red when it has a problem."""
        self.widget.layout.border = "2px solid #c0392b" if problem else "1px solid #ccc"

    def record(self) -> dict[str, Any]:
        """Return the item as a plan-table record (measures: library choices first, then typed lines)."""
        chosen = [m for m in self.library.options if m in self.library.value]
        measures = list(dict.fromkeys(chosen + _lines(self.typed.value)))
        return {
            "competency": self.competency.value or "",
            "why": str(self.why.value).strip(),
            "current_level": self.current.value,
            "target_level": self.target.value,
            "measures": "\n".join(measures),
            "resources": "\n".join(_lines(self.resources.value)),
            "review_date": pd.Timestamp(self.review.value) if self.review.value else pd.NaT,
        }
