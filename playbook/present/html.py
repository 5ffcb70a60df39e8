"""HTML pieces of reports and notebooks: tables, headings, sign-off block, print stylesheet."""

from __future__ import annotations

import html as html_lib
from typing import Any

import pandas as pd
from IPython.display import Markdown, display

from playbook.core.errors import ValidationError
from playbook.core.labels import check_lang, label_frame, t
from playbook.data.issues import render_issues

__all__ = [
    "MONEY_COLUMNS", "PCT_COLUMNS", "PRINT_CSS", "style_table", "heading", "show_issues", "signoff_html", "escape",
]

MONEY_COLUMNS = {"ytd_sales", "ytd_quota", "prior_ytd_sales", "net_sales", "amount", "quota",
                 "spend", "base_salary"}
PCT_COLUMNS = {"attainment", "yoy_growth"}

PRINT_CSS = """
<style>
  body { font-family: "Noto Sans CJK SC", "Noto Sans", "PingFang SC", "Microsoft YaHei",
         system-ui, sans-serif; }
  .jp-Cell-inputWrapper, .jp-InputPrompt, .jp-OutputPrompt { display: none !important; }
  table { border-collapse: collapse; font-size: 0.9em; }
  th, td { padding: 2px 8px; border-bottom: 1px solid #ddd; }
  @media print {
    @page { size: A4; margin: 12mm; }
    body { font-size: 9.5pt; }
    .jp-Notebook, main { padding: 0 !important; }
    .jp-Cell { padding: 0 !important; break-inside: auto; }
    .jp-OutputArea-output { break-inside: avoid; }
    h1, h2, h3, h4, h5 { break-after: avoid; margin: 0.4em 0 !important; }
    img { max-width: 100% !important; max-height: 105mm; width: auto; }
    table { font-size: 8.5pt; }
  }
</style>
"""


def style_table(
    frame: pd.DataFrame,
    *,
    lang: str = "en",
    money: set[str] | None = None,
    pct: set[str] | None = None,
    decimals: int = 2,
) -> Any:
    """Return a pandas ``Styler`` with translated headers, money and percent formats.

    Money columns show two decimals with thousands separators (CNY); percent
    columns one decimal; other float columns ``decimals`` decimals; text columns are
    left-aligned; missing values show as an em dash. Columns named in ``money`` or
    ``pct`` that are not numeric are shown as they are.
    """
    check_lang(lang)
    money = MONEY_COLUMNS if money is None else money
    pct = PCT_COLUMNS if pct is None else pct
    numeric = {c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])
               and not pd.api.types.is_bool_dtype(frame[c])}
    fmt: dict[str, str] = {}
    for c in frame.columns:
        if c not in numeric:
            continue
        if c in pct:
            fmt[c] = "{:.1%}"
        elif c in money:
            fmt[c] = "{:,.2f}"
        elif pd.api.types.is_float_dtype(frame[c]):
            fmt[c] = "{:,.%df}" % decimals
    names = label_frame(list(frame.columns), lang)
    shown = frame.rename(columns=names)
    text = [names[c] for c in frame.columns if c not in numeric]
    styler = shown.style.format({names[c]: f for c, f in fmt.items()}, na_rep="—").hide(axis="index")
    if text:
        styler = styler.set_properties(subset=text, **{"text-align": "left"})
        positions = [list(shown.columns).index(c) for c in text]
        styler = styler.set_table_styles(
            [{"selector": f"th.col_heading.col{i}", "props": "text-align: left;"} for i in positions],
            overwrite=False)
    return styler


def heading(key: str, lang: str = "en", level: int = 2, **fields: object) -> Any:
    """Return an IPython Markdown heading for label ``key`` (for notebooks)."""
    return Markdown("#" * level + " " + t(key, lang, **fields))


def show_issues(issues: pd.DataFrame, lang: str = "en") -> None:
    """In a notebook: show the validation report; stop with a clear error if not empty."""
    if len(issues) == 0:
        display(Markdown(t("report.data_ok", lang)))
        return
    display(render_issues(issues, lang))
    raise ValidationError(issues)


def escape(text: object) -> str:
    """Return ``text`` escaped for HTML (for notebooks that build a line of HTML).

    Examples
    --------
    >>> escape("<b>a&b</b>")
    '&lt;b&gt;a&amp;b&lt;/b&gt;'
    """
    return html_lib.escape(str(text))


def signoff_html(lang: str = "en") -> str:
    """Return the sign-off block: rep, supervisor and HR archive (the plan's three copies).

    Examples
    --------
    >>> "人力资源部" in signoff_html("zh")
    True
    """
    rows = "".join(
        f"<tr><td style='width:30%'>{html_lib.escape(t(f'render.signoff.{who}', lang))}</td>"
        f"<td style='width:45%;border-bottom:1px solid #333'>&nbsp;</td>"
        f"<td>{html_lib.escape(t('render.signoff.date', lang))}: ________</td></tr>"
        for who in ("rep", "supervisor", "hr")
    )
    note = html_lib.escape(t("render.signoff.note", lang))
    return (f'<table class="pb-signoff" style="width:100%;margin-top:1em">{rows}</table>'
            f'<p style="font-size:0.85em;color:#555">{note}</p>')
