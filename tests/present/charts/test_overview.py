import io
import warnings

import matplotlib
import pandas as pd
import pytest
from matplotlib.font_manager import FontProperties, findfont
from matplotlib.ft2font import FT2Font

from playbook.present.charts import attainment_chart, cjk_font, monthly_sales_chart, setup_fonts

matplotlib.use("Agg")

MONTHLY = pd.DataFrame({
    "team": ["华东一组"] * 3 + ["华北一组"] * 3,
    "month": pd.to_datetime(["2025-01-01", "2025-02-01", "2025-03-01"] * 2),
    "net_sales": [120000.0, 80000.0, 150000.0, 90000.0, 60000.0, 110000.0],
})
SUMMARY = pd.DataFrame({
    "name": ["董某某", "王芳", "李雷"], "team": ["华东一组", "华东一组", "华北一组"],
    "attainment": [1.095, 0.8, None],
})


def _png_without_missing_glyphs(fig) -> bytes:
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph ... missing from font(s)" becomes an error
        fig.savefig(buf, format="png")
    return buf.getvalue()


def test_a_cjk_font_is_installed_and_has_chinese_glyphs():
    font = cjk_font()
    assert font is not None, "install the Debian package fonts-noto-cjk (make setup does)"
    path = findfont(FontProperties(family=font), fallback_to_default=False)
    ft = FT2Font(path)
    assert all(ft.get_char_index(ord(ch)) != 0 for ch in "净销售额万元团队达成率")


def test_setup_fonts_puts_cjk_font_first():
    font = setup_fonts()
    assert matplotlib.rcParams["font.sans-serif"][0] == font
    assert matplotlib.rcParams["axes.unicode_minus"] is False


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_monthly_chart_renders_every_glyph(lang):
    ax = monthly_sales_chart(MONTHLY, lang=lang)
    fig = ax.figure
    assert len(ax.get_lines()) == 2
    assert {t.get_text() for t in ax.get_legend().get_texts()} == {"华东一组", "华北一组"}
    # values are shown in 万元: 150,000 CNY -> 15
    assert ax.yaxis.get_major_formatter()(150000.0) == "15"
    assert _png_without_missing_glyphs(fig)[:8] == b"\x89PNG\r\n\x1a\n"


def test_attainment_chart_skips_missing_and_marks_100():
    ax = attainment_chart(SUMMARY, lang="zh")
    fig = ax.figure
    widths = sorted(round(p.get_width(), 1) for p in ax.patches)
    assert widths == [80.0, 109.5]
    assert ax.get_xlabel() == "指标达成率（%）"
    _png_without_missing_glyphs(fig)


def test_missing_glyph_check_really_detects_boxes():
    """The helper above must fail when a font without Chinese is forced."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.set_title("净销售额", fontfamily="DejaVu Sans")
    with pytest.raises(UserWarning, match="missing from font"):
        _png_without_missing_glyphs(fig)
    plt.close(fig)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_attainment_chart_of_a_large_company_shows_bands_on_a_fixed_size(lang):
    from playbook.core.labels import t
    from playbook.present.charts import MAX_REP_BARS

    n = MAX_REP_BARS + 40
    summary = pd.DataFrame({"name": [f"R{i}" for i in range(n)], "team": ["华东一组"] * n,
                            "attainment": [i / 40 for i in range(n)]})  # 0% .. 247.5%
    ax = attainment_chart(summary, lang=lang)
    counts = [p.get_height() for p in ax.patches]
    # 10% bands 0-200%: 4 reps each (steps of 2.5%); 200% and above (i >= 80: 20 reps) in the last band
    assert counts == [4] * 20 + [20] and sum(counts) == n
    assert ax.get_title() == t("chart.attainment_bands", lang, n=f"{n:,}")
    assert tuple(ax.figure.get_size_inches()) == (8, 4.5)
    assert _png_without_missing_glyphs(ax.figure)[:4] == b"\x89PNG"


def test_monthly_chart_of_many_teams_has_no_legend_taller_than_the_chart():
    from playbook.present.charts import MAX_LEGEND_TEAMS

    n = MAX_LEGEND_TEAMS + 1
    frame = pd.DataFrame({"team": [f"T{i:02d}" for i in range(n)], "month": pd.Timestamp("2025-01-01"),
                          "net_sales": 1.0})
    ax = monthly_sales_chart(frame, lang="en")
    assert len(ax.get_lines()) == n and ax.get_legend() is None
    assert monthly_sales_chart(frame.iloc[:-1], lang="en").get_legend() is not None
