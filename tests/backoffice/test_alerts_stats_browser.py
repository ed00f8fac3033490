"""The alerts and statistics pages in Chromium: a paper-out report on the broker appears on an open alerts
page without a reload and an operator acknowledges it; a hall manager reads the counts and downloads the CSV."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from backoffice.store import FleetStore
from tests.backoffice import reports
from tests.backoffice.served import ThreadedConsole
from tests.fleet.mqtt_helpers import connected_client, disconnect_client
from wire import codec, topics


@pytest.fixture
def kiosk(console_broker):
    c = connected_client(console_broker.port, "fake-kiosk")
    yield c
    disconnect_client(c)


def send(client, kiosk_id, which, msg):
    client.publish(topics.topic(kiosk_id, which), codec.dump(msg.as_dict()), qos=1).wait_for_publish(5)


def test_a_paper_out_appears_live_and_an_operator_acknowledges_it(tmp_path, console_broker, kiosk, page):
    console = ThreadedConsole(tmp_path, console_broker.port)
    try:
        send(kiosk, "K-7", topics.BIRTH, reports.birth("K-7"))
        console.sign_in(page, "/alerts")
        assert page.locator("tr.alert").count() == 0
        send(kiosk, "K-7", topics.HEALTH, reports.health(paper="paper_out"))
        row = page.locator('tr.alert[data-kiosk="K-7"][data-rule="paper_out"]')
        row.wait_for()  # no reload: the page's poll brought it
        assert "缺纸" in row.inner_text() and "未处理" in row.inner_text()
        row.locator('[data-test="ack"]').click()
        page.wait_for_load_state()
        row = page.locator('tr.alert[data-kiosk="K-7"]')
        assert "已确认" in row.inner_text() and "op1" in row.inner_text()
        assert row.locator('[data-test="ack"]').count() == 0
        send(kiosk, "K-7", topics.HEALTH, reports.health())  # paper refilled: it clears itself, live
        page.locator('tr.alert.status-cleared[data-kiosk="K-7"]').wait_for()
    finally:
        console.stop()


def test_a_hall_manager_reads_the_counts_and_downloads_the_csv(tmp_path, db_engine, page):
    store, tz = FleetStore(db_engine), ZoneInfo("Asia/Shanghai")
    day = dt.datetime.now(tz).date()
    store.birth("K-1", reports.birth("K-1", hall="市民中心"))
    for i, result in enumerate(("completed", "completed", "completed", "failed")):
        at = dt.datetime.combine(day, dt.time(10, i), tz).timestamp()
        store.event("K-1", reports.visit("social_security", result, reason="backend_unavailable" if
                                         result == "failed" else "", pages=2, at=at))
    console = ThreadedConsole(tmp_path, None, engine=db_engine, user=("m1", "viewer"))
    try:
        console.sign_in(page, "/stats?lang=en")
        row = page.locator('#items tr[data-flow="social_security"] td')
        assert row.all_inner_texts()[:4] == ["social_security", "4", "3", "1"]
        assert "75.0%" in row.all_inner_texts()
        assert "backend_unavailable" in page.locator("#reasons").inner_text()
        with page.expect_download() as download:
            page.click('[data-test="csv"]')
        data = open(download.value.path(), "rb").read()
    finally:
        console.stop()
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Hall,Day,Item,Visits")
    assert lines[1].startswith(f"市民中心,{day.isoformat()},social_security,4,3,1,0,75.0%,25.0%,8")
