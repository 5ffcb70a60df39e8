"""Sales playbook and coaching kit.

Modules (the table of contents):

- :mod:`playbook.schema` — the kit's tables and columns
- :mod:`playbook.errors` — the error family (``PlaybookError`` …)
- :mod:`playbook.labels` — English / 简体中文 label catalogue
- :mod:`playbook.paths` — every path the kit uses
- :mod:`playbook.sample` — the deterministic sample company
- :mod:`playbook.io` — loading CRM exports through column maps
- :mod:`playbook.validation` — whole-input validation reports
- :mod:`playbook.overview` — team overview metrics
- :mod:`playbook.targets` — target decomposition, quotas, OKR and SMART (charts: ``targets_plots``)
- :mod:`playbook.rfm` — RFM tiering, LTV and CAC (charts: ``rfm_plots``)
- :mod:`playbook.funnel` — funnel diagnostics, leaks, channel ROI (charts: ``funnel_plots``)
- :mod:`playbook.idp` — Individual Development Plans (store: ``store``; charts: ``idp_plots``)
- :mod:`playbook.incentives` — commission plans, payouts, scorecards (charts: ``incentives_plots``)
- :mod:`playbook.cockpit` — weekly review figures (周复盘)
- :mod:`playbook.case_study` — the workshop's case-study company (SaaS turnaround)
- :mod:`playbook.workshop` — workshop exercise checks and the solutions builder
- :mod:`playbook.render` — per-rep batch rendering from one snapshot (``idp_batch``: the IDP batch)
- :mod:`playbook.widgets` — forms for the Voila apps
- :mod:`playbook.bench` — benchmark harness (cases in ``playbook.benchmarks``)
- :mod:`playbook.cli` — the ``playbook`` command
- :mod:`playbook.plotting` — charts (CJK-capable)
- :mod:`playbook.report` — rendering notebooks to standalone HTML
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
