"""Skip an optional import that costs every kit process one to two seconds and is never used.

``jsonschema`` (imported by ``nbformat``, so by papermill, nbconvert and the render
workers) loads ``rfc3987_syntax`` when it is installed, to check the ``"iri"`` string
format; loading it builds a Lark grammar, 1.7 s of a render worker's 2.3 s of imports
(``python -X importtime -c "import papermill"``). No schema the kit or Jupyter's
notebook format validates uses that format. Marking the module absent before
``jsonschema`` is imported makes jsonschema skip that one check, as when the optional
package is not installed. A process that imported ``jsonschema`` already is left as it is.

Examples
--------
>>> import sys
>>> "jsonschema" in sys.modules or sys.modules.get("rfc3987_syntax", 0) is None
True
"""

from __future__ import annotations

import sys

__all__: list[str] = []

if "jsonschema" not in sys.modules:
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[assignment]  # "not installed"
