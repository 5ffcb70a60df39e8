"""The expected answers in FACILITATOR.md are the case data's figures (seed 7), computed again here.

Each figure is parsed from the guide's English text and compared, at the precision the guide
writes it, with the kit's computation on the case company: module 2 (the Q4 gap), module 3
(tier counts and the strategic share) and module 4 (the objection rate after the change).
"""

import re

import pandas as pd
import pytest

from playbook import rfm
from playbook.case import figures as case_figures
from playbook.core.paths import NOTEBOOKS_DIR
from playbook.data import case_study

GUIDE = (NOTEBOOKS_DIR / "workshop" / "FACILITATOR.md").read_text(encoding="utf-8")
ENGLISH = GUIDE.split("## 中文", 1)[0]


def _module(n: int) -> str:
    """The guide's talking points of module ``n``."""
    return re.search(rf"\*\*{n} · .*?(?=\n\*\*\d · |\n### )", ENGLISH, re.S).group(0)


@pytest.fixture(scope="module")
def case():
    return case_study.generate_case(seed=7)


def test_module_2_q4_gap(case):
    text = _module(2)
    gap, base, banked = (float(x) for x in re.search(
        r"about ([\d.]+) million CNY for Q4 \(1\.3 × ([\d.]+) M − ([\d.]+) M already", text).groups())
    orders = case["orders"]
    d = pd.to_datetime(orders["order_date"])
    sales_2022 = orders.loc[d.dt.year == 2022, "amount"].sum()
    banked_2023 = orders.loc[(d >= "2023-01-01") & (d <= "2023-09-30"), "amount"].sum()
    assert (round(sales_2022 / 1e6, 1), round(banked_2023 / 1e6, 1)) == (base, banked)
    assert round((1.3 * sales_2022 - banked_2023) / 1e6, 1) == gap


def test_module_3_tiers(case):
    text = _module(3)
    counts = dict(zip(("strategic", "growth", "basic"),
                      map(int, re.search(r"(\d+) strategic, (\d+) growth and (\d+) basic", text).groups()),
                      strict=True))
    share = int(re.search(r"strategic tier brings about (\d+)% of net sales", text).group(1))
    seg = rfm.segment_customers(case["orders"], as_of="2023-09-30", window_days=365, tiers="case")
    assert seg["tier"].value_counts().reindex(list(counts)).to_dict() == counts
    assert round(100 * seg.loc[seg["tier"] == "strategic", "monetary"].sum() / seg["monetary"].sum()) == share


def test_module_4_objections_after(case):
    rate, n = re.search(r"about (\d+)% of the after quarter's negotiations met an objection \((\d+) negotiations\)",
                        _module(4)).groups()
    value, count = case_figures.objection_rate(case["opportunities"], start="2023-07-01", end="2023-09-30")
    assert (round(100 * value), count) == (int(rate), int(n))
