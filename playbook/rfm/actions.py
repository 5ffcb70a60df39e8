"""The playbook action for each segment and spend tier."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from playbook.core import paths
from playbook.core.errors import InputError, ParameterError, require_columns
from playbook.core.labels import LANGS
from playbook.core.money import round_money
from playbook.rfm.scores import ACTIONS_FILE, TIERS
from playbook.rfm.segments import SegmentMap, load_segment_map

__all__ = ["ACTION_COLUMNS", "load_actions", "segment_actions", "tier_actions", "action_plan"]

ACTION_COLUMNS = tuple(f"action_{lang}" for lang in LANGS)
"""The action text columns, one per language of the catalogue (``action_en``, ``action_zh``)."""

# --------------------------------------------------------------------------- actions

def load_actions(actions: str | Path | Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Return the action catalogue (``templates/rfm_actions.yaml`` by default, or a path/mapping).

    Examples
    --------
    >>> load_actions()["tiers"]["case"]["strategic"]["zh"][:9]
    '年消费 50 万元'
    """
    if isinstance(actions, Mapping):
        data: Any = actions
        where = "actions"
    else:
        path = ACTIONS_FILE if actions is None else paths.resolve(actions)
        if not Path(path).is_file():
            raise ParameterError("actions", str(actions), "the path of a YAML action catalogue")
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        where = Path(path).name
    if not isinstance(data, Mapping) or not isinstance(data.get("segments"), Mapping) \
            or not isinstance(data.get("tiers"), Mapping):
        raise InputError(f"{where}: an action catalogue needs the sections 'segments' and 'tiers'.")
    return dict(data)


def _texts(entry: object) -> dict[str, Any]:
    """``{"action_en": ..., "action_zh": ...}`` of a catalogue entry (NA where a language is missing)."""
    entry = entry if isinstance(entry, Mapping) else {}
    return {f"action_{lang}": str(entry[lang]) if entry.get(lang) else pd.NA for lang in LANGS}


def _frame(key: str, keys: Sequence[str], entries: Mapping[str, Any]) -> pd.DataFrame:
    texts = [_texts(entries.get(k)) for k in keys]
    return pd.DataFrame({key: list(keys), **{col: pd.array([x[col] for x in texts], dtype="str")
                                              for col in ACTION_COLUMNS}})


def segment_actions(*, segment_map: str | Path | Mapping[str, Any] | SegmentMap = "default",
                    actions: str | Path | Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Return the playbook action for every segment of ``segment_map`` (``segment, action_en, action_zh``).

    A segment without an entry in the catalogue gets an empty (NA) action; so does a
    language the entry lacks. :func:`playbook.present.rfm.actions_display` shows the
    reader's language.

    Examples
    --------
    >>> segment_actions(segment_map="domain")["action_zh"].iloc[0]
    '资深销售 + 定制化服务；定期需求回访；交叉销售。'
    """
    smap = load_segment_map(segment_map)
    return _frame("segment", smap.keys, load_actions(actions)["segments"])


def tier_actions(*, preset: str = "saas", actions: str | Path | Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Return the service model for each spend tier of a preset (``tier, action_en, action_zh``).

    Examples
    --------
    >>> tier_actions(preset="saas")["action_en"].iloc[-1]
    'Under 30k CNY/yr: online self-service.'
    """
    tiers = load_actions(actions)["tiers"]
    if preset not in tiers:
        raise ParameterError("tier_preset", preset, "one of " + ", ".join(repr(k) for k in tiers))
    return _frame("tier", TIERS, tiers[preset])


def action_plan(segmented: pd.DataFrame, *,
                segment_map: str | Path | Mapping[str, Any] | SegmentMap = "default",
                tier_preset: str = "saas",
                actions: str | Path | Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Plan actions: one row per segment and tier that has customers: counts, revenue and both actions.

    Columns ``segment, tier, customers, revenue, segment_action_en, segment_action_zh,
    tier_action_en, tier_action_zh``, in the map's segment order and tier order
    strategic, growth, basic.

    Examples
    --------
    >>> s = pd.DataFrame({"segment": ["sleeping", "high_value"], "tier": ["basic", "strategic"],
    ...                   "monetary": [10.0, 900.0]})
    >>> action_plan(s, segment_map="domain")[["segment", "tier", "customers", "revenue"]]
          segment       tier  customers  revenue
    0  high_value  strategic          1    900.0
    1    sleeping      basic          1     10.0
    """
    require_columns(segmented, ["segment", "tier", "monetary"], "segmented customers")
    smap = load_segment_map(segment_map)
    seg_act = segment_actions(segment_map=smap, actions=actions).set_index("segment")
    tier_act = tier_actions(preset=tier_preset, actions=actions).set_index("tier")
    g = segmented.groupby(["segment", "tier"])
    out = pd.DataFrame({"customers": g.size(), "revenue": round_money(g["monetary"].sum())}).reset_index()
    out["_s"] = out["segment"].map({k: i for i, k in enumerate(smap.keys)})
    out["_t"] = out["tier"].map({k: i for i, k in enumerate(TIERS)})
    out = out.sort_values(["_s", "_t"], kind="stable").reset_index(drop=True)
    for col in ACTION_COLUMNS:
        out[f"segment_{col}"] = out["segment"].map(seg_act[col])
        out[f"tier_{col}"] = out["tier"].map(tier_act[col])
    return out[["segment", "tier", "customers", "revenue", "segment_action_en", "segment_action_zh",
                "tier_action_en", "tier_action_zh"]]
