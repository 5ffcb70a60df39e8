"""Sales playbook and coaching kit: the table of contents.

The package is layered; each layer imports only the layers below it (import-linter
checks this, see ``pyproject.toml``)::

    cli, bench        the `playbook` command; the benchmarks
    apps/             the widget layer of the Voila apps
    pipeline/         notebook execution, the per-rep batch, snapshots, the plan store
    workshop/         the workshop's exercise checks and answer key
    present/          tables, HTML, the one Excel writer, charts per area; each area's wording
    targets/ rfm/ funnel/ idp/ incentives/ case/     computing only: frames in, frames out
    data/             column maps, reading and validating exports, loading, sample companies
    core/             errors, labels, paths, schema, money (one rounding rule), dates

- :mod:`playbook.core` — errors, labels, paths, schema, money, dates
- :mod:`playbook.data` — loading CRM exports through column maps, validation, sample data
- :mod:`playbook.targets` — target decomposition, quotas, OKR and SMART, tracking, team overview
- :mod:`playbook.rfm` — RFM tiering, spend tiers, portfolios, LTV and CAC
- :mod:`playbook.funnel` — funnel diagnostics, leaks, stuck deals, channel ROI
- :mod:`playbook.idp` — Individual Development Plans: catalogue, evidence, drafts, checks
- :mod:`playbook.incentives` — commission plans, payouts, scorecards, statements, what-if
- :mod:`playbook.case` — the workshop's case company, its figures
- :mod:`playbook.present` — showing: tables, HTML, Excel, charts
- :mod:`playbook.workshop` — workshop exercise checks
- :mod:`playbook.pipeline` — notebooks, the IDP batch, the plan store
- :mod:`playbook.apps` — forms for the Voila apps
- :mod:`playbook.cli` — the ``playbook`` command; :mod:`playbook.bench` — benchmarks

Importing ``playbook`` imports none of them: each process pays only for the layers it
uses (``from playbook import idp``; a render worker never loads the plan store,
the data loaders or the notebook machinery it does not run).
"""

from playbook import _fast_start  # noqa: F401  (first: before anything imports jsonschema)

__version__ = "0.1.0"
__all__ = ["__version__"]
