"""The funnel works without the optional channel_spend table (issue #14)."""

import warnings

import pandas as pd

from playbook.funnel.channels import channel_table


def test_channel_table_without_channel_spend():
    stages = pd.DataFrame({"channel": ["referral", "fair"], "created_date": pd.to_datetime(["2025-01-05"] * 2),
                           "outcome": ["won", "lost"], "amount": [500.0, 1.0], "reached_intent": True,
                           "reached_negotiation": True, "reached_deal": [True, False]})
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        table = channel_table(stages, None)
    assert table["channel"].tolist() == ["fair", "referral"]
    assert table["leads"].tolist() == [1, 1] and table["spend"].isna().all() and not table["low_roi"].any()
