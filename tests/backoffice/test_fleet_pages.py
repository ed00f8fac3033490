"""The fleet and kiosk pages in Chromium, as an operator uses them: counts, filters, search, live rows.

The console runs in-process (tests/backoffice/live_console.py) with a viewer account that signs in through /login;
the reports come through the real broker and ingest.
"""
import time

from tests.backoffice.fleet_seed import health, seed
from tests.backoffice.live_console import live  # noqa: F401  (fixture)
from tests.fleet.mqtt_helpers import connected_client, disconnect_client
from wire import messages, topics


def shown_ids(page):
    return page.eval_on_selector_all("#rows tr[data-id]", "trs => trs.map(t => t.dataset.id)")


HOSTILE = '<img src=x onerror="window.pwned=1">'  # a kiosk's identity is input from the field, not markup


def test_fleet_page_counts_filters_and_search_in_chinese(live, page):
    seed(live.store, 39)
    live.store.birth("K-00040", messages.Birth("K-00040", "b", 1, {}, [], 1, False, time.time(),
                                               {"name": HOSTILE, "hall": HOSTILE, "region": "西城区"}, 60.0))
    live.settle()
    live.sign_in(page, "/fleet")
    page.wait_for_selector("#rows tr[data-id]")
    page.fill("[data-test=search]", "onerror")
    page.wait_for_function("document.querySelectorAll('#rows tr[data-id]').length === 1")
    assert HOSTILE in page.inner_text("#rows tr[data-id='K-00040']")  # shown as text
    assert page.locator("img").count() == 0 and page.evaluate("window.pwned") is None
    page.fill("[data-test=search]", "")
    assert page.inner_text("[data-count='']") == "40"
    assert page.inner_text("[data-count='offline']") == "2"
    assert page.inner_text("button[data-state='offline']").endswith("离线")
    assert "K-00001" in shown_ids(page) and page.inner_text("th[data-sort='state']") == "状态"
    page.select_option("[data-test=paper]", "out")
    page.wait_for_function("document.querySelectorAll('#rows tr[data-id]').length === 2")
    assert shown_ids(page) == ["K-00007", "K-00027"]  # grouped by region and hall, both in 东城政务服务中心
    row = page.inner_text("#rows tr[data-id='K-00007']")  # drawn by fleet.js: the device by its name, not its id
    assert "凭条打印机缺纸" in row and "receipt_printer" not in row
    assert "paper=out" in page.url  # the filter is in the address, so it can be shared
    page.click("[data-test=clear]")
    page.fill("[data-test=search]", "金融街")
    page.wait_for_function("document.querySelectorAll('#rows tr[data-id]').length < 40")
    assert shown_ids(page) and all("金融街" in page.inner_text(f"#rows tr[data-id='{k}']") for k in shown_ids(page))
    page.fill("[data-test=search]", "")
    page.click("th[data-sort='state']")  # worst first: the lost ones, then the offline ones
    page.wait_for_function("document.querySelector('#rows tr[data-id]').dataset.state === 'lost'")
    assert [page.get_attribute(f"#rows tr[data-id='{k}']", "data-state") for k in shown_ids(page)[:4]] == [
        "lost", "lost", "offline", "offline"]
    page.click("button[data-state='lost']")
    page.wait_for_function("document.querySelectorAll('#rows tr[data-id]').length === 2")
    assert set(shown_ids(page)) == {"K-00013", "K-00033"}


def test_a_report_through_the_broker_changes_the_row_without_a_reload(live, page, console_broker):
    seed(live.store, 5)
    live.settle()
    live.sign_in(page, "/fleet")
    page.wait_for_selector("[data-live='1']")
    page.evaluate("window.notReloaded = true")
    degraded = int(page.inner_text("[data-count='degraded']"))
    assert page.get_attribute("#rows tr[data-id='K-00001']", "data-state") == "in_service"
    kiosk = connected_client(console_broker.port, "K-00001")
    try:
        kiosk.publish(topics.topic("K-00001", topics.HEALTH), health("paper_out", time.time(), 2, 9999.0).encode(),
                      qos=1).wait_for_publish(5)
        page.wait_for_selector("#rows tr[data-id='K-00001'][data-state='degraded']")
    finally:
        disconnect_client(kiosk)
    assert "凭条打印机缺纸" in page.inner_text("#rows tr[data-id='K-00001']")
    assert page.evaluate("window.notReloaded") is True
    assert page.inner_text("[data-count='degraded']") == str(degraded + 1)


def test_kiosk_page_shows_identity_state_charts_and_timeline_in_english(live, page):
    seed(live.store, 8, history_for=("K-00007",))
    live.settle()
    live.sign_in(page, "/fleet?lang=en")
    page.click("a[href='/kiosks/K-00007']")
    page.wait_for_selector("[data-test=identity]")
    assert page.inner_text("[data-field=maintainer_phone]") == "010-5555-0100"
    assert page.inner_text("[data-field=asset_number]") == "ZC-000007"
    assert page.inner_text("[data-test=kiosk-state]") == "Degraded"
    assert "Receipt printer: paper out" in page.inner_text("[data-test=reasons]")
    assert page.inner_text("[data-test=flows-hash]") == "3f9a1c2b7d4e"
    for chart in ("paper", "memory", "latency"):
        assert page.locator(f"[data-test=chart-{chart}] svg path").count() >= 1
    assert page.locator("[data-test=chart-visits] svg rect[height]").count() > 2
    kinds = page.eval_on_selector_all("[data-test=timeline] li[data-kind]", "l => l.map(e => e.dataset.kind)")
    assert {"fault", "recovery", "connect"} <= set(kinds)
    assert "Fault" in page.inner_text("[data-test=timeline]")
    live.store.health("K-00007", health("", time.time(), 2, 99999.0))  # paper refilled: the page follows
    page.wait_for_selector("[data-test=kiosk-state][data-state=in_service]")
    assert page.inner_text("[data-test=kiosk-state]") == "In service" and page.inner_text("[data-test=reasons]") == "—"
