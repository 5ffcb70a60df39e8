"""The method's other worked cases: every worked-out figure by hand, both languages."""

import pytest

from playbook.case import WORKED_CASES, WORKED_COLUMNS, worked_cases
from playbook.core.errors import ParameterError
from playbook.present.case_study import worked_display


def test_worked_out_figures_by_hand():
    w = worked_cases()
    assert list(w.columns) == WORKED_COLUMNS and list(dict.fromkeys(w["case"])) == list(WORKED_CASES)
    v = w.set_index(["case", "figure"])["value"]
    # half-year review: 1,200,000 = 80% of target -> target 1,500,000, 300,000 to go; online 20% = 240,000
    assert [v["half_year_review", k] for k in ("target", "gap", "online_sales")] == [1_500_000.0, 300_000.0,
                                                                                    240_000.0]
    # car dealer: 0.90 x 1.10 = 0.99 of the month before the fall; back to it needs 1 / 0.9 - 1 = 11.1%
    assert v["car_dealer_pdca", "goal_index"] == pytest.approx(0.99)
    assert v["car_dealer_pdca", "recovery_needed"] == pytest.approx(1 / 9)
    # FMCG: 92% - 75% = 17 points; building materials: 1 - 28/45 = 37.8% shorter, 365/45 = 8.1 -> 365/28 = 13.0
    assert v["fmcg_targets", "attainment_gain"] == pytest.approx(0.17)
    assert v["building_materials", "cycle_cut"] == pytest.approx(17 / 45)
    assert (round(v["building_materials", "cycles_per_year_before"], 1),
            round(v["building_materials", "cycles_per_year_after"], 1)) == (8.1, 13.0)
    # mentoring: 6 -> 4 months = a third shorter; case company: 15% and 5% of 20 top reps = 3 and 1 a year
    assert v["real_estate_mentoring", "probation_cut"] == pytest.approx(1 / 3)
    assert (v["case_company_people", "leavers_before"], v["case_company_people", "leavers_after"]) == (
        pytest.approx(3.0), pytest.approx(1.0))
    assert v["case_company_people", "first_deal_gain"] == pytest.approx(0.25)
    # the source's figures are marked given, the rest worked out
    assert w.loc[w["figure"] == "target", "given"].tolist() == [False]
    assert w.loc[w["figure"] == "satisfaction", "given"].tolist() == [True]
    # another half-year: 900,000 at 80% -> target 1,125,000
    assert worked_cases(half_year_sales=900_000).set_index("figure").loc["target", "value"] == 1_125_000.0
    with pytest.raises(ParameterError, match="half_year_sales"):
        worked_cases(half_year_sales=0)


def test_worked_cases_in_both_languages():
    zh = worked_display(worked_cases(), lang="zh")
    assert zh.columns.tolist() == ["案例", "数据", "数值", "已知/推算"]
    assert zh.iloc[5].tolist() == ["半年复盘：120 万元 = 目标的 80%", "距目标差额", "300,000.00 元", "推算"]
    assert zh.iloc[13].tolist()[2:] == ["17 个百分点", "推算"]
    en = worked_display(worked_cases(), lang="en")
    assert en.iloc[16].tolist()[1:] == ["Sales cycle shortened by", "37.8%", "Worked out"]
    assert en.iloc[28].tolist()[2] == "3 people"
