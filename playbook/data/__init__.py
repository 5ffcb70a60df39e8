"""Data in: column maps, reading exports, validation, loading, and the generated companies.

- :mod:`playbook.data.maps` — column maps (a CRM's headers, units, dates -> the kit's schema)
- :mod:`playbook.data.reading` — reading CSV (any common encoding), Excel, Parquet, SQL
- :mod:`playbook.data.mapping` — applying a column map to a raw table
- :mod:`playbook.data.parsing` — parsing raw dates, numbers and yes/no values
- :mod:`playbook.data.issues` — validation issues and their report
- :mod:`playbook.data.validation` — checking a table against the schema (every problem at once)
- :mod:`playbook.data.strict` — the fast path for clean CSV exports (pyarrow parses and checks; declines otherwise)
- :mod:`playbook.data.loading` — one table or a whole data folder (:class:`Dataset`)
- :mod:`playbook.data.sample` — the deterministic sample company
- :mod:`playbook.data.case_study` — the workshop's case company (SaaS turnaround)

Importing ``playbook.data`` imports none of them (a process that needs only the issue
report, such as a render worker, does not load pandera or SQLAlchemy): import the module
you use, e.g. ``from playbook.data.loading import load_inputs``.
"""

__all__: list[str] = []
