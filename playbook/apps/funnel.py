"""Funnel explorer: where deals get stuck, for one team or all, over a period, as of a day.

Staff pick a team (or all teams), the period in which the leads were created (empty
dates: all of them) and the as-of date (empty: the latest date in the data), and see
the funnel with the drop-off of each step (for all teams also each team against the
company: a team that leaks as a whole does not show in its reps' comparison), the rep x
step heat map against the team,
the leaks per rep (:func:`playbook.funnel.rep_leaks`, the input of the IDP) and the
stuck deals. A period without opportunities, or one that ends before it starts, shows
a readable message in the page's language.

Every figure is over the reps the logged-in user may see
(:func:`playbook.apps.identity.visible_rows`, applied to the data before anything is
computed): a rep sees their own funnel (without the reps-against-team section: one rep
against themselves says nothing), a supervisor their team's (totals and team comparison
over those reps only), HR everyone; nobody without identity.

The form is bound to the functions ``notebooks/03_funnel_diagnostics.ipynb`` uses:
:func:`playbook.funnel.stage_table`, :func:`~playbook.funnel.select`,
:func:`~playbook.funnel.step_table`, :func:`~playbook.funnel.funnel_table`,
:func:`~playbook.funnel.rep_comparison`, :func:`~playbook.funnel.rep_leaks`,
:func:`~playbook.funnel.stuck_deals` and the charts of :mod:`playbook.present.charts.funnel`.

Examples
--------
>>> import datetime
>>> from playbook.apps.funnel import FunnelExplorer
>>> app = FunnelExplorer("data/sample", lang="en", user="hr.li", hr_users="hr.li")
>>> app.period_start.value = datetime.date(2025, 1, 1)
>>> app.show()
True
>>> app.period_end.value = datetime.date(2024, 12, 31)
>>> app.show()
False
>>> "before it starts" in app.out.outputs[0]["data"]["text/html"]
True
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import ipywidgets as W
import pandas as pd
from IPython.display import HTML

from playbook import funnel
from playbook.apps import access_html, figure_png, render_outputs
from playbook.apps import identity as ident
from playbook.core import paths
from playbook.core.errors import InputError, ParameterError, PlaybookError
from playbook.core.labels import check_lang, t
from playbook.data import loading
from playbook.present import funnel as present_funnel
from playbook.present import html as report
from playbook.present.charts import funnel as funnel_plots
from playbook.present.html import escape

__all__ = ["MIN_N", "FunnelExplorer", "funnel_app"]

MIN_N = 10  # decided opportunities a rep needs in a step before it is judged (as the notebook)
_WIDE = {"description_width": "initial"}


def _iso(value: dt.date | None) -> str:
    return value.isoformat() if value else ""


class FunnelExplorer:
    """The funnel explorer form: its controls are attributes, :meth:`show` runs it.

    Parameters
    ----------
    data_dir : str or Path
        Data folder with ``opportunities``, ``reps`` and ``orders`` (the shipped sample
        by default). It is read once, when the form is built.
    lang : {"en", "zh"}
        Language of every label.
    user : str
        The logged-in user, from the server (:func:`playbook.apps.identity.prelaunch_hook`),
        never typed. The funnel is computed on the opportunities (and reps) of the reps
        they may see only (:func:`playbook.apps.identity.visible_rows`: themselves,
        their reports down the ``manager_id`` chain, everyone for HR), so every figure,
        total and team comparison is over those reps; the team picker offers their teams.
        Without identity nothing is computed.
    hr_users : str or sequence of str, optional
        The HR logins (default ``$PLAYBOOK_HR_USERS``).

    Attributes
    ----------
    team, period_start, period_end, as_of, button
        The form's controls (``team`` value ``""`` means all teams).
    out : ipywidgets.Output
        Funnel, heat map, leaks and stuck deals (or the problem).
    frames : dict of DataFrame
        The frames behind the page after :meth:`show`: ``steps``
        (:func:`~playbook.funnel.step_table`), ``funnel``
        (:func:`~playbook.funnel.funnel_table`), ``comparison``, ``leaks``, ``stuck`` and, for
        all teams, ``teams`` (:func:`~playbook.funnel.team_comparison`).
    widget : ipywidgets.VBox
        The whole form, to display.
    """

    def __init__(self, data_dir: str | Path = "data/sample", *, lang: str = "en", user: str = "",
                 hr_users: str | Sequence[str] | None = None) -> None:
        check_lang(lang)
        self.data_dir = data_dir
        self.lang = lang
        self._user, self._hr = user, hr_users
        self.who = ident.Roles()
        self.access = W.HTML()
        self._dataset: Any = None
        self.frames: dict[str, pd.DataFrame] = {}
        self.team = W.Dropdown(options=[(t("app_funnel.all_teams", lang), "")], value="",
                               description=t("col.team", lang), style=_WIDE)
        self.period_start = W.DatePicker(description=t("app_funnel.period_start", lang), style=_WIDE)
        self.period_end = W.DatePicker(description=t("app_funnel.period_end", lang), style=_WIDE)
        self.as_of = W.DatePicker(description=t("app.as_of", lang), style=_WIDE)
        self.button = W.Button(description=t("app.show", lang), button_style="primary")
        self.out = W.Output()
        self.button.on_click(self.show)
        # the team list comes from the data: a folder that cannot be read shows its problems at once
        if render_outputs(self.out, self._load_teams, lang):
            self.out.outputs = ()
        self.widget = W.VBox([
            W.HTML(f"<h2>{escape(t('funnel.title', lang))}</h2>"
                   f"<p>{escape(t('app_funnel.intro', lang))}</p>"),
            self.access,
            W.HBox([self.team, self.as_of]),
            W.HBox([self.period_start, self.period_end]),
            self.button,
            self.out,
        ])

    # -- data
    def dataset(self) -> Any:
        """Return the data folder's dataset (read on first use, then kept)."""
        if self._dataset is None:
            self._dataset = loading.load_inputs(self.data_dir)
        return self._dataset

    def _load_teams(self) -> list[Any]:
        reps = self.dataset().reps
        self.who = ident.viewer(self._user, reps, hr=self._hr)
        self.access.value = access_html(self.who, self.lang)
        teams = sorted(ident.visible_rows(self.who, reps)["team"].dropna().astype(str).unique())
        self.team.options = [(t("app_funnel.all_teams", self.lang), ""), *[(x, x) for x in teams]]
        self.team.value = ""
        return []

    def _select(self, stages: pd.DataFrame, *, as_of: pd.Timestamp) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Return (the team's stages over all periods, the period's stages); problems in the page's language."""
        lang = self.lang
        start, end, team = _iso(self.period_start.value), _iso(self.period_end.value), self.team.value
        try:
            team_stages = funnel.select(stages, team=team)
            return team_stages, funnel.select(team_stages, period_start=start, period_end=end)
        except ParameterError as exc:
            if exc.name != "period_end":
                raise
            raise PlaybookError(t("app_funnel.end_before_start", lang, start=start, end=end)) from exc
        except InputError as exc:
            raise PlaybookError(t(
                "app_funnel.no_opportunities", lang, start=start or t("funnel.period_all", lang),
                end=end or t("funnel.period_now", lang), team=team or t("app_funnel.all_teams", lang),
                as_of=as_of.date())) from exc

    def results(self) -> list[Any]:
        """Compute the funnel and return what the page shows (display objects, in order)."""
        lang = self.lang
        fmt = {"lang": lang, "money": set(), "pct": set()}  # present_funnel.for_display formats the cells
        data = self.dataset()
        ident.check_someone(self.who)
        # only the opportunities and reps the user may see, before anything is computed (whatever the team
        # picker holds); orders stay whole: they only say whether a customer is new or bought again, so a
        # rep's figures here are the ones HR sees for them
        ds = SimpleNamespace(orders=data.orders, **{k: ident.visible_rows(self.who, getattr(data, k))
                                                    for k in ("opportunities", "reps")})
        as_of = funnel.resolve_as_of(_iso(self.as_of.value), data.opportunities)
        all_stages = funnel.stage_table(ds.opportunities, reps=ds.reps, as_of=as_of, invalid="drop")
        team_stages, stages = self._select(all_stages, as_of=as_of)
        steps = funnel.step_table(stages, orders=ds.orders, as_of=as_of)  # five stages, repurchase last
        comparison = funnel.rep_comparison(stages, ds.reps, orders=ds.orders, as_of=as_of, min_n=MIN_N)
        leaks = funnel.rep_leaks(comparison)
        stuck = funnel.stuck_deals(funnel.stage_durations(team_stages, as_of=as_of))
        overall = funnel.funnel_table(stages, orders=ds.orders, as_of=as_of)
        # a team that leaks as a whole hides from its own reps' comparison: show teams against the company
        # (against all the reps the user may see: only when those span several teams)
        teams = (funnel.team_comparison(stages, reps=ds.reps, orders=ds.orders, as_of=as_of, min_n=MIN_N)
                 if not self.team.value and ds.reps["team"].nunique() > 1 else None)
        rules = funnel.load_authority()
        authority = funnel.authority_check(stages, ds.reps, ds.orders, rules=rules)
        self.frames = {"steps": steps, "funnel": overall, "comparison": comparison, "leaks": leaks, "stuck": stuck,
                       "authority": authority}
        if teams is not None:
            self.frames["teams"] = teams

        def heading(text: str, level: int = 3) -> HTML:
            return HTML(f"<h{level}>{escape(text)}</h{level}>")

        def table(frame: pd.DataFrame, empty_key: str) -> HTML:
            if len(frame):
                return HTML(report.style_table(present_funnel.for_display(frame, lang=lang), **fmt).to_html())
            return HTML(f"<p>{escape(t(empty_key, lang))}</p>")

        # reps against their team: with one rep in view (a rep's own funnel) the team is the rep, so it says nothing
        comparing = [heading(t("funnel.rep_heatmap", lang)), *(
            [HTML(f"<p>{escape(t('app_funnel.one_rep', lang))}</p>")] if comparison["rep_id"].nunique() < 2 else [
                HTML(f"<p>{escape(t('funnel.leak_rule', lang, min_n=MIN_N, confidence='95%'))}</p>"),
                figure_png(funnel_plots.leak_heatmap(comparison, lang=lang).figure),
                heading(t("funnel.rep_leaks", lang)),
                table(leaks, "funnel.no_leaks"),
            ])]
        subtitle = t("funnel.subtitle", lang, as_of=as_of.date(),
                     start=_iso(self.period_start.value) or t("funnel.period_all", lang),
                     end=_iso(self.period_end.value) or t("funnel.period_now", lang),
                     team=self.team.value or t("app_funnel.all_teams", lang),
                     source=paths.resolve(self.data_dir).name)
        return [
            heading(subtitle, 4),
            heading(t("funnel.overall", lang)),
            figure_png(funnel_plots.funnel_chart(steps, lang=lang).figure),
            table(overall, "funnel.chart.no_data"),
            *([] if teams is None else [heading(t("funnel.team_leaks", lang)), table(teams, "funnel.chart.no_data")]),
            *comparing,
            heading(t("funnel.stuck", lang)),
            table(stuck, "funnel.no_stuck"),
            heading(t("funnel.authority", lang)),
            HTML("<p>" + escape(t("funnel.authority_rule", lang, ladder=present_funnel.ladder_text(rules, lang=lang)))
                 + "</p>"),
            (HTML(report.style_table(present_funnel.authority_display(authority, rules, lang=lang), **fmt).to_html())
             if len(authority) else HTML(f"<p>{escape(t('funnel.no_authority', lang))}</p>")),
        ]

    def show(self, _: object = None) -> bool:
        """Run the form: results (or the problem) in :attr:`out`. Returns True on success."""
        self.frames = {}
        return render_outputs(self.out, self.results, self.lang)


def funnel_app(data_dir: str | Path = "data/sample", *, lang: str = "en", user: str = "") -> W.Widget:
    """Return the funnel explorer form (see :class:`FunnelExplorer`), ready to display in Voila.

    ``user`` comes from the server (:func:`playbook.apps.identity.prelaunch_hook`), never from the page.
    """
    return FunnelExplorer(data_dir, lang=lang, user=user).widget
