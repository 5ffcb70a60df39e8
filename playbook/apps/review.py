"""Weekly review cockpit (周复盘) form: the team's week at a glance, for a Monday meeting.

Binds :mod:`playbook.targets.review` to a few controls (as-of date, team). The app notebook
``notebooks/apps/weekly_review.ipynb`` is two cells.

Every section holds only the reps the logged-in user may see
(:func:`playbook.apps.identity.visible_rows`: the rep, their team down the ``manager_id``
chain, everyone for HR), the server injecting ``user`` as it does for the IDP form: the
team sections (attainment, funnel, quality, stuck deals, sleeping accounts) are computed
on those reps' rows, so a supervisor's team totals are the real ones and nobody sees a
total that holds a person they may not see; a key account is listed for its owner's
viewers. Without identity (or a login the data do not know) no section is computed. The
IDP reviews due follow the same rule (:func:`playbook.apps.identity.may_see`).
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import ipywidgets as W
import pandas as pd
from IPython.display import HTML

from playbook.apps import access_html, render_outputs
from playbook.apps import identity as ident
from playbook.core.labels import t
from playbook.data import loading
from playbook.pipeline.store import DEFAULT_PATH, Store, default_url, export_frames
from playbook.present import funnel as present_funnel
from playbook.present.html import escape, style_table
from playbook.targets import overview
from playbook.targets import review as cockpit

__all__ = ["WeeklyReview", "review_app"]


class WeeklyReview:
    """The cockpit form; ``show()`` fills the output (also callable from tests)."""

    def __init__(self, data_dir: str | Path = "data/sample", *, lang: str = "en",
                 store_url: str | None = None, user: str = "", hr_users: Any = None) -> None:
        self.user = ident.clean_user(user)  # from the server (playbook.apps.identity), never typed
        self.hr_users = ident.hr_users(hr_users)
        self.data_dir = data_dir
        self.lang = lang
        self.store_url = store_url  # None: the store's default (PLAYBOOK_STORE_URL or var/idp.sqlite)
        self.as_of = W.DatePicker(description=t("app.as_of", lang))
        self.team = W.Dropdown(description=t("col.team", lang), options=[(t("review.all_teams", lang), "")],
                               value="")
        self.button = W.Button(description=t("app.show", lang), button_style="primary")
        self.out = W.Output()
        self.button.on_click(lambda _: self.show())
        self._dataset = None
        self.widget = W.VBox([W.HTML(f"<h2>{escape(t('review.title', lang))}</h2>"),
                              W.HBox([self.as_of, self.team, self.button]), self.out])
        render_outputs(self.out, self._load_teams, lang)

    def dataset(self) -> Any:
        """Load (once) and return the validated dataset."""
        if self._dataset is None:
            self._dataset = loading.load_inputs(self.data_dir)
        return self._dataset

    def _load_teams(self) -> list:
        reps = self.dataset().reps
        teams = sorted(ident.visible_rows(ident.viewer(self.user, reps, hr=self.hr_users), reps)["team"]
                       .dropna().astype(str).unique())
        self.team.options = [(t("review.all_teams", self.lang), "")] + [(x, x) for x in teams]
        self.team.value = ""
        return []

    def _items(self) -> pd.DataFrame | None:
        url = self.store_url or default_url()
        if url == f"sqlite:///{DEFAULT_PATH}" and not DEFAULT_PATH.exists():
            return None  # no plan saved yet: do not create an empty store just to read it
        with Store(url) as store:
            return export_frames(store.tables())["items"]

    def results(self) -> list[Any]:
        """Compute every section; return display objects (headings and tables)."""
        data, lang = self.dataset(), self.lang
        when = overview.resolve_as_of(self.as_of.value.isoformat() if self.as_of.value else "", data.orders)
        team = self.team.value or None
        subtitle = t("overview.subtitle", lang, as_of=when.date(), source=Path(str(self.data_dir)).name)
        who = ident.viewer(self.user, data.reps, hr=self.hr_users)
        parts: list[Any] = [HTML(access_html(who, lang)), HTML(f"<h4>{escape(subtitle)}</h4>")]
        if who.hr or who.rep_id:
            self._team_sections(parts, who, when, team)
        self._reviews_due(parts, who, when, team)
        return parts

    def _team_sections(self, parts: list[Any], who: ident.Roles, when: pd.Timestamp, team: str | None) -> None:
        """Append the team sections, computed on the rows of the reps ``who`` may see (whatever ``team`` holds)."""
        data, lang = self.dataset(), self.lang
        ds = SimpleNamespace(customers=data.customers, **{k: ident.visible_rows(who, getattr(data, k)) for k in (
            "orders", "opportunities", "activities", "quotas", "reps")})

        def section(key: str, frame: pd.DataFrame, empty_key: str, **kw: Any) -> None:
            parts.append(HTML(f"<h3>{escape(t(key, lang))}</h3>"))
            parts.append(style_table(frame, lang=lang, **kw) if len(frame)
                         else HTML(f"<p>{escape(t(empty_key, lang))}</p>"))

        att = cockpit.period_attainment(ds.quotas, ds.orders, ds.reps, as_of=when)
        if team:
            att = att.loc[att["group"] == team]
        att = att.assign(period=att["period"].map(lambda p: t(f"review.period.{p}", lang)))
        section("review.attainment", att.rename(columns={"group": "team"}), "review.none")
        week = cockpit.funnel_week(ds.opportunities, ds.reps, as_of=when, team=team)
        week = week.assign(stage=week["stage"].map(lambda s: t(f"review.stage.{s}", lang)))
        section("review.funnel_week", week, "review.none")
        quality = cockpit.quality_week(ds.activities, ds.reps, as_of=when, team=team)
        if len(quality):  # optional KPIs: only when the data has them
            quality = quality.assign(kpi=quality["kpi"].map(lambda k: t(f"col.{k}", lang)))
            section("review.quality", quality, "review.none", pct={"this_week", "last_week", "change"})
        stuck = cockpit.stuck_deals(ds.opportunities, ds.reps, as_of=when, team=team)
        section("review.stuck", present_funnel.for_display(stuck, lang=lang), "review.no_stuck", money=set(), pct=set())
        sleeping = ident.visible_rows(who, cockpit.sleeping_key_accounts(data.orders, ds.customers, as_of=when),
                                      column="owner_rep_id")  # an account's whole history; its owner's viewers
        if team:
            owners = ds.reps.set_index("rep_id")["team"].astype(str)
            sleeping = sleeping.loc[sleeping["owner_rep_id"].map(owners) == team]
        sleeping = sleeping.assign(last_order=sleeping["last_order"].dt.strftime("%Y-%m-%d"))
        section("review.sleeping", sleeping.head(20), "review.no_sleeping", money={"spend"})

    def _reviews_due(self, parts: list[Any], who: ident.Roles, when: pd.Timestamp, team: str | None) -> None:
        """Append the IDP reviews due of the reps ``who`` may see."""
        ds, lang = self.dataset(), self.lang
        items = self._items()
        due = cockpit.reviews_due(items, as_of=when) if items is not None else pd.DataFrame()
        if len(due):  # a plan is personal: only the reps the user may see
            due = due.loc[due["rep_id"].astype(str).map(lambda r: ident.may_see(who, r)).astype(bool)]
        if team and len(due):
            owners = ds.reps.set_index("rep_id")["team"].astype(str)
            due = due.loc[due["rep_id"].map(owners) == team]
        parts.append(HTML(f"<h3>{escape(t('review.reviews_due', lang))}</h3>"))
        parts.append(style_table(due, lang=lang) if len(due) else HTML(
            f"<p>{escape(t('review.no_reviews' if self.user else 'review.reviews_need_login', lang))}</p>"))

    def show(self) -> bool:
        """Fill the output with the cockpit; True on success."""
        return render_outputs(self.out, self.results, self.lang)


def review_app(data_dir: str | Path = "data/sample", *, lang: str = "en", user: str = "") -> W.Widget:
    """Build the weekly review cockpit for the app notebook.

    ``user`` comes from the server (:func:`playbook.apps.identity.prelaunch_hook`), never from the page.
    """
    return WeeklyReview(data_dir, lang=lang, user=user).widget
