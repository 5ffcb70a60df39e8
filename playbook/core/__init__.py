"""The kit's foundations: every other layer builds on these, and they import nothing of the kit.

- :mod:`playbook.core.errors` — the error family (``PlaybookError`` …)
- :mod:`playbook.core.labels` — English / 简体中文 label catalogue (YAML in ``core/labels/``)
- :mod:`playbook.core.paths` — every path the kit uses
- :mod:`playbook.core.resources` — the one home locating the kit's shipped folders (and where it writes)
- :mod:`playbook.core.extras` — the optional parts (pip extras) and the message naming a missing one
- :mod:`playbook.core.schema` — the kit's tables and columns
- :mod:`playbook.core.money` — exact money: cents, the one rounding rule, allocations
- :mod:`playbook.core.dates` — the one date parser and the one as-of default
- :mod:`playbook.core.codes` — integer codes of id columns, hashed once and recalled by every figure
"""

from playbook.core import codes, dates, errors, extras, labels, money, paths, resources, schema

__all__ = ["codes", "dates", "errors", "extras", "labels", "money", "paths", "resources", "schema"]
