"""Weekly review cockpit (周复盘) form: the team's week at a glance, for a Monday meeting.

Binds :mod:`playbook.targets.review` to a few controls (as-of date, team). The app notebook
``notebooks/apps/weekly_review.ipynb`` is two cells.

The team sections (attainment, funnel, stuck deals, sleeping accounts) are the team
meeting's material. The IDP reviews due come from people's development plans: they list
only the reps the logged-in user may see (:func:`playbook.apps.identity.may_see`: the rep,
their supervisors, HR), and nothing without identity (the server injects ``user`` as it
does for the IDP form).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ipywidgets as W
import pandas as pd
from IPython.display import HTML

from playbook.apps import identity as ident
from playbook.apps import render_outputs
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
        teams = sorted(self.dataset().reps["team"].dropna().astype(str).unique())
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
        ds, lang = self.dataset(), self.lang
        when = overview.resolve_as_of(self.as_of.value.isoformat() if self.as_of.value else "", ds.orders)
        team = self.team.value or None
        subtitle = t("overview.subtitle", lang, as_of=when.date(), source=Path(str(self.data_dir)).name)
        parts: list[Any] = [HTML(f"<h4>{escape(subtitle)}</h4>")]

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
        sleeping = cockpit.sleeping_key_accounts(ds.orders, ds.customers, as_of=when)
        if team:
            owners = ds.reps.set_index("rep_id")["team"].astype(str)
            sleeping = sleeping.loc[sleeping["owner_rep_id"].map(owners) == team]
        sleeping = sleeping.assign(last_order=sleeping["last_order"].dt.strftime("%Y-%m-%d"))
        section("review.sleeping", sleeping.head(20), "review.no_sleeping", money={"spend"})
        items = self._items()
        due = cockpit.reviews_due(items, as_of=when) if items is not None else pd.DataFrame()
        if len(due):  # a plan is personal: only the reps the user may see
            who = ident.roles(self.user, ds.reps, hr_users=self.hr_users)
            due = due.loc[due["rep_id"].astype(str).map(lambda r: ident.may_see(who, r)).astype(bool)]
        if team and len(due):
            owners = ds.reps.set_index("rep_id")["team"].astype(str)
            due = due.loc[due["rep_id"].map(owners) == team]
        section("review.reviews_due", due, "review.no_reviews" if self.user else "review.reviews_need_login")
        return parts

    def show(self) -> bool:
        """Fill the output with the cockpit; True on success."""
        return render_outputs(self.out, self.results, self.lang)


def review_app(data_dir: str | Path = "data/sample", *, lang: str = "en", user: str = "") -> W.Widget:
    """Build the weekly review cockpit for the app notebook.

    ``user`` comes from the server (:func:`playbook.apps.identity.prelaunch_hook`), never from the page.
    """
    return WeeklyReview(data_dir, lang=lang, user=user).widget
