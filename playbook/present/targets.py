"""The quota workbook: pure sheets and one small writer."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from playbook.core.labels import catalogue, check_lang, label_frame, t
from playbook.core.money import cents
from playbook.present.excel import write_workbook
from playbook.targets.company import CompanyTarget
from playbook.targets.quotas import QuotaPlan
from playbook.targets.rules import METRICS, SMART_CRITERIA

__all__ = [
    "quota_sheets", "write_quota_workbook", "describe_target", "okr_table", "smart_issues", "smart_table",
    "plan_checks_table", "review_table"
]

# ---------------------------------------------------------------------------------------
# Excel export: pure sheets + one small writer
# ---------------------------------------------------------------------------------------
def quota_sheets(plan: QuotaPlan, *, lang: str = "en") -> dict[str, pd.DataFrame]:
    """Build the quota workbook as frames, one per level, with headers in ``lang`` (no I/O).

    Sheets: year, quarters, months, teams, reps, rep x month (reps as rows, months as
    columns, a total column and a total row: every row and column adds up exactly).

    Examples
    --------
    >>> from playbook.targets import decompose
    >>> reps = pd.DataFrame({"rep_id": ["R1", "R2"], "name": ["Ann", "Bo"], "team": ["A", "A"]})
    >>> plan = decompose(reps, target=1200.0, plan_year=2025, time_method="equal", rep_method="equal")
    >>> sheets = quota_sheets(plan)
    >>> list(sheets)
    ['Year', 'Quarters', 'Months', 'Teams', 'Reps', 'Rep x month']
    >>> sheets["Rep x month"].iloc[-1, -4:].astype(float).tolist()
    [100.0, 100.0, 100.0, 1200.0]
    """
    check_lang(lang)

    def show(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.rename(columns=label_frame(list(frame.columns), lang))

    year = plan.target.to_frame()
    monthly = plan.monthly.assign(month=plan.monthly["month"].dt.strftime("%Y-%m"))
    reps = plan.reps.drop(columns=["weight"])
    wide = plan.matrix.assign(month=pd.to_datetime(plan.matrix["month"]).dt.strftime("%Y-%m"),
                              _c=cents(plan.matrix["quota"]))
    pivot = wide.pivot_table(index="rep_id", columns="month", values="_c", aggfunc="sum", sort=False)
    pivot = pivot.reindex(plan.reps["rep_id"]).fillna(0).astype("int64")
    pivot["total"] = pivot.sum(axis=1)
    pivot.loc["total"] = pivot.sum(axis=0)
    body = (pivot / 100).reset_index()
    body.columns.name = None
    info = plan.reps.set_index("rep_id")[["name", "team"]]
    body.insert(1, "name", body["rep_id"].map(info["name"]))
    body.insert(2, "team", body["rep_id"].map(info["team"]))
    total_label = t("targets.total", lang)
    body["rep_id"] = body["rep_id"].where(body["rep_id"] != "total", total_label)
    body = body.rename(columns={"total": total_label})
    return {
        t("targets.sheet.year", lang): show(year),
        t("targets.sheet.quarters", lang): show(plan.quarterly),
        t("targets.sheet.months", lang): show(monthly),
        t("targets.sheet.teams", lang): show(plan.teams),
        t("targets.sheet.reps", lang): show(reps),
        t("targets.sheet.matrix", lang): show(body),
    }


def write_quota_workbook(sheets: Mapping[str, pd.DataFrame], path: str | Path) -> Path:
    """Write ``sheets`` (from :func:`quota_sheets`) to an Excel file; return its path.

    Through :func:`playbook.present.excel.write_workbook` (text cells neutralised, sheet
    names made safe, written atomically). Money cells get a ``#,##0.00`` format; columns
    are widened to fit their headers.
    """
    return write_workbook(sheets, path, number_format="#,##0.00", fit_headers=True)


# ---------------------------------------------------------------------------------------
# The target domain in words: the company target, OKRs, SMART, plan checks, weekly review
# ---------------------------------------------------------------------------------------


def describe_target(target: CompanyTarget, *, lang: str = "en") -> str:
    """One sentence (Markdown) saying how the company target was set.

    Examples
    --------
    >>> describe_target(CompanyTarget(2025, 1_300_000.0, "growth", 2024, 1_000_000.0, 0.3))
    'Target 2025 = net sales 2024 (1,000,000.00 CNY) × (1 + 30%) = **1,300,000.00 CNY**'
    >>> describe_target(CompanyTarget(2025, 2_000_000.0, "absolute"), lang="zh")
    '2025 年目标：**2,000,000.00 元**（直接设定金额）'

    A partial base year says how it was annualised, before the sum:

    >>> t26 = CompanyTarget(2026, 4015.0, "growth", 2025, 3650.0, 0.1, 2730.0, pd.Timestamp("2025-01-01"),
    ...                     pd.Timestamp("2025-09-30"))
    >>> print(describe_target(t26, lang="zh"))  # doctest: +ELLIPSIS
    数据中 2025 年不完整（订单只覆盖全年 365 天中的 273 天：2025-01-01 至 2025-09-30）：...
    <BLANKLINE>
    2026 年目标 = 2025 年净销售额（3,650.00 元）×（1 + 10%）= **4,015.00 元**
    """
    if target.method == "growth":
        text = t("targets.company_growth", lang, plan_year=target.plan_year, base_year=target.base_year,
                 base_actual=f"{target.base_actual:,.2f}", growth=f"{target.growth:.0%}",
                 target=f"{target.amount:,.2f}")
        if target.annualised:
            note = t("targets.base_annualised", lang, base_year=target.base_year, days=target.days_covered,
                     year_days=target.days_in_year, start=target.covered_from.date(),
                     end=target.covered_to.date(), sales=f"{target.base_sales:,.2f}",
                     base_actual=f"{target.base_actual:,.2f}")
            text = note + "\n\n" + text
        return text
    return t("targets.company_absolute", lang, plan_year=target.plan_year, target=f"{target.amount:,.2f}")


def _fmt(value: float, kind: str, lang: str) -> str:
    """Format a key-result value by its metric kind (ratio, money, days, count)."""
    if pd.isna(value):
        return "—"
    if kind == "ratio":
        return f"{value:.1%}"
    if kind == "money":
        return f"{value:,.2f} {t('unit.cny', lang)}"
    if kind == "days":
        return t("targets.unit.days", lang, n=f"{value:g}")
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _fmt_gap(value: float, kind: str, lang: str) -> str:
    """Format a difference: percentage points for ratios, else as :func:`_fmt`."""
    if kind == "ratio":
        return t("targets.unit.points", lang, n=f"{value * 100:.1f}")
    return _fmt(value, kind, lang)


def okr_table(progress: pd.DataFrame, *, lang: str = "en") -> pd.DataFrame:
    """Display frame of :func:`playbook.targets.okr_progress`: indented titles in ``lang``, values by metric kind.

    Columns ``id, title, owner, metric, baseline, target, actual, progress, deadline``;
    ``progress`` stays a ratio (show it with ``style_table(pct={"progress"})``).

    Examples
    --------
    >>> p = pd.DataFrame({"kind": ["objective", "key_result"], "id": ["O1", "K1"], "depth": [0, 1],
    ...     "title_en": ["Grow", "Sales +30%"], "title_zh": ["增长", "销售额 +30%"], "owner": ["Li", "Li"],
    ...     "metric": [None, "sales_growth"], "baseline": [np.nan, 0.0], "target": [np.nan, 0.3],
    ...     "actual": [np.nan, 0.15], "progress": [0.5, 0.5], "deadline": pd.to_datetime([None, "2025-12-31"])})
    >>> okr_table(p)["target"].tolist()
    ['', '30.0%']
    >>> okr_table(p, lang="zh")[["title", "metric"]].iloc[1].tolist()
    ['\u3000▸ 销售额 +30%', '销售增长率']
    """
    check_lang(lang)
    kinds = progress["metric"].map(lambda m: METRICS.get(m, {}).get("kind", "count"))
    is_kr = progress["kind"] == "key_result"

    def col(name: str) -> list[str]:
        return [_fmt(v, k, lang) if kr else "" for v, k, kr in zip(progress[name], kinds, is_kr, strict=True)]

    indent = progress["depth"].map(lambda d: "\u3000" * int(d))
    marker = np.where(is_kr, "▸ ", "◆ ")
    metric = [metric_text(m, lang) for m in progress["metric"]]
    return pd.DataFrame({
        "id": progress["id"],
        "title": indent + marker + progress[f"title_{lang}"].astype(str),
        "owner": [bilingual(o, lang) for o in progress["owner"]],
        "metric": metric,
        "baseline": col("baseline"), "target": col("target"), "actual": col("actual"),
        "progress": progress["progress"],
        "deadline": pd.to_datetime(progress["deadline"]).dt.strftime("%Y-%m-%d").fillna(""),
    })


def _smart_issue(code: str, row: pd.Series, lang: str) -> str:
    """Return the sentence of one issue code of :func:`playbook.targets.smart_check`."""
    key = f"targets.smart.{code}"
    if code in ("vague_metric", "not_assessed"):
        return t(key, lang, metric=metric_text(row["metric"], lang))
    if code == "no_target":
        return t(key, lang, target=bilingual(row["target_text"], lang) or "—")
    if code == "bad_deadline":
        return t(key, lang, deadline=row["deadline_text"])
    if code == "unknown_objective":
        return t(key, lang, objective=row["objective_id"])
    if code in ("too_high", "too_low"):
        kind = row["kind"]
        margin = (t("targets.unit.points", lang, n=f"{row['margin'] * 100:g}") if kind == "ratio"
                  else f"{row['margin']:.0%}")
        return t(key, lang, target=_fmt(row["target"], kind, lang), gap=_fmt_gap(row["gap"], kind, lang),
                 period=t(f"targets.period.{row['period']}", lang), when=row["best_period"],
                 best=_fmt(row["best"], kind, lang), margin=margin, limit=_fmt(row["limit"], kind, lang))
    return t(key, lang)


def smart_issues(check: pd.DataFrame, *, lang: str = "en") -> list[str]:
    """Explain each goal of :func:`playbook.targets.smart_check` in ``lang``: its issues, one sentence each.

    A goal that passes and was fully assessed reads "passes all five criteria".

    Examples
    --------
    >>> from playbook.targets import parse_okr, smart_check
    >>> okr = parse_okr({"objectives": [{"id": "O1", "title": "Grow"}], "key_results": [
    ...     {"id": "G1", "objective": "O1", "owner": "Li", "metric": "提升", "target": 5, "deadline": "2025-12-31"}]})
    >>> smart_issues(smart_check(okr), lang="zh")[0][:22]
    '不够具体：指标“提升”含糊，应写可计数的内容'
    """
    check_lang(lang)
    sep = "; " if lang == "en" else "；"
    out = []
    for _, row in check.iterrows():  # goals are few (config, not data)
        codes = list(row["issues"])
        if not codes and bool(row["all_pass"]):
            codes = ["ok"]
        out.append(sep.join(_smart_issue(code, row, lang) for code in codes))
    return out


def smart_table(check: pd.DataFrame, *, lang: str = "en") -> pd.DataFrame:
    """Display frame of :func:`playbook.targets.smart_check`: ✓ / ✗ per criterion, the reasons in ``lang``.

    A criterion not assessed shows –.

    Columns ``kr_id, title, specific, measurable, achievable, relevant, time_bound,
    all_pass, issues``.

    Examples
    --------
    >>> c = pd.DataFrame({"kr_id": ["G"], "title_en": ["x"], "title_zh": ["甲"], "specific": [True],
    ...                   "measurable": [False], "achievable": pd.array([None], dtype="boolean"),
    ...                   "relevant": [True], "time_bound": [True], "all_pass": [False],
    ...                   "issues": [("no_target",)], "target_text": ["a lot"]})
    >>> smart_table(c).iloc[0].tolist()
    ['G', 'x', '✓', '✗', '–', '✓', '✓', '✗', "not measurable: the target 'a lot' is not a number"]
    """
    out = pd.DataFrame({"kr_id": check["kr_id"], "title": check[f"title_{check_lang(lang)}"]})
    for col in [*SMART_CRITERIA, "all_pass"]:
        out[col] = [("–" if pd.isna(v) else ("✓" if v else "✗")) for v in check[col]]
    out["issues"] = smart_issues(check, lang=lang)
    return out


def plan_checks_table(checks: pd.DataFrame, *, lang: str = "en") -> pd.DataFrame:
    """Display frame of :func:`playbook.targets.plan_checks`: each check in words.

    Examples
    --------
    >>> c = pd.DataFrame({"check": ["year_quarters"], "parts": [4], "difference": [0]})
    >>> plan_checks_table(c, lang="zh")["check"].tolist()
    ['年度 = 各季度之和']
    """
    check_lang(lang)
    return checks.assign(check=[t(f"targets.check.{k}", lang) for k in checks["check"]])


def review_table(review: pd.DataFrame, *, lang: str = "en") -> pd.DataFrame:
    """Display frame of :func:`playbook.targets.weekly_review`: the ``status`` in words, as ``status_text``.

    Examples
    --------
    >>> w = pd.DataFrame({"rep_id": ["R1", "R2"], "pace": [0.5, 1.2], "status": ["behind", "on_track"],
    ...                   "to_go": [10.0, 0.0]})
    >>> review_table(w, lang="zh")
      rep_id  pace status_text  to_go
    0     R1   0.5          落后   10.0
    1     R2   1.2        进度正常    0.0
    """
    check_lang(lang)
    out = review.rename(columns={"status": "status_text"})
    out["status_text"] = [t(f"targets.status.{s}", lang) for s in review["status"]]
    if "period" in out:
        out["period"] = [period_text(p, lang) for p in out["period"]]
    return out


def period_text(period: object, lang: str = "en") -> str:
    """Return a period key of :func:`playbook.targets.track` in words: ``2025 YTD`` -> ``2025 年初至今``.

    Months (``2025-03``) and quarters (``2025Q3``) read the same in both languages.

    Examples
    --------
    >>> period_text("2025 YTD", "zh"), period_text("2025 YTD", "en"), period_text("2025Q3", "zh")
    ('2025 年初至今', '2025 year to date', '2025Q3')
    """
    text = str(period)
    if text.endswith(" YTD") and text[:-4].isdigit():
        return t("targets.period_ytd", lang, year=text[:-4])
    return text


def bilingual(text: object, lang: str = "en") -> str:
    """Return the part of ``"English / 中文"`` text in ``lang``; other text as it is.

    Hand-written catalogues (OKR owners, targets) may give both languages in one field,
    the English first, joined by `` / ``.

    Examples
    --------
    >>> bilingual("Sales director / 销售总监", "zh"), bilingual("Sales director / 销售总监", "en")
    ('销售总监', 'Sales director')
    >>> bilingual("王芳", "en"), bilingual("A / B", "zh"), bilingual(None, "zh")
    ('王芳', 'A / B', '')
    """
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return ""
    text = str(text)
    parts = text.split(" / ")
    if len(parts) == 2 and not _has_cjk(parts[0]) and _has_cjk(parts[1]):
        return parts[1].strip() if check_lang(lang) == "zh" else parts[0].strip()
    return text


def _has_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def metric_text(metric: object, lang: str = "en") -> str:
    """Return the name of a key result's metric in ``lang``: a label when the catalogue has one.

    Examples
    --------
    >>> metric_text("needs_interviews", "zh"), metric_text("new_customers", "zh"), metric_text("widgets", "zh")
    ('深度需求访谈次数', '新客户数', 'widgets')
    """
    if metric is None or (isinstance(metric, float) and math.isnan(metric)):
        return ""
    key = f"targets.metric.{str(metric).strip()}"
    return t(key, lang) if key in catalogue() else bilingual(metric, lang)
