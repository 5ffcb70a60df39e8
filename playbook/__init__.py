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
- :mod:`playbook.plotting` — charts (CJK-capable)
- :mod:`playbook.report` — rendering notebooks to standalone HTML
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
