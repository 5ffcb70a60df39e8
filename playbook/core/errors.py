"""The kit's error family: one base class, messages a sales manager can act on.

Every problem caused by the user's input or parameters raises a subclass of
:class:`PlaybookError`. The CLI, the notebooks and the apps catch this family and
show the message; they never show a traceback for bad input.

Examples
--------
>>> from playbook.core.errors import MissingColumnsError, PlaybookError
>>> err = MissingColumnsError(["amount"], present=["order_id", "rep_id"], where="orders.csv")
>>> isinstance(err, PlaybookError), isinstance(err, ValueError)
(True, True)
>>> print(err)
orders.csv: missing required column(s): amount. Columns present: order_id, rep_id.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = [
    "PlaybookError",
    "InputError",
    "MissingColumnsError",
    "ParameterError",
    "ValidationError",
    "PlaybookWarning",
    "require_columns",
    "yaml_error",
]


def _coded_init(self, *args: object, code: str | None = None, params: dict[str, object] | None = None) -> None:
    """``__init__`` of the kit's errors and warnings: the message, a label ``code`` and its ``params``."""
    Exception.__init__(self, *args)
    if code is not None:
        self.code = code
    self.params = dict(params or {})


class PlaybookError(Exception):
    """Base class of every error the kit raises on purpose.

    A domain module words nothing for people in another language: it raises with a
    ``code`` (a label key under ``message.``) and the ``params`` the message needs; the
    English text passed as the message is what a developer reads in a traceback.
    :func:`playbook.present.messages.message` words the error in the user's language
    (the CLI, the reports and the apps call it).

    >>> err = InputError("plan 3 is archived", code="store.archived", params={"plan_id": 3})
    >>> err.code, err.params, str(err)
    ('store.archived', {'plan_id': 3}, 'plan 3 is archived')
    """

    code: str | None = None
    params: dict[str, object] = {}
    __init__ = _coded_init


class InputError(PlaybookError, ValueError):
    """The input data cannot be used as it is (file, table, column or value)."""


class ParameterError(PlaybookError, ValueError):
    """A parameter of a function, notebook or command has a value the kit cannot use."""

    def __init__(self, name: str, value: object, expected: str, *, code: str | None = None,
                 params: dict[str, object] | None = None) -> None:
        self.name = name
        self.value = value
        self.expected = expected
        super().__init__(f"parameter {name}={value!r} is not valid: expected {expected}.", code=code, params=params)


class MissingColumnsError(InputError):
    """Required columns are absent; lists all of them and the columns present."""

    def __init__(
        self, missing: Sequence[str], *, present: Iterable[str] = (), where: str = "input"
    ) -> None:
        self.missing = list(missing)
        self.present = list(present)
        self.where = where
        shown = ", ".join(map(str, self.present)) or "(none)"
        super().__init__(
            f"{where}: missing required column(s): {', '.join(self.missing)}. "
            f"Columns present: {shown}."
        )


class ValidationError(InputError):
    """One or more problems found in input data; ``issues`` holds all of them.

    ``issues`` is a DataFrame with the columns of
    :data:`playbook.data.validation.ISSUE_COLUMNS` (file, table, row, column, value,
    code, expected, message), one row per problem.
    """

    def __init__(self, issues: pd.DataFrame, *, summary: str | None = None) -> None:
        self.issues = issues
        n = len(issues)
        head = summary or f"{n} problem(s) found in the input data"
        lines = [head + ":"]
        for rec in issues.head(20).itertuples(index=False):
            lines.append("  - " + str(rec.message))
        if n > 20:
            lines.append(f"  ... and {n - 20} more (see the full report)")
        super().__init__("\n".join(lines))


class PlaybookWarning(UserWarning):
    """The result is valid but degraded (small samples, clipped values, defaults used).

    Like :class:`PlaybookError` it may carry a ``code`` and ``params`` so that the
    CLI, reports and apps word it in the user's language
    (``warnings.warn(PlaybookWarning("...", code=..., params=...))``).

    >>> PlaybookWarning("base year incomplete", code="targets.partial_base", params={"year": 2025}).code
    'targets.partial_base'
    """

    code: str | None = None
    params: dict[str, object] = {}
    __init__ = _coded_init


def require_columns(frame: pd.DataFrame, columns: Iterable[str], where: str) -> None:
    """Raise :class:`MissingColumnsError` naming every column of ``columns`` absent from ``frame``.

    Examples
    --------
    >>> import pandas as pd
    >>> require_columns(pd.DataFrame({"a": [1]}), ["a"], "orders")
    >>> require_columns(pd.DataFrame({"a": [1]}), ["a", "b", "c"], "orders")
    Traceback (most recent call last):
    ...
    playbook.core.errors.MissingColumnsError: orders: missing required column(s): b, c. Columns present: a.
    """
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise MissingColumnsError(missing, present=frame.columns, where=where)


def yaml_error(file: str, exc: Exception) -> InputError:
    r"""Return the error for a YAML file ``file`` that does not parse (``exc`` from PyYAML or decoding).

    It names the file, the line and column PyYAML stopped at and the text of that line
    (coded ``yaml.syntax``); a file that is not UTF-8 text is coded ``yaml.unreadable``.

    Examples
    --------
    >>> import yaml
    >>> try:
    ...     yaml.safe_load("tiers:\n  - {from: 0, rate: 0.08\nbonus: 1\n")
    ... except yaml.YAMLError as exc:
    ...     err = yaml_error("plan.yaml", exc)
    >>> print(err)
    plan.yaml, line 3, column 6: not valid YAML ('bonus: 1').
    >>> err.code, err.params["line"]
    ('yaml.syntax', 3)
    >>> try:
    ...     yaml.safe_load("tiers: [0.05, 0.08\n")
    ... except yaml.YAMLError as exc:
    ...     print(yaml_error("plan.yaml", exc))
    plan.yaml, line 1, column 8: not valid YAML ('tiers: [0.05, 0.08').
    """
    marks = [m for m in (getattr(exc, "problem_mark", None), getattr(exc, "context_mark", None)) if m is not None]
    # PyYAML's buffer ends with "\0": a mark at the end of the file (an unclosed list) has no text of its own,
    # so the mark where the unclosed part began (context_mark) names the line
    lines = [(m, str(getattr(m, "buffer", None) or "").rstrip("\0").split("\n")) for m in marks]
    found = next(((m, text[m.line]) for m, text in lines if m.line < len(text) and text[m.line].strip()), None)
    if found is None and marks:
        found = (marks[0], "")
    if found is None:
        return InputError(f"{file}: not a YAML text in UTF-8.", code="yaml.unreadable",
                          params={"file": file})
    mark, text = found
    text = text.strip().rstrip("\0")
    return InputError(f"{file}, line {mark.line + 1}, column {mark.column + 1}: not valid YAML ({text!r}).",
                      code="yaml.syntax", params={"file": file, "line": mark.line + 1, "column": mark.column + 1,
                                                  "text": repr(text)})
