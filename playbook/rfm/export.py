"""One customer list per segment (written by :func:`playbook.present.rfm.write_segment_lists`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from playbook.core.errors import require_columns
from playbook.rfm.segments import SegmentMap, load_segment_map

__all__ = ["segment_lists"]

# --------------------------------------------------------------------------- export

def segment_lists(segmented: pd.DataFrame, *,
                  segment_map: str | Path | Mapping[str, Any] | SegmentMap = "default",
                  columns: Sequence[str] | None = None) -> dict[str, pd.DataFrame]:
    """Split customers into one frame per segment (map order; empty segments left out).

    Each list is sorted by ``monetary`` (highest first), then customer. Pure: nothing
    is written; see :func:`playbook.present.rfm.write_segment_lists`.

    Examples
    --------
    >>> s = pd.DataFrame({"customer_id": ["A", "B", "C"], "segment": ["other", "potential", "other"],
    ...                   "monetary": [5.0, 7.0, 9.0]})
    >>> {k: v["customer_id"].tolist() for k, v in segment_lists(s, segment_map="domain").items()}
    {'potential': ['B'], 'other': ['C', 'A']}
    """
    require_columns(segmented, ["customer_id", "segment", "monetary"], "segmented customers")
    smap = load_segment_map(segment_map)
    cols = list(columns) if columns is not None else list(segmented.columns)
    require_columns(segmented, cols, "segmented customers")
    ordered = segmented.sort_values(["monetary", "customer_id"], ascending=[False, True], kind="stable")
    return {k: ordered.loc[ordered["segment"] == k, cols].reset_index(drop=True)
            for k in smap.keys if (ordered["segment"] == k).any()}
