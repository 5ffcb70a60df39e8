"""The playbook action for each segment and spend tier."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from playbook.core import paths
from playbook.core.errors import InputError, ParameterError, require_columns
from playbook.core.labels import check_lang
from playbook.core.money import round_money
from playbook.rfm.scores import ACTIONS_FILE, TIERS
from playbook.rfm.segments import SegmentMap, load_segment_map

__all__ = ["load_actions", "segment_actions", "tier_actions", "action_plan"]

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


def _text(entry: object, lang: str) -> Any:
    if isinstance(entry, Mapping) and entry.get(lang):
        return str(entry[lang])
    return pd.NA


def segment_actions(*, segment_map: str | Path | Mapping[str, Any] | SegmentMap = "default",
                    lang: str = "en", actions: str | Path | Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Return the playbook action for every segment of ``segment_map`` (``segment, action``).

    A segment without an entry in the catalogue gets an empty (NA) action.

    Examples
    --------
    >>> segment_actions(segment_map="domain", lang="zh")["action"].iloc[0]
    '资深销售 + 定制化服务；定期需求回访；交叉销售。'
    """
    check_lang(lang)
    smap = load_segment_map(segment_map)
    cat = load_actions(actions)["segments"]
    return pd.DataFrame({"segment": list(smap.keys),
                         "action": pd.array([_text(cat.get(k), lang) for k in smap.keys], dtype="str")})


def tier_actions(*, preset: str = "saas", lang: str = "en",
                 actions: str | Path | Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Return the service model for each spend tier of a preset (``tier, action``).

    Examples
    --------
    >>> tier_actions(preset="saas")["action"].iloc[-1]
    'Under 30k CNY/yr: online self-service.'
    """
    check_lang(lang)
    tiers = load_actions(actions)["tiers"]
    if preset not in tiers:
        raise ParameterError("tier_preset", preset, "one of " + ", ".join(repr(k) for k in tiers))
    return pd.DataFrame({"tier": list(TIERS),
                         "action": pd.array([_text(tiers[preset].get(k), lang) for k in TIERS], dtype="str")})


def action_plan(segmented: pd.DataFrame, *,
                segment_map: str | Path | Mapping[str, Any] | SegmentMap = "default",
                tier_preset: str = "saas", lang: str = "en",
                actions: str | Path | Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Plan actions: one row per segment and tier that has customers: counts, revenue and both actions.

    Columns ``segment, tier, customers, revenue, segment_action, tier_action``, in
    the map's segment order and tier order strategic, growth, basic.

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
    seg_act = segment_actions(segment_map=smap, lang=lang, actions=actions).set_index("segment")["action"]
    tier_act = tier_actions(preset=tier_preset, lang=lang, actions=actions).set_index("tier")["action"]
    g = segmented.groupby(["segment", "tier"])
    out = pd.DataFrame({"customers": g.size(), "revenue": round_money(g["monetary"].sum())}).reset_index()
    out["_s"] = out["segment"].map({k: i for i, k in enumerate(smap.keys)})
    out["_t"] = out["tier"].map({k: i for i, k in enumerate(TIERS)})
    out = out.sort_values(["_s", "_t"], kind="stable").reset_index(drop=True)
    out["segment_action"] = out["segment"].map(seg_act)
    out["tier_action"] = out["tier"].map(tier_act)
    return out[["segment", "tier", "customers", "revenue", "segment_action", "tier_action"]]
