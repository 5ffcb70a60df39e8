"""Price ladder and approval limits by position: planted deals, each verdict by hand."""

import pandas as pd
import pytest

from playbook import funnel
from playbook.core.errors import InputError
from playbook.present import funnel as present_funnel

REPS = pd.DataFrame({"rep_id": ["R1", "R2", "R3", "R4", "R5"], "name": list("ABCDE"), "team": ["T"] * 5,
                     "role": ["销售专员", "高级销售", "销售经理", None, "Sales Director"]})


def _opps():
    # limits (data/rules/price_authority.yaml): specialist 5% / 0 months / 300k, senior 10% / 1 / 1M,
    # manager 20% / 3 / 3M, director 30% / 6 / no limit; ladder: > 500k 3 months free, renewal 20% off.
    return pd.DataFrame({
        "opportunity_id": ["A1", "A2", "A3", "A4", "A5", "A6", "A7", "A8"],
        "rep_id": ["R1", "R1", "R1", "R2", "R3", "R4", "R1", "R5"],
        "customer_id": ["C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8"],
        "amount": [200_000.0, 200_000.0, 600_000.0, 1_500_000.0, 100.0, 95_000.0, 80_000.0, 5_000_000.0],
        "discount_amount": [0.0, 20_000.0, 0.0, 0.0, 99_900.0, 5_000.0, 20_000.0, 5_000_000.0],
        "free_months": pd.array([0, 0, 3, 4, 0, None, 0, 0], dtype="Int64"),
        "outcome": ["won", "won", "open", "won", "lost", "won", "won", "won"],
        "created_date": pd.to_datetime(["2025-01-01"] * 8),
    })


ORDERS = pd.DataFrame({"customer_id": ["C7"], "order_date": pd.to_datetime(["2024-01-01"]), "amount": [50_000.0]})


def test_planted_deals_outside_authority():
    out = funnel.authority_check(_opps(), REPS, ORDERS)
    assert list(out.columns) == funnel.AUTHORITY_COLUMNS
    # A1 no concession. A2: 20,000 / 220,000 = 9.09% > a specialist's 5%, within a senior's 10%.
    # A3: 3 free months on 600k is the ladder's (> 500k), but 600k is above a specialist's 300k.
    # A4 (senior): 4 months > the ladder's 3 -> only a director (6); 1.5M > 1M -> a manager (3M).
    # A5 is lost: not checked. A6 (no role: the lowest position): 5,000 / 100,000 = 5% exactly, at the
    # limit, allowed. A7: 20% off a renewal (C7 ordered in 2024) is the ladder's. A8 (director, role
    # matched in English): 50% off is above every limit: nobody may approve it.
    assert out[["opportunity_id", "position", "limit", "value", "allowed", "needs"]].values.tolist() == [
        ["A2", "sales_specialist", "discount", 0.0909, 0.05, "senior_sales"],
        ["A3", "sales_specialist", "amount", 600_000.0, 300_000.0, "senior_sales"],
        ["A4", "senior_sales", "free_months", 4.0, 3.0, "sales_director"],
        ["A4", "senior_sales", "amount", 1_500_000.0, 1_000_000.0, "sales_manager"],
        ["A8", "sales_director", "discount", 0.5, 0.3, ""],
    ]
    # without the orders nothing shows that A7 is a renewal: its 20% needs a manager
    bare = funnel.authority_check(_opps(), REPS)
    assert bare.loc[bare["opportunity_id"] == "A7", ["limit", "value", "needs"]].values.tolist() == [
        ["discount", 0.2, "sales_manager"]]
    # data without the concession columns: only contract values are checked
    plain = funnel.authority_check(_opps().drop(columns=["discount_amount", "free_months"]), REPS, ORDERS)
    assert plain[["opportunity_id", "limit"]].values.tolist() == [["A3", "amount"], ["A4", "amount"]]


def test_authority_shown_in_both_languages():
    rules = funnel.load_authority()
    out = funnel.authority_check(_opps(), REPS, ORDERS, rules=rules)
    zh = present_funnel.authority_display(out, rules, lang="zh")
    assert zh.loc[2, ["position", "limit", "value", "allowed", "needs"]].tolist() == [
        "高级销售", "赠送服务月数", "4", "3", "销售总监"]
    assert zh.loc[4, ["value", "allowed", "needs"]].tolist() == ["50.0%", "30.0%", "无人可批（超出所有权限）"]
    en = present_funnel.authority_display(out, rules, lang="en")
    assert en.loc[1, ["limit", "value", "allowed", "needs"]].tolist() == [
        "Contract value", "600,000.00", "300,000.00", "Senior sales"]


def test_bad_rules_are_named(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text("positions:\n  - {key: rep, max_discount: -0.1}\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"rules.yaml, position 1: max_discount must be a number >= 0"):
        funnel.load_authority(path)
    path.write_text("ladder: []\n", encoding="utf-8")
    with pytest.raises(InputError, match="needs 'positions'"):
        funnel.load_authority(path)
