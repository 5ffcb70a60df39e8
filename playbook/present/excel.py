r"""The one workbook writer, and CSV cells made safe: nothing from data becomes a live formula.

Every workbook the kit writes goes through :func:`write_workbook`, and every CSV it
exports through :func:`neutralise` (or :func:`write_csv`):

- a text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
  is written as text, with a leading ``'`` (a customer named ``=HYPERLINK(...)`` stays
  a name in Excel, never a formula); numbers stay numbers;
- sheet names are made safe: at most 31 characters, none of ``[]:*?/\``, not
  starting or ending with ``'``, unique;
- a file is written to a temporary file next to it, then moved into place: a reader
  never sees half a workbook, and a failed write leaves the old file as it was.

Examples
--------
>>> neutralise(pd.DataFrame({"id": ["=1+1", "A-1", "-2"], "amount": [-2.5, 3.0, 1.0]})).values.tolist()
[["'=1+1", -2.5], ['A-1', 3.0], ["'-2", 1.0]]
>>> safe_sheet_name("Q1/Q2 [draft]: *all* reps of the eastern region")
'Q1_Q2 _draft__ _all_ reps of th'
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl.utils import get_column_letter

__all__ = ["FORMULA_PREFIXES", "neutralise_text", "neutralise", "safe_sheet_name", "write_workbook", "write_csv"]

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
"""A text cell starting with one of these could be read as a formula by a spreadsheet."""

_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")
_SHEET_MAX = 31


def neutralise_text(value: Any) -> Any:
    r"""Return ``value`` with a leading ``'`` if it is text a spreadsheet could read as a formula.

    Anything that is not text (numbers, dates, missing values) is returned as it is.

    Examples
    --------
    >>> neutralise_text('=HYPERLINK("http://x","y")'), neutralise_text("@SUM(A1)"), neutralise_text(-2)
    ('\'=HYPERLINK("http://x","y")', "'@SUM(A1)", -2)
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _neutral_column(series: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_datetime64_any_dtype(series):
        return series
    if isinstance(series.dtype, pd.CategoricalDtype):
        series = series.astype("object")
    return series.map(neutralise_text, na_action="ignore")


def neutralise(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of ``frame`` whose text cells and headers cannot become formulas (see :func:`neutralise_text`).

    Numbers, dates and missing values are kept as they are; the input is not changed.

    Examples
    --------
    >>> out = neutralise(pd.DataFrame({"+x": ["@SUM(A1)", "ok"], "n": [1, -2]}))
    >>> list(out.columns), out["'+x"].tolist(), out["n"].tolist()
    (["'+x", 'n'], ["'@SUM(A1)", 'ok'], [1, -2])
    """
    out = frame.copy()
    for i in range(out.shape[1]):
        out.isetitem(i, _neutral_column(out.iloc[:, i]))
    out.columns = [neutralise_text(c) for c in out.columns]
    return out


def safe_sheet_name(name: object, taken: Collection[str] = ()) -> str:
    r"""Return ``name`` as a sheet name Excel accepts, different from the names ``taken``.

    Characters ``[]:*?/\`` become ``_``; a leading or trailing ``'`` is dropped; the
    name is cut to 31 characters; an empty name becomes ``Sheet``; a name already
    taken (ignoring case) gets `` (2)``, `` (3)`` ….

    Examples
    --------
    >>> safe_sheet_name("a/b"), safe_sheet_name("'x'"), safe_sheet_name(""), safe_sheet_name("Reps", ["reps"])
    ('a_b', 'x', 'Sheet', 'Reps (2)')
    """
    text = _SHEET_BAD.sub("_", str(name)).strip("'")[:_SHEET_MAX].strip("'") or "Sheet"
    used = {n.lower() for n in taken}
    candidate, n = text, 1
    while candidate.lower() in used:
        n += 1
        suffix = f" ({n})"
        candidate = text[: _SHEET_MAX - len(suffix)] + suffix
    return candidate


@contextmanager
def _atomic(path: Path) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; move it onto ``path`` when the block succeeds."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_workbook(
    sheets: Mapping[str, pd.DataFrame],
    path: str | Path,
    *,
    number_format: str | None = None,
    fit_headers: bool = False,
) -> Path:
    """Write ``sheets`` (name -> frame) to an Excel workbook at ``path``, one sheet each; return the path.

    Every text cell and header is neutralised (:func:`neutralise`), sheet names are
    made safe (:func:`safe_sheet_name`), the index is not written, and the file is
    written atomically. ``number_format`` (e.g. ``"#,##0.00"``) is given to the cells
    of float columns; ``fit_headers`` widens columns to fit their headers.

    Examples
    --------
    >>> import tempfile, openpyxl
    >>> folder = Path(tempfile.mkdtemp())
    >>> book = write_workbook({"a/b": pd.DataFrame({"id": ["=1+1"], "n": [-2]})}, folder / "x.xlsx")
    >>> ws = openpyxl.load_workbook(book)["a_b"]
    >>> ws["A2"].value, ws["A2"].data_type, ws["B2"].value
    ("'=1+1", 's', -2)
    """
    path = Path(path)
    with _atomic(path) as tmp, pd.ExcelWriter(tmp, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            sheet = safe_sheet_name(name, writer.sheets)
            shown = neutralise(frame)
            shown.to_excel(writer, sheet_name=sheet, index=False)
            ws = writer.sheets[sheet]
            for i, col in enumerate(frame.columns, start=1):
                letter = get_column_letter(i)
                if fit_headers:
                    ws.column_dimensions[letter].width = max(10, min(40, len(str(col)) * 2 + 2))
                if number_format and pd.api.types.is_float_dtype(frame.iloc[:, i - 1]):
                    for cell in ws[letter][1:]:
                        cell.number_format = number_format
    return path


def write_csv(frame: pd.DataFrame, path: str | Path, *, encoding: str = "utf-8-sig") -> Path:
    r"""Write ``frame`` neutralised (:func:`neutralise`) as CSV to ``path``, atomically; return the path.

    UTF-8 with a byte-order mark by default, so Excel shows Chinese correctly.

    Examples
    --------
    >>> import tempfile
    >>> target = write_csv(pd.DataFrame({"id": ["+1"], "n": [1]}), Path(tempfile.mkdtemp()) / "x.csv")
    >>> target.read_bytes()
    b"\xef\xbb\xbfid,n\n'+1,1\n"
    """
    path = Path(path)
    text = neutralise(frame).to_csv(index=False, lineterminator="\n")
    with _atomic(path) as tmp:
        tmp.write_bytes(text.encode(encoding))
    return path
