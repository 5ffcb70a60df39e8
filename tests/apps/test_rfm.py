"""RFM explorer app: the form bound in Python (fast), then served by Voila and driven in a browser."""

import datetime
import io

import pandas as pd
import pytest
from voila_harness import page_as, served_behind_proxy

from playbook import rfm
from playbook.apps.rfm import RfmExplorer
from playbook.core import paths
from playbook.core.labels import t
from playbook.present import rfm as present_rfm

APP = paths.APPS_DIR / "rfm_explorer.ipynb"
BROKEN = paths.EXAMPLES_DIR / "broken_orders.csv"
# Four customers. Window: 365 days to 2025-09-30, i.e. from 2024-10-01.
# A: two orders (50k + 70k), last 2025-09-28 -> recency 2, F 2, M 120,000
# B: one order 20k on 2025-06-30 and a 5k refund -> recency 92 (refunds do not count), F 1, M 15,000
# C: one order 8k on 2025-01-10 -> recency 263, F 1, M 8,000
# D: ordered in 2024-01 (outside the window), only a refund inside it -> left out, with a note
ORDERS = (
    "order_id,customer_id,rep_id,order_date,amount,is_refund\n"
    "O1,A,R1,2025-09-01,50000,false\n"
    "O2,A,R1,2025-09-28,70000,false\n"
    "O3,B,R2,2025-06-30,20000,false\n"
    "O4,B,R2,2025-07-15,-5000,true\n"
    "O5,C,R1,2025-01-10,8000,false\n"
    "O6,D,R2,2024-01-05,1000,false\n"
    "O7,D,R2,2025-02-01,-1000,true\n"
)


def _upload(app: RfmExplorer, name: str, data: bytes) -> None:
    app.upload.value = ({"name": name, "type": "", "size": len(data), "content": memoryview(data),
                         "last_modified": datetime.datetime(2025, 10, 1)},)


def _html(app: RfmExplorer) -> list[str]:
    return [o["data"].get("text/html", "") for o in app.out.outputs]


@pytest.fixture
def uploaded():
    app = RfmExplorer(lang="en", user="hr.li", hr_users="hr.li")
    _upload(app, "orders.csv", ORDERS.encode())
    app.as_of.value = datetime.date(2025, 9, 30)
    app.segment_map.value = "domain"
    app.tiers.value = "saas"
    return app


def test_upload_is_segmented_with_the_chosen_rules(uploaded):
    assert uploaded.source.value.count("uploaded file orders.csv") == 1
    assert uploaded.show() is True
    # scores among 3 customers by mid-rank: A (5, 5, 5) high-value; B (3, 2, 3) other; C (1, 2, 1) sleeping.
    # Tiers (saas): A 120,000 > 100,000 strategic; B 15,000 and C 8,000 < 30,000 basic.
    got = uploaded.frames["customers"][["customer_id", "recency_days", "frequency", "monetary", "segment", "tier"]]
    expected = pd.DataFrame({"customer_id": ["A", "B", "C"], "recency_days": [2, 92, 263], "frequency": [2, 1, 1],
                             "monetary": [120_000.0, 15_000.0, 8_000.0],
                             "segment": ["high_value", "other", "sleeping"],
                             "tier": ["strategic", "basic", "basic"]})
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    # the picker lists the non-empty segments in the map's order (potential is empty)
    assert uploaded.segment.options == (("High-value (1)", "high_value"), ("Sleeping (1)", "sleeping"),
                                        ("Other (1)", "other"))
    pages = _html(uploaded)
    assert "1 customer(s) have only refunds in the window" in pages[0]  # the note about D comes first
    assert "As of 2025-09-30 · window 365 days · data: orders.csv" in pages[1]
    assert any("Playbook actions per segment" in p for p in pages)
    assert sum("image/png" in o["data"] for o in uploaded.out.outputs) == 1  # the segment chart
    assert uploaded.lists_box.layout.display == "flex"


def test_download_is_the_picked_segment_as_csv_with_bom(uploaded):
    uploaded.show()
    uploaded.segment_map.value = "default"  # changed after Show: the lists shown keep their map
    uploaded.segment.value = "other"
    data = uploaded.list_csv()
    assert data.startswith(b"\xef\xbb\xbf")
    listed = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig")
    assert list(listed.columns) == rfm.CUSTOMER_COLUMNS
    assert listed["customer_id"].tolist() == ["B"] and listed["monetary"].tolist() == [15_000.0]
    assert 'download="customers_other_2025-09-30.csv"' in uploaded.download.value
    assert "Download Other (1 customers, CSV)" in uploaded.download.value
    intro, table = (o["data"]["text/html"] for o in uploaded.preview.outputs)
    assert "First 1 of the 1 customers" in intro and ">B</td>" in table


def test_broken_upload_lists_every_problem_and_no_results():
    app = RfmExplorer(lang="en", user="hr.li", hr_users="hr.li")
    _upload(app, "broken_orders.csv", BROKEN.read_bytes())
    assert app.show() is False
    (page,) = _html(app)
    assert 'class="pb-error"' in page and "Traceback" not in page
    # data/examples/README.md: one row per problem, ten problems
    assert page.split("<tbody>")[1].count("<tr>") == 10
    assert "broken_orders.csv, row 3, column order_date" in page  # the uploaded name, not a temp path
    assert "playbook_upload_" not in page
    assert app.segment.options == () and app.lists_box.layout.display == "none"


def test_bad_as_of_is_a_readable_message():
    app = RfmExplorer(lang="en", user="hr.li", hr_users="hr.li")  # the sample: its first order is on 2023-01-02
    app.as_of.value = datetime.date(2020, 1, 1)
    assert app.show() is False
    (page,) = _html(app)
    assert "the as-of date 2020-01-01 is before the first order (2023-01-02)" in page


def test_use_sample_clears_the_upload(uploaded):
    uploaded.use_sample.click()
    assert uploaded.upload.value == ()
    assert "the data folder sample" in uploaded.source.value


def test_chinese_form():
    app = RfmExplorer(lang="zh", user="hr.li", hr_users="hr.li")
    _upload(app, "orders.csv", ORDERS.encode())
    app.as_of.value = datetime.date(2025, 9, 30)
    app.segment_map.value = "domain"
    assert (app.button.description, app.window_days.description, app.upload.description) == (
        "显示", "统计窗口（天）", "上传订单")
    assert app.show() is True
    assert app.segment.options[0] == ("高价值客户 (1)", "high_value")
    assert any("<h3>各分群行动方案</h3>" in p for p in _html(app))
    assert "下载高价值客户名单（1 位客户，CSV）" in app.download.value


# --------------------------------------------------------------------------- whose customers

def test_the_data_folder_shows_the_customers_of_the_reps_the_user_may_see():
    app = RfmExplorer(lang="en", user="R004", hr_users=())
    assert app.show() is True
    assert set(app.frames["customers"]["rep_id"]) == {"R004"}
    assert int(app.frames["summary"]["customers"].sum()) == len(app.frames["customers"])  # totals: the rows shown
    boss = RfmExplorer(lang="en", user="R008", hr_users=())
    assert boss.show() is True
    assert set(boss.frames["customers"]["rep_id"]) == {"R008", "R009", "R010", "R011", "R012", "R013", "R014",
                                                       "R024"}
    hr = RfmExplorer(lang="en", user="hr.li", hr_users="hr.li")
    assert hr.show() is True
    scores = hr.frames["customers"].set_index("customer_id")
    mine = app.frames["customers"].set_index("customer_id")
    pd.testing.assert_frame_equal(mine, scores.loc[mine.index])  # the same scores as HR sees for them


def test_without_a_login_only_an_upload_is_segmented():
    app = RfmExplorer(lang="zh", user="")
    assert app.show() is False and app.frames == {}
    (page,) = _html(app)
    assert "请上传您自己的订单导出文件" in page and "R00" not in page
    _upload(app, "mine.csv", b"order_id,customer_id,rep_id,order_date,amount\nO1,C1,X9,2025-01-02,100\n")
    assert app.show() is True and len(app.frames["customers"]) == 1


# --------------------------------------------------------------------------- in the browser

server = served_behind_proxy(APP, hr="hr.li")  # who is logged in: the proxy's header


@pytest.fixture
def page(browser):
    """A page of HR (every rep's customers), as the proxy sends it."""
    return page_as(browser, "hr.li")


def _open(page, server: str, lang: str) -> None:
    page.goto(f"{server}/?lang={lang}", timeout=90000)
    page.get_by_role("button", name=t("app.show", lang)).wait_for(timeout=60000)


def _choose_file(page, lang: str, path) -> None:
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name=t("app_rfm.upload", lang)).click()
    chooser.value.set_files(str(path))
    page.get_by_text(t("app_rfm.source_upload", lang, name=path.name)).wait_for(timeout=30000)


class TestInBrowser:
    """One Voila server for the app; each test opens its own page (own kernel)."""

    pytestmark = [pytest.mark.slow, pytest.mark.xdist_group(name="voila_rfm_explorer")]

    def test_sample_segments_and_download(self, server, page, screenshot, tmp_path):
        expected = RfmExplorer(lang="en", user="hr.li", hr_users="hr.li")  # the same form in Python, as the page
        assert expected.show()
        expected.segment.value = "lost"
        _open(page, server, "en")
        page.get_by_role("button", name="Show").click()
        page.locator(".pb-download").wait_for(timeout=60000)
        assert page.get_by_role("heading", name="Segments").is_visible()
        assert page.locator(".jp-OutputArea-output img").count() == 1  # the segment chart
        page.get_by_label("Segment", exact=True).select_option(label=expected.segment.label)
        link = page.get_by_role("link", name=t("app_rfm.download", "en", segment="Lost",
                                                 n=len(expected._lists["lost"])))
        with page.expect_download() as download:
            link.click()
        assert download.value.suggested_filename == "customers_lost_2025-09-30.csv"
        saved = tmp_path / "lost.csv"
        download.value.save_as(saved)
        assert saved.read_bytes() == expected.list_csv()  # UTF-8 with BOM, every customer of the segment
        assert set(pd.read_csv(saved, encoding="utf-8-sig")["segment"]) == {"lost"}
        assert "Traceback" not in page.content() and "import" not in page.inner_text("body")
        screenshot(page)

    def test_broken_upload_shows_problem_list(self, server, page, screenshot):
        _open(page, server, "en")
        _choose_file(page, "en", BROKEN)
        page.get_by_role("button", name="Show").click()
        error = page.locator(".pb-error")
        error.wait_for(timeout=60000)
        assert error.locator("tbody tr").count() == 10
        assert "row 3, column order_date: '2025-02-30' is not a date" in error.inner_text()
        assert page.locator(".pb-download").count() == 0
        assert "Traceback" not in page.content()
        screenshot(page)

    def test_chinese_upload_with_column_map(self, server, page, screenshot):
        _open(page, server, "zh")
        _choose_file(page, "zh", paths.EXAMPLES_DIR / "chinese_crm_orders.xlsx")
        page.get_by_label(t("app_rfm.column_map", "zh")).select_option(label="chinese_crm")
        page.get_by_label(t("app_rfm.segment_map", "zh")).select_option(
            label=present_rfm.segment_map_title("domain", lang="zh"))
        page.get_by_label(t("app_rfm.tiers", "zh")).select_option(index=1)  # case: 100k / 500k
        page.get_by_role("button", name="显示").click()
        page.locator(".pb-download").wait_for(timeout=60000)
        body = page.inner_text("body")
        for label in ("客户分群", "各分群行动方案", "各消费分层服务模式", "高价值客户", "战略客户"):
            assert label in body
        assert "数据：chinese_crm_orders.xlsx" in body
        assert page.locator(".pb-download").inner_text().startswith("下载")
        assert "Traceback" not in page.content()
        screenshot(page)
