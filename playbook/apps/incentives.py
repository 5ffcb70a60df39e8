"""Commission calculator (提成计算器) form: "if I close another X, what do I earn?".

A rep picks a commission plan (``templates/plans``) and either his rep ID (his sales,
quota and salary come from the data folder: only the reps the logged-in user may see,
:func:`playbook.apps.identity.may_see`) or types his sales so far, then types the
extra sale and presses Calculate. The page shows what he earns now and after the sale,
the difference, and the line items (rule, tier, base, rate, amount) side by side.

- From the data: the plan is run for this month, quarter or year (the period holding
  the latest order) with :func:`playbook.incentives.run_plan`, once on the orders and
  once with the extra sale added by :func:`~playbook.incentives.add_sale`; the rep's
  part comes from :func:`~playbook.incentives.payout_statement`. Everything the plan
  pays counts: commission, clawbacks, monthly bonus, awards, draw.
- Typed: the commission of one plan component on sales within one tier period,
  itemised by :func:`~playbook.incentives.commission_lines` (the line-item form of
  :func:`~playbook.incentives.commission_table` / ``commission_for_sales``).

:func:`~playbook.incentives.line_changes` puts the line items side by side. Bad input
(negative or non-numeric amounts) is shown as a readable message, never a traceback.

Examples
--------
The domain brief's check (section 4): 2,500,000 CNY of sales earn 240,000 CNY under the
marginal plan and 300,000 CNY under the whole-amount plan.

>>> from playbook.apps.incentives import CommissionCalculator
>>> app = CommissionCalculator("data/sample", lang="en")
>>> app.source.value = "typed"
>>> app.sales_so_far.value, app.extra.value = "2,000,000", "500,000"
>>> app.show()
True
>>> app.result["now_cents"], app.result["after_cents"]
(18000000, 24000000)
>>> app.plan.value = "domain_whole"
>>> app.show(), app.result["after_cents"]
(True, 30000000)
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import ipywidgets as W
import pandas as pd
from IPython.display import HTML

from playbook import incentives
from playbook.apps import access_html, render_outputs
from playbook.apps import identity as ident
from playbook.apps.targets import parse_amount
from playbook.core.errors import PlaybookError
from playbook.core.labels import check_lang, t
from playbook.core.money import to_cents
from playbook.data import loading
from playbook.present import incentives as present_incentives
from playbook.present.html import escape
from playbook.targets import overview
from playbook.targets.overview import current_reps

__all__ = ["CommissionCalculator", "commission_calculator_app"]

_WIDE = {"description_width": "initial"}
_TOGGLE = {"description_width": "initial", "button_width": "auto"}
_CATEGORIES = ["net_sales_cents", "commission_cents", "clawback_cents", "bonus_cents", "awards_cents", "draw_cents",
               "total_cents"]


def _money(cents: int, sign: bool = False) -> str:
    return f"{cents / 100:+,.2f}" if sign else f"{cents / 100:,.2f}"


def _html(text: str, tag: str = "p", style: str = "") -> HTML:
    attr = f' style="{style}"' if style else ""
    return HTML(f"<{tag}{attr}>{escape(text)}</{tag}>")


class CommissionCalculator:
    """The commission calculator form: its controls are attributes, :meth:`show` runs it.

    Parameters
    ----------
    data_dir : str or Path
        Data folder with ``orders``, ``reps``, ``quotas`` (+ ``customers``,
        ``activities`` for awards); the shipped sample by default.
    lang : {"en", "zh"}
        Language of every label.
    user : str
        The logged-in user, from the server (:func:`playbook.apps.identity.prelaunch_hook`),
        never typed. The rep picker offers only the reps they may see
        (:func:`~playbook.apps.identity.may_see`: themselves, their reports down the
        ``manager_id`` chain, everyone for HR) and :meth:`results` refuses any other rep,
        whatever the picker holds. Without identity only typed sales can be tried.
    hr_users : str or sequence of str, optional
        The HR logins (default ``$PLAYBOOK_HR_USERS``).

    Attributes
    ----------
    plan, source, rep, period, product_line, sales_so_far, component, quota, extra, button
        The form's controls. ``source`` is ``rep`` (sales from the data) or ``typed``;
        ``rep``, ``period`` and ``product_line`` apply to the first, ``sales_so_far``,
        ``component`` and ``quota`` (attainment tiers only) to the second.
    out : ipywidgets.Output
        The result (or the problem list).
    result : dict
        ``now_cents``, ``after_cents``, ``change_cents`` and ``changes`` (the line items
        side by side) of the last calculation; empty after a problem.
    widget : ipywidgets.VBox
        The whole form, to display.
    """

    def __init__(self, data_dir: str | Path = "data/sample", *, lang: str = "en", user: str = "",
                 hr_users: str | Sequence[str] | None = None) -> None:
        check_lang(lang)
        self.data_dir = data_dir
        self.lang = lang
        self.result: dict[str, Any] = {}
        self.who = ident.Roles()
        self._dataset: Any = None
        self._as_of: pd.Timestamp | None = None
        self._load_error: PlaybookError | None = None
        try:
            self._load()
        except PlaybookError as exc:
            self._load_error = exc
        if self._dataset is not None:
            self.who = ident.viewer(user, self._dataset.reps, hr=hr_users)

        names = incentives.list_plans()
        titles = [present_incentives.plan_label(incentives.load_plan(n), lang) for n in names]
        self.plan = W.Dropdown(options=list(zip(titles, names, strict=True)),
                               value="domain_marginal" if "domain_marginal" in names else names[0],
                               description=t("app_incentives.plan", lang), style=_WIDE,
                               layout=W.Layout(width="640px"))
        self.source = W.ToggleButtons(options=[(t("app_incentives.source_rep", lang), "rep"),
                                               (t("app_incentives.source_typed", lang), "typed")],
                                      value="typed",
                                      description=t("app_incentives.source", lang), style=_TOGGLE)
        self.rep = W.Dropdown(options=self._rep_options(), description=t("app_incentives.rep", lang), style=_WIDE)
        if self.rep.options:
            self.source.value = "rep"
        else:  # nobody's figures to show: only typed sales (a forced "rep" is refused by results)
            self.source.layout.display = "none"
        self.access = W.HTML(access_html(self.who, lang, extra="" if self.rep.options
                                         else t("access.typed_only", lang)))
        self.period = W.ToggleButtons(options=self._period_options(), description=t("app_incentives.period", lang),
                                      style=_TOGGLE)
        if len(self.period.options) > 1:
            self.period.index = 1  # this quarter
        lines = self._product_lines()
        self.product_line = W.Dropdown(options=lines, value=lines[0] if lines else None,
                                       description=t("col.product_line", lang), style=_WIDE)
        self.sales_so_far = W.Text(value="0", description=t("app_incentives.sales_so_far.year", lang), style=_WIDE,
                                   layout=W.Layout(width="360px"))
        self.component = W.Dropdown(description=t("app_incentives.component", lang), style=_WIDE)
        self.quota = W.Text(value="", placeholder="2,000,000", description=t("app_incentives.quota", lang),
                            style=_WIDE, layout=W.Layout(width="360px"))
        self.extra = W.Text(value="100,000", description=t("app_incentives.extra", lang), style=_WIDE,
                            layout=W.Layout(width="360px"))
        self.button = W.Button(description=t("app_incentives.calculate", lang), button_style="primary")
        self.out = W.Output()
        self._rep_box = W.HBox([self.rep, self.product_line])
        self._typed_box = W.HBox([self.sales_so_far, self.component, self.quota])

        self.plan.observe(self._plan_changed, names="value")
        self.component.observe(self._refresh, names="value")
        self.source.observe(self._refresh, names="value")
        self.button.on_click(self.show)
        self._plan_changed()
        self.widget = W.VBox([
            W.HTML(f"<h2>{escape(t('apps.commission_calculator.title', lang))}</h2>"
                   f"<p>{escape(t('app_incentives.intro', lang))}</p>"),
            self.access,
            self.plan,
            self.source,
            self._rep_box,
            self.period,
            self._typed_box,
            self.extra,
            self.button,
            self.out,
        ])
        if self._load_error is not None:
            render_outputs(self.out, self._raise_load_error, lang)

    # -- data
    def _load(self) -> None:
        self._dataset = loading.load_inputs(self.data_dir)
        self._as_of = overview.resolve_as_of("", self._dataset.orders)

    def _raise_load_error(self) -> list[Any]:
        raise self._load_error  # type: ignore[misc]

    def _rep_options(self) -> list[tuple[str, str]]:
        if self._dataset is None:
            return []

        reps = current_reps(self._dataset.reps, as_of=self._as_of)
        names = reps["name"] if "name" in reps.columns else pd.Series("", index=reps.index)
        return [(f"{r} · {n}" if isinstance(n, str) and n else str(r), str(r))
                for r, n in zip(reps["rep_id"].astype(str), names, strict=True) if ident.may_see(self.who, r)]

    def _period_options(self) -> list[tuple[str, str]]:
        if self._as_of is None:
            return []
        day = self._as_of
        periods = {"month": f"{day:%Y-%m}", "quarter": f"{day.year}-Q{day.quarter}", "year": f"{day.year}"}
        return [(t(f"app_incentives.period_{k}", self.lang, period=v), v) for k, v in periods.items()]

    def _product_lines(self) -> list[str]:
        if self._dataset is None or "product_line" not in self._dataset.orders.columns:
            return []
        return sorted(str(p) for p in self._dataset.orders["product_line"].dropna().unique())

    # -- visibility
    def _plan_changed(self, _: object = None) -> None:
        plan = incentives.load_plan(self.plan.value)
        self.component.options = [(c.name, i) for i, c in enumerate(plan.components)]
        self.component.value = 0 if plan.components else None
        self._refresh()

    def _refresh(self, _: object = None) -> None:
        plan = incentives.load_plan(self.plan.value)
        typed = self.source.value == "typed"
        self._rep_box.layout.display = "none" if typed else "flex"
        self.period.layout.display = "none" if typed else "flex"
        self._typed_box.layout.display = "flex" if typed else "none"
        scoped = any(c.product_lines is not None for c in plan.components)
        self.product_line.layout.display = "flex" if scoped and self.product_line.options else "none"
        self.component.layout.display = "flex" if len(plan.components) > 1 else "none"
        comp = plan.components[self.component.value] if plan.components and self.component.value is not None else None
        self.quota.layout.display = "flex" if comp is not None and comp.basis == "attainment" else "none"
        if comp is not None:
            self.sales_so_far.description = t(f"app_incentives.sales_so_far.{comp.tier_period}", self.lang)

    # -- the computation
    def _amount(self, widget: W.Text, key: str) -> float:
        return parse_amount(widget.value, field=t(key, self.lang), lang=self.lang)

    def _typed_note(self) -> str:
        """Return the label of the typed result's footnote: where the bonus and awards are."""
        if self.rep.options:
            return "app_incentives.note_typed"  # "From the data" is offered
        return "app_incentives.note_typed_no_login" if not self.who.user else "app_incentives.note_typed_no_rep"

    def results(self) -> list[Any]:
        """Compute now and after the extra sale and return what the page shows (display objects, in order)."""
        lang = self.lang
        plan = incentives.load_plan(self.plan.value)
        extra = self._amount(self.extra, "app_incentives.extra")
        extra_cents = to_cents(extra)
        if self.source.value == "typed":
            so_far = parse_amount(self.sales_so_far.value, field=self.sales_so_far.description, lang=lang)
            comp = plan.components[self.component.value] if plan.components else None
            quota = (self._amount(self.quota, "app_incentives.quota")
                     if comp is not None and comp.basis == "attainment" else None)
            kwargs = {"plan": plan, "component": self.component.value or 0, "quota": quota}
            now = incentives.commission_lines(so_far, **kwargs)
            after = incentives.commission_lines(so_far + extra, **kwargs)
            now_c, after_c = int(now["amount_cents"].sum()), int(after["amount_cents"].sum())
            sales_cents = to_cents(so_far)
            summary = pd.DataFrame({"sales_cents": [sales_cents, sales_cents + extra_cents],
                                    "commission_cents": [now_c, after_c]})
            headline = t("app_incentives.headline_typed", lang, sales=f"{so_far:,.2f}", now=_money(now_c),
                         extra=f"{extra:,.2f}", total=f"{so_far + extra:,.2f}", after=_money(after_c),
                         change=_money(after_c - now_c, sign=True))
            note = t(self._typed_note(), lang, component=comp.name if comp else "")
            drop = ["month"] + (["component"] if len(plan.components) <= 1 else [])
        else:
            if self._load_error is not None:
                raise self._load_error
            ds = self._dataset
            rep, period = self.rep.value, self.period.value
            ident.check_visible(self.who, rep or "—")  # whatever the picker holds: nobody else's figures
            tables = {"customers": ds.customers, "activities": ds.activities}
            run_now = incentives.run_plan(ds.orders, ds.reps, ds.quotas, plan=plan, period=period, **tables)
            scoped = any(c.product_lines is not None for c in plan.components)
            product = self.product_line.value if scoped else None
            orders = (incentives.add_sale(ds.orders, rep_id=rep, amount=extra, on=self._as_of, product_line=product)
                      if extra_cents > 0 else ds.orders)
            run_after = incentives.run_plan(orders, ds.reps, ds.quotas, plan=plan, period=period, **tables)
            st_now = incentives.payout_statement(run_now, rep_id=rep)
            st_after = incentives.payout_statement(run_after, rep_id=rep)
            now, after = st_now["lines"], st_after["lines"]
            summary = pd.concat([st_now["summary"], st_after["summary"]], ignore_index=True)[_CATEGORIES]
            now_c, after_c = int(summary["total_cents"].iloc[0]), int(summary["total_cents"].iloc[1])
            name = st_now["summary"].loc[0, "name"]
            who = f"{rep} · {name}" if isinstance(name, str) and name else str(rep)
            headline = t("app_incentives.headline_rep", lang, rep=who, period=period, as_of=f"{self._as_of:%Y-%m-%d}",
                         now=_money(now_c), extra=f"{extra:,.2f}", after=_money(after_c),
                         change=_money(after_c - now_c, sign=True))
            where = t("app_incentives.note_product", lang, product=product) if product else ""
            note = t("app_incentives.note_rep", lang, as_of=f"{self._as_of:%Y-%m-%d}", product=where, period=period)
            drop = [] if len(plan.components) > 1 else ["component"]
        changes = incentives.line_changes(now, after)
        self.result = {"now_cents": now_c, "after_cents": after_c, "change_cents": after_c - now_c,
                       "changes": changes}
        diff = summary.iloc[[1]].reset_index(drop=True) - summary.iloc[[0]].reset_index(drop=True)
        table = pd.concat([summary, diff], ignore_index=True)
        table.insert(0, "scenario", [t("app_incentives.now", lang),
                                     t("app_incentives.after", lang, extra=f"{extra:,.2f}"),
                                     t("app_incentives.difference", lang)])
        shown = changes.drop(columns=drop)
        changed = (changes["change_cents"] != 0).to_numpy()
        lines = present_incentives.table(shown, lang=lang).apply(
            lambda col: ["background-color:#fff3cd;font-weight:bold" if c else "" for c in changed], axis=0)
        return [
            _html(headline, "p", "font-size:1.25em;padding:8px;background:#eef5ff;border-radius:4px"),
            _html(t("app_incentives.summary", lang), "h3"),
            HTML(present_incentives.table(table, lang=lang).to_html()),
            _html(t("app_incentives.lines", lang), "h3"),
            HTML(lines.to_html()),
            _html(note, "p", "color:#555"),
        ]

    def show(self, _: object = None) -> bool:
        """Run the form: the result (or the problem list) in :attr:`out`."""
        self.result = {}
        ok = render_outputs(self.out, self.results, self.lang)
        if not ok:
            self.result = {}
        return ok


def commission_calculator_app(data_dir: str | Path = "data/sample", *, lang: str = "en",
                              user: str = "") -> W.Widget:
    """Return the commission calculator form (see :class:`CommissionCalculator`), ready to display in Voila.

    ``user`` comes from the server (:func:`playbook.apps.identity.prelaunch_hook`), never from the page.
    """
    return CommissionCalculator(data_dir, lang=lang, user=user).widget
