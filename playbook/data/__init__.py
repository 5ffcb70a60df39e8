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
"""

from playbook.data.loading import (  # noqa: F401
    Dataset,
    load_dataset,
    load_inputs,
    load_table,
    validate_dataset,
    validate_paths,
    validate_table,
)
from playbook.data.maps import available_maps, load_column_map  # noqa: F401

__all__ = [
    "Dataset", "load_dataset", "load_inputs", "load_table", "validate_dataset", "validate_paths", "validate_table",
    "available_maps", "load_column_map",
]
