"""Target planner (目标分解) form: company target in, quarter / month split and per-rep quotas out.

A team lead enters the company target (growth on a base year, or an amount), picks how
the year is split into months (equal or seasonal) and how the target is split between
the reps (equal, history or capacity), and sees the quarters, the months, the teams,
the per-rep quotas and the rep x month chart. He can then fix one rep's quota by hand:
the override is kept exactly, the other reps are rebalanced and the total stays the
company target to the cent; an override that cannot fit is shown as a readable problem
and the plan stays as it was. The quota sheet (Excel, one sheet per level) is offered
as a download link.

The form is bound to the functions ``notebooks/01_target_decomposition.ipynb`` uses:
:func:`playbook.targets.company_target`, :func:`~playbook.targets.decompose` (with
``overrides``), :func:`~playbook.targets.plan_checks`,
:func:`~playbook.present.targets.quota_sheets` + :func:`~playbook.present.targets.write_quota_workbook`
and :func:`playbook.present.charts.targets.quota_matrix_chart`.

Examples
--------
>>> from playbook.apps.targets import TargetPlanner
>>> app = TargetPlanner("data/sample", lang="en", plan_year=2025, user="hr.li", hr_users="hr.li")
>>> app.kind.value, app.growth.value = "amount", "30"
>>> app.amount.value = "12,000,000"
>>> app.time_method.value, app.rep_method.value = "equal", "equal"
>>> app.show()
True
>>> float(app.plan.reps["quota"].sum())
12000000.0
>>> app.override_rep.value, app.override_amount.value = "R001", "1,000,000"
>>> app.apply_override()
True
>>> float(app.plan.reps.set_index("rep_id").loc["R001", "quota"]), float(app.plan.reps["quota"].sum())
(1000000.0, 12000000.0)
"""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
import warnings
from collections.abc import Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import ipywidgets as W
from IPython.display import HTML, Markdown

from playbook import targets
from playbook.apps import access_html, download_html, error_html, figure_png, render_outputs
from playbook.apps import identity as ident
from playbook.core import paths
from playbook.core.errors import InputError, PlaybookError
from playbook.core.labels import check_lang, t
from playbook.data import loading
from playbook.present import html as report
from playbook.present import targets as present_targets
from playbook.present.charts import targets as targets_plots
from playbook.present.html import escape
from playbook.targets import overview

__all__ = [
    "XLSX_MIME",
    "parse_amount",
    "parse_percent",
    "TargetPlanner",
    "target_planner_app",
]

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
"""MIME type of the quota workbook download."""

_WIDE = {"description_width": "initial"}
_STRIP = str.maketrans("", "", " ,，_¥￥\u00a0\u3000")
_UNITS = ("CNY", "RMB", "元")


# --------------------------------------------------------------------------- form input

def _number(text: str) -> Decimal | None:
    raw = str(text).strip().translate(_STRIP)
    for unit in _UNITS:
        if raw.upper().endswith(unit):
            raw = raw[: -len(unit)]
    scale = Decimal(1)
    if raw.endswith("万"):
        raw, scale = raw[:-1], Decimal(10_000)
    try:
        value = Decimal(raw) * scale
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() else None


def parse_amount(text: str, *, field: str, lang: str = "en", minimum: float | None = 0.0) -> float:
    """Read an amount in CNY typed in a form: ``2500000``, ``2,500,000``, ``¥2 500 000`` or ``250万``.

    Raises :class:`~playbook.core.errors.InputError` with a message in ``lang`` naming the
    ``field`` and saying what to type when the text is empty, not a number, or below
    ``minimum`` (None: no lower bound). The result is rounded to the cent.

    Examples
    --------
    >>> parse_amount("2,500,000", field="Sales"), parse_amount("250万", field="Sales"), parse_amount("0", field="x")
    (2500000.0, 2500000.0, 0.0)
    >>> parse_amount("abc", field="Sales")
    Traceback (most recent call last):
    ...
    playbook.core.errors.InputError: Sales: “abc” is not a number. Type an amount in CNY such as 2500000, 2,500,00...
    >>> parse_amount("-5", field="销售额", lang="zh")
    Traceback (most recent call last):
    ...
    playbook.core.errors.InputError: 销售额：-5 小于零，请输入 0 或更大的数。
    """
    check_lang(lang)
    if not str(text).strip():
        raise InputError(t("app_input.empty", lang, field=field))
    value = _number(text)
    if value is None:
        raise InputError(t("app_input.not_number", lang, field=field, value=str(text).strip()))
    if minimum is not None and value < Decimal(str(minimum)):
        raise InputError(t("app_input.negative", lang, field=field, value=str(text).strip()))
    return float(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def parse_percent(text: str, *, field: str, lang: str = "en") -> float:
    """Read a percentage typed in a form (``30``, ``30%``, ``-5``) and return it as a fraction (0.30).

    Examples
    --------
    >>> parse_percent("30", field="Growth"), parse_percent(" 12.5 % ", field="Growth")
    (0.3, 0.125)
    >>> parse_percent("thirty", field="Growth")
    Traceback (most recent call last):
    ...
    playbook.core.errors.InputError: Growth: “thirty” is not a percentage. Type a number such as 30 for +30% (or -...
    """
    check_lang(lang)
    raw = str(text).strip().rstrip("%％").strip()
    try:
        value = Decimal(raw.translate(_STRIP))
    except (InvalidOperation, ValueError):
        value = None
    if value is None or not value.is_finite():
        raise InputError(t("app_input.not_percent", lang, field=field, value=str(text).strip()))
    return float(value / 100)


def _html(text: str, tag: str = "p") -> HTML:
    return HTML(f"<{tag}>{escape(text)}</{tag}>")


def _money(value: float) -> str:
    return f"{value:,.2f}"


# --------------------------------------------------------------------------- the app

class TargetPlanner:
    """The target planner form: its controls are attributes, :meth:`show` runs it.

    Parameters
    ----------
    data_dir : str or Path
        Data folder with ``reps`` and ``orders`` (the shipped sample by default).
    lang : {"en", "zh"}
        Language of every label.
    plan_year : int, optional
        Year planned first; default the year of the latest order (the next one when
        the data run to December).
    dataset : playbook.data.loading.Dataset, optional
        Data already loaded from ``data_dir`` (default: loaded on first use).
    user : str
        The logged-in user, from the server (:func:`playbook.apps.identity.prelaunch_hook`),
        never typed. The company plan is computed whole (the company target, quarters and
        months are shown to anyone), but the per-rep quotas, the rep x month chart, the
        quota workbook and the quotas set by hand cover only the reps the user may see
        (:func:`playbook.apps.identity.visible_rows`), and a team's total only when the user
        may see every rep of that team. Without identity no rep is shown.
    hr_users : str or sequence of str, optional
        The HR logins (default ``$PLAYBOOK_HR_USERS``).

    Attributes
    ----------
    plan_year, kind, growth, base_year, amount, time_method, rep_method, button
        The target and method controls (``kind``: ``growth`` or ``amount``).
    out : ipywidgets.Output
        The plan (or the problem list).
    override_rep, override_amount, apply, clear, override_status
        Fixing one rep's quota by hand; ``override_status`` says what is fixed, or why
        an override cannot be applied.
    download : ipywidgets.HTML
        The link to the quota workbook of the plan shown.
    overrides : dict
        rep_id -> annual quota (CNY) fixed by hand.
    plan : QuotaPlan or None
        The plan shown.
    widget : ipywidgets.VBox
        The whole form, to display.
    """

    def __init__(self, data_dir: str | Path = "data/sample", *, lang: str = "en", plan_year: int | None = None,
                 dataset: Any = None, user: str = "", hr_users: str | Sequence[str] | None = None) -> None:
        check_lang(lang)
        self.data_dir = data_dir
        self.lang = lang
        self._user, self._hr = user, hr_users
        self.shown: Any = None  # the part of the plan the user may see (the page, the chart, the workbook)
        self.overrides: dict[str, float] = {}
        self.plan: Any = None
        self._dataset: Any = dataset
        year = int(plan_year) if plan_year else self._default_year()

        def label(key: str) -> str:
            return t(key, lang)

        self.plan_year = W.BoundedIntText(value=year, min=2000, max=2100, description=label("app_targets.plan_year"),
                                          style=_WIDE, layout=W.Layout(width="190px"))
        self.kind = W.ToggleButtons(options=[(label("app_targets.kind_growth"), "growth"),
                                             (label("app_targets.kind_amount"), "amount")],
                                    value="growth", description=label("app_targets.target_kind"),
                                    style={"description_width": "initial", "button_width": "auto"})
        self.growth = W.Text(value="30", description=label("app_targets.growth"), style=_WIDE,
                             layout=W.Layout(width="190px"))
        self.base_year = W.BoundedIntText(value=year - 1, min=1990, max=2100, style=_WIDE,
                                          description=label("app_targets.base_year"), layout=W.Layout(width="190px"))
        self.amount = W.Text(value="", placeholder="30,000,000", description=label("app_targets.amount"),
                             style=_WIDE, layout=W.Layout(width="300px"))
        self.time_method = W.Dropdown(options=[(label("app_targets.time.equal"), "equal"),
                                               (label("app_targets.time.seasonal"), "seasonal")],
                                      value="seasonal", description=label("app_targets.time_method"), style=_WIDE)
        self.rep_method = W.Dropdown(options=[(label(f"app_targets.rep.{m}"), m)
                                              for m in ("equal", "history", "capacity")],
                                     value="capacity", description=label("app_targets.rep_method"), style=_WIDE)
        self.button = W.Button(description=label("app_targets.show"), button_style="primary")
        self.out = W.Output()
        self.override_rep = W.Dropdown(options=[], description=label("app_targets.override_rep"), style=_WIDE)
        self.override_amount = W.Text(value="", placeholder="2,000,000", style=_WIDE,
                                      description=label("app_targets.override_amount"), layout=W.Layout(width="300px"))
        self.apply = W.Button(description=label("app_targets.apply"), button_style="info")
        self.clear = W.Button(description=label("app_targets.clear"))
        self.override_status = W.HTML()
        self.download = W.HTML()
        self.override_box = W.VBox([
            W.HTML(f"<h3>{escape(label('app_targets.overrides'))}</h3>"
                   f"<p>{escape(label('app_targets.override_help'))}</p>"),
            W.HBox([self.override_rep, self.override_amount, self.apply, self.clear]),
            self.override_status,
        ], layout=W.Layout(display="none"))
        self._growth_box = W.HBox([self.growth, self.base_year])

        self.kind.observe(self._show_kind, names="value")
        self.plan_year.observe(self._follow_year, names="value")
        self.button.on_click(self.show)
        self.apply.on_click(self.apply_override)
        self.clear.on_click(self.clear_overrides)
        self._show_kind()
        self.widget = W.VBox([
            W.HTML(f"<h2>{escape(label('apps.target_planner.title'))}</h2>"
                   f"<p>{escape(label('app_targets.intro'))}</p>"),
            self.plan_year,
            self.kind,
            self._growth_box,
            self.amount,
            W.HBox([self.time_method, self.rep_method]),
            self.button,
            self.out,
            self.override_box,
            self.download,
        ])

    # -- events and data
    def _show_kind(self, _: object = None) -> None:
        growth = self.kind.value == "growth"
        self._growth_box.layout.display = "flex" if growth else "none"
        self.amount.layout.display = "none" if growth else "flex"

    def _follow_year(self, change: dict) -> None:
        self.base_year.value = int(change["new"]) - 1

    def _default_year(self) -> int:
        try:
            last = overview.resolve_as_of("", self.dataset().orders)
        except PlaybookError:
            return date.today().year
        return last.year + (last.month == 12)

    def dataset(self) -> Any:
        """Return the data folder's dataset (loaded once)."""
        if self._dataset is None:
            self._dataset = loading.load_inputs(self.data_dir)
        return self._dataset

    # -- the computation
    def compute(self, overrides: dict[str, float] | None = None) -> Any:
        """Return the :class:`~playbook.targets.QuotaPlan` of the form's values and ``overrides``."""
        lang = self.lang
        ds = self.dataset()
        year = int(self.plan_year.value)
        if self.kind.value == "amount":
            amount = parse_amount(self.amount.value, field=t("app_targets.amount", lang), lang=lang)
            target = targets.company_target(plan_year=year, amount=amount)
        else:
            growth = parse_percent(self.growth.value, field=t("app_targets.growth", lang), lang=lang)
            target = targets.company_target(ds.orders, plan_year=year, growth=growth,
                                            base_year=int(self.base_year.value))
        return targets.decompose(ds.reps, ds.orders, target=target, plan_year=year, time_method=self.time_method.value,
                                 rep_method=self.rep_method.value, base_year=int(self.base_year.value),
                                 overrides=overrides or None)

    def results(self) -> list[Any]:
        """Compute the plan and return what the page shows (display objects, in order)."""
        lang = self.lang
        self.plan = self.compute(self.overrides)
        ds = self.dataset()
        who = ident.viewer(self._user, ds.reps, hr=self._hr)
        plan = self.shown = self._visible_plan(self.plan, who)
        year = plan.target.plan_year
        as_of = overview.resolve_as_of("", ds.orders)
        reps = plan.reps.drop(columns=["weight"]).assign(
            is_override=plan.reps["is_override"].map({True: "✓", False: ""}))
        quarters = report.style_table(plan.quarterly, lang=lang).to_html()
        months = report.style_table(plan.monthly.assign(month=plan.monthly["month"].dt.strftime("%Y-%m")),
                                    lang=lang).to_html()
        parts: list[Any] = [
            HTML(access_html(who, lang)),
            _html(t("targets.subtitle", lang, plan_year=year, as_of=as_of.date(),
                    source=paths.resolve(self.data_dir).name), "h4"),
            _html(t("targets.company", lang), "h3"),
            Markdown(present_targets.describe_target(plan.target, lang=lang)),
            _html(t("targets.time_split", lang), "h3"),
            _html(t(f"targets.time_note.{self.time_method.value}", lang, years=2)),
            HTML('<div style="display:flex;gap:2em;flex-wrap:wrap;align-items:flex-start">'
                 f"<div><h4>{escape(t('targets.quarters', lang))}</h4>{quarters}</div>"
                 f"<div><h4>{escape(t('targets.months', lang))}</h4>{months}</div></div>"),
            _html(t("targets.rep_split", lang), "h3"),
            _html(t(f"targets.rep_note.{self.rep_method.value}", lang, base_year=int(self.base_year.value),
                    plan_year=year, ramp=" → ".join(f"{r:.0%}" for r in targets.DEFAULT_RAMP))),
        ]
        if self.overrides:
            parts.append(_html(t("targets.override_note", lang, reps=self._override_text())))
        if not len(plan.reps):  # nobody to show: the company and the months only
            return parts
        parts += [
            _html(t("targets.teams", lang), "h4"),
            HTML(report.style_table(plan.teams, lang=lang).to_html()),
            _html(t("targets.reps", lang), "h4"),
            _html(t("app_targets.reps_total", lang, n=len(plan.reps), total=_money(float(plan.reps["quota"].sum())))),
            HTML(report.style_table(reps, lang=lang).to_html()),
            _html(t("targets.matrix", lang), "h3"),
            figure_png(targets_plots.quota_matrix_chart(plan.matrix, plan.reps, lang=lang).figure),
            _html(t("targets.checks", lang), "h4"),
            HTML(report.style_table(present_targets.plan_checks_table(targets.plan_checks(self.plan), lang=lang),
                                    lang=lang).to_html()),
        ]
        return parts

    def _override_text(self) -> str:
        return ", ".join(f"{rep} = {_money(value)}" for rep, value in self.overrides.items())

    def show(self, _: object = None) -> bool:
        """Run the form: the plan (or the problem list) in :attr:`out`, then the overrides and the download."""
        self.plan = None
        ok = render_outputs(self.out, self.results, self.lang)
        if not ok:
            self.plan = None
            self.download.value = ""
            self.override_box.layout.display = "none"
            return False
        reps = self.shown.reps
        keep = self.override_rep.value
        self.override_rep.options = [(f"{r} · {n}" if isinstance(n, str) and n else str(r), str(r))
                                     for r, n in zip(reps["rep_id"], reps["name"], strict=True)]
        ids = [value for _, value in self.override_rep.options]
        self.override_rep.value = keep if keep in ids else (ids[0] if ids else None)
        self.override_box.layout.display = "flex" if ids else "none"
        self._status()
        year = self.plan.target.plan_year
        self.download.value = download_html(self.workbook_bytes(), f"quotas_{year}.xlsx",
                                            t("app_targets.download", self.lang, plan_year=year), mime=XLSX_MIME)
        return True

    def _status(self) -> None:
        if self.overrides:
            text = t("app_targets.override_kept", self.lang, reps=self._override_text(),
                     total=_money(float(self.plan.reps["quota"].sum())))
        else:
            text = t("app_targets.override_none", self.lang)
        self.override_status.value = f'<p class="pb-status">{escape(text)}</p>'

    def apply_override(self, _: object = None) -> bool:
        """Fix the picked rep's quota to the typed amount and re-plan; show why when it cannot fit.

        A failed override leaves :attr:`overrides` and the plan shown unchanged.
        """
        lang = self.lang
        rep = self.override_rep.value
        text = self.override_amount.value
        if rep is None:
            return self.show()
        if self.shown is None or str(rep) not in set(self.shown.reps["rep_id"].astype(str)):
            who = ident.viewer(self._user, self.dataset().reps, hr=self._hr)
            try:  # a value forced past the picker: nobody else's quota is set or shown
                ident.check_visible(who, rep)
            except PlaybookError as exc:
                self.override_status.value = error_html(exc, lang)
                return False
        try:
            amount = parse_amount(text, field=t("app_targets.override_amount", lang), lang=lang)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self.compute({**self.overrides, str(rep): amount})
        except PlaybookError as exc:
            lead = t("app_targets.override_failed", lang, rep=rep, amount=str(text).strip())
            self.override_status.value = error_html(PlaybookError(f"{lead}\n{exc}"), lang)
            return False
        self.overrides = {**self.overrides, str(rep): amount}
        return self.show()

    def clear_overrides(self, _: object = None) -> bool:
        """Drop every quota set by hand and re-plan."""
        self.overrides = {}
        return self.show()

    @staticmethod
    def _visible_plan(plan: Any, who: ident.Roles) -> Any:
        """Return ``plan`` with the reps ``who`` may see, and the teams whose every rep they may see."""
        if who.hr:
            return plan
        reps = ident.visible_rows(who, plan.reps)
        whole = [team for team, ids in plan.reps.groupby("team")["rep_id"]
                 if set(ids.astype(str)) <= set(reps["rep_id"].astype(str))]
        return dataclasses.replace(plan, reps=reps, matrix=ident.visible_rows(who, plan.matrix),
                                   capacity=ident.visible_rows(who, plan.capacity),
                                   teams=plan.teams.loc[plan.teams["team"].isin(whole)])

    def workbook_bytes(self) -> bytes:
        """Return the quota workbook (Excel) of the plan shown (the reps the user may see), in the form's language."""
        if self.plan is None or self.shown is None:
            raise InputError(t("app_targets.no_plan", self.lang))
        folder = Path(tempfile.mkdtemp(prefix="playbook_quotas_"))
        try:
            path = present_targets.write_quota_workbook(present_targets.quota_sheets(self.shown, lang=self.lang),
                                                folder / f"quotas_{self.plan.target.plan_year}.xlsx")
            return path.read_bytes()
        finally:
            shutil.rmtree(folder, ignore_errors=True)


def target_planner_app(data_dir: str | Path = "data/sample", *, lang: str = "en", user: str = "") -> W.Widget:
    """Return the target planner form (see :class:`TargetPlanner`), ready to display in Voila.

    ``user`` comes from the server (:func:`playbook.apps.identity.prelaunch_hook`), never from the page.
    """
    return TargetPlanner(data_dir, lang=lang, user=user).widget
