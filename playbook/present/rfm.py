"""RFM tables for display."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from playbook.core.labels import catalogue, check_lang, label_frame, t
from playbook.core.paths import file_in
from playbook.present.excel import write_csv, write_workbook
from playbook.present.tables import display
from playbook.rfm.scores import INACTIVE, TIERS
from playbook.rfm.segments import SegmentMap, load_segment_map

__all__ = [
    "display_labels", "channel_verdict", "write_segment_lists", "segment_labels", "segment_map_title",
    "actions_display"
]

# --------------------------------------------------------------------------- display

def display_labels(frame: pd.DataFrame, *,
                   segment_map: str | Path | Mapping[str, Any] | SegmentMap = "default",
                   lang: str = "en") -> pd.DataFrame:
    """Return a copy for display: segment, tier and channel values and segment columns in ``lang``.

    Translates the values of the columns ``segment``, ``from_segment``, ``tier`` and
    ``channel`` (and the ``rep_id`` "total" of :func:`portfolio_summary`), renames
    columns named after a segment key (as in :func:`portfolio_matrix` and
    :func:`migration`), shows datetime columns as dates and booleans as yes / no
    (through :func:`playbook.present.tables.display`). Unknown values stay as they are;
    figures stay numbers (:func:`playbook.present.tables.style_table` formats them).

    Examples
    --------
    >>> f = pd.DataFrame({"segment": ["sleeping"], "tier": ["growth"], "other": [1]})
    >>> shown = display_labels(f, segment_map="domain", lang="zh")
    >>> list(shown.columns), shown["segment"].tolist(), shown["tier"].tolist()
    (['segment', 'tier', '其他客户'], ['沉睡客户'], ['成长客户'])
    """
    check_lang(lang)
    smap = load_segment_map(segment_map)
    seg = segment_labels(smap, lang=lang)
    tiers = {k: t(f"rfm.tier.{k}", lang) for k in TIERS}
    out = frame.copy()
    for col in ("segment", "from_segment"):
        if col in out:
            out[col] = out[col].map(lambda v: seg.get(v, v))
    if "tier" in out:
        out["tier"] = out["tier"].map(lambda v: tiers.get(v, v))
    if "rep_id" in out:
        total = t("rfm.total", lang)
        out["rep_id"] = out["rep_id"].map(lambda v: total if v == "total" else v)
    out = display(out, lang=lang, values={"channel": "channel."}, yes_no=("rfm.yes", "rfm.no"), numbers=False)
    return out.rename(columns={c: seg[c] for c in out.columns if c in seg})


def channel_verdict(economics: pd.DataFrame, *, lang: str = "en") -> str:
    """Return one sentence naming the channels with ROI < 1 (to cut), or saying there are none.

    Examples
    --------
    >>> e = pd.DataFrame({"channel": ["paid_social", "referral"], "roi_below_1": [True, False]})
    >>> channel_verdict(e, lang="zh")
    'ROI < 1 的渠道：社交媒体广告'
    """
    check_lang(lang)

    cat = catalogue()
    bad = [cat[f"channel.{c}"][lang] if f"channel.{c}" in cat else str(c)
           for c in economics.loc[economics["roi_below_1"], "channel"]]
    if not bad:
        return t("rfm.channels_none_cut", lang)
    return t("rfm.channels_cut", lang, channels=("、" if lang == "zh" else ", ").join(bad))


def write_segment_lists(lists: Mapping[str, pd.DataFrame], path: str | Path, *, lang: str | None = None,
                        segment_map: str | Path | Mapping[str, Any] | SegmentMap = "default") -> list[Path]:
    """Write segment lists (:func:`playbook.rfm.segment_lists`): ``*.xlsx`` -> one workbook, else CSVs.

    A path ending in ``.xlsx`` gets one workbook with a sheet per segment; any other path
    is a folder that gets one ``<segment>.csv`` per segment, UTF-8 with a byte-order mark
    so Excel shows Chinese correctly. Both go through :mod:`playbook.present.excel`
    (text cells neutralised, files written atomically). Returns the paths written.

    With ``lang`` the lists are for people: headers, segment and tier values, and the sheet
    and file names are in ``lang`` (segment names of ``segment_map``); without it they keep
    the kit's keys (for re-import into a CRM).

    Examples
    --------
    >>> import tempfile
    >>> lists = {"lost": pd.DataFrame({"customer_id": ["=HYPERLINK(1)"], "monetary": [5.0]})}
    >>> [p.name for p in write_segment_lists(lists, Path(tempfile.mkdtemp()) / "csv")]
    ['lost.csv']
    >>> [p.name for p in write_segment_lists(lists, Path(tempfile.mkdtemp()) / "csv", lang="zh")]
    ['已流失客户.csv']
    """
    path = Path(path)
    if lang is not None:
        names = segment_labels(segment_map, lang=lang)
        tiers = {k: t(f"rfm.tier.{k}", lang) for k in TIERS}
        shown = {}
        for key, frame in lists.items():
            out = frame.copy()
            if "segment" in out:
                out["segment"] = out["segment"].map(lambda v: names.get(v, v))
            if "tier" in out:
                out["tier"] = out["tier"].map(lambda v: tiers.get(v, v))
            shown[names.get(key, key)[:31]] = out.rename(columns=label_frame(list(out.columns), lang))
        lists = shown
    if path.suffix.lower() == ".xlsx":
        return [write_workbook(lists, path)]
    path.mkdir(parents=True, exist_ok=True)
    return [write_csv(frame, file_in(path, f"{key}.csv")) for key, frame in lists.items()]
# --------------------------------------------------------------------------- segment maps and actions in words


def segment_labels(segment_map: str | Path | Mapping[str, Any] | SegmentMap = "default", *,
                   lang: str = "en") -> dict[str, str]:
    """Return ``{segment key: label in lang}`` for every segment of the map and :data:`~playbook.rfm.INACTIVE`.

    Examples
    --------
    >>> segment_labels("default", lang="zh")["cannot_lose_them"]
    '不能失去的客户'
    >>> segment_labels("default")["inactive"]
    'No order in window'
    """
    check_lang(lang)
    smap = load_segment_map(segment_map)
    return {**{k: smap.labels[k][lang] for k in smap.keys}, INACTIVE: t("rfm.inactive", lang)}


def segment_map_title(segment_map: str | Path | Mapping[str, Any] | SegmentMap = "default", *,
                      lang: str = "en") -> str:
    """Return the map's title in ``lang`` (its ``title`` in the YAML, else its name).

    Examples
    --------
    >>> segment_map_title("default", lang="zh")
    'RFM 标准 11 类客户分群'
    >>> segment_map_title({"name": "mine", "segments": [{"key": "a", "en": "A", "zh": "甲", "when": [{}]}]})
    'mine'
    """
    check_lang(lang)
    smap = load_segment_map(segment_map)
    return smap.titles.get(lang) or smap.name


def actions_display(frame: pd.DataFrame, *,
                    segment_map: str | Path | Mapping[str, Any] | SegmentMap = "default",
                    lang: str = "en") -> pd.DataFrame:
    """Show a frame of :func:`playbook.rfm.segment_actions`, ``tier_actions`` or ``action_plan`` in ``lang``.

    Each pair of text columns ``<name>_en`` / ``<name>_zh`` becomes one column
    ``<name>`` in ``lang`` (where the ``_en`` column was); then :func:`display_labels`
    translates segments and tiers.

    Examples
    --------
    >>> from playbook import rfm
    >>> shown = actions_display(rfm.tier_actions(preset="case"), lang="zh")
    >>> list(shown.columns), shown["tier"].iloc[0]
    (['tier', 'action'], '战略客户')
    """
    check_lang(lang)
    out = frame.copy()
    for col in [c for c in frame.columns if c.endswith("_en") and f"{c[:-3]}_zh" in frame.columns]:
        base = col[:-3]
        out.insert(out.columns.get_loc(col), base, frame[f"{base}_{lang}"])
        out = out.drop(columns=[col, f"{base}_zh"])
    return display_labels(out, segment_map=segment_map, lang=lang)
