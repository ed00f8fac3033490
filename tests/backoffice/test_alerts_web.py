"""The alerts API and forms over HTTP: a paper-out report on the broker becomes an alert an operator can
acknowledge (audited), a viewer cannot; maintenance windows through the API suppress a hall."""
from __future__ import annotations

import re
import time

import pytest

from backoffice.alerts import pages
from backoffice.keys import ALERTS
from tests.backoffice import reports
from tests.backoffice.served import start_console
from tests.backoffice.sinks import until
from wire import codec, topics

pytestmark = pytest.mark.asyncio


@pytest.fixture
def audited(monkeypatch):
    calls = []
    monkeypatch.setattr(pages.audit, "record", lambda engine, actor, action, target="", detail=None:
                        action.startswith(("login", "user.")) or calls.append((actor, action, target, detail)))
    return calls


def send(client, kiosk_id, which, msg):
    client.publish(topics.topic(kiosk_id, which), codec.dump(msg.as_dict()), qos=1).wait_for_publish(5)


async def test_an_operator_acknowledges_a_paper_out_alert_and_it_is_audited(tmp_path, broker, kiosk, audited):
    console = await start_console(tmp_path, broker.port)
    try:
        send(kiosk, "K-1", topics.BIRTH, reports.birth("K-1"))
        send(kiosk, "K-1", topics.HEALTH, reports.health(paper="paper_out"))
        async with console.session() as http:
            async def open_alerts():
                async with http.get(f"{console.url}/api/v1/alerts?status=open") as r:
                    assert r.status == 200
                    return (await r.json())["alerts"]
            await until(lambda: console.ingest.counts["stored"] >= 2)
            (alert,) = await open_alerts()  # judged in the same step that stored the report
            assert (alert["kiosk_id"], alert["rule"], alert["kind"], alert["hall"]) == \
                ("K-1", "paper_out", "condition", "市民中心")
            async with http.post(f"{console.url}/api/v1/alerts/{alert['id']}/ack") as r:
                assert r.status == 200
                assert (await r.json())["alert"]["acked_by"] == "op1"
            async with http.post(f"{console.url}/api/v1/alerts/{alert['id']}/ack") as r:
                assert r.status == 409
            assert await open_alerts() == []
            async with http.get(f"{console.url}/alerts/rows?status=acknowledged") as r:
                tag = r.headers["ETag"]
                assert "K-1" in await r.text()
            async with http.get(f"{console.url}/alerts/rows?status=acknowledged",
                                headers={"If-None-Match": tag}) as r:
                assert r.status == 304  # nothing changed: the page's poll costs nothing more
    finally:
        await console.stop()
    assert audited == [("op1", "alert.acknowledge", f"alert/{alert['id']}", {"kiosk": "K-1", "rule": "paper_out"})]


async def test_a_viewer_sees_alerts_but_cannot_acknowledge_them(tmp_path, broker, kiosk, audited):
    console = await start_console(tmp_path, broker.port, user=("v1", "viewer"))
    try:
        send(kiosk, "K-1", topics.BIRTH, reports.birth("K-1"))
        send(kiosk, "K-1", topics.HEALTH, reports.health(paper="paper_out"))
        await until(lambda: console.ingest.counts["stored"] >= 2)
        async with console.session() as http:
            async with http.get(f"{console.url}/alerts") as r:
                page = await r.text()
                assert r.status == 200 and 'data-rule="paper_out"' in page and 'data-test="ack"' not in page
            (alert,) = (await (await http.get(f"{console.url}/api/v1/alerts")).json())["alerts"]
            async with http.post(f"{console.url}/api/v1/alerts/{alert['id']}/ack") as r:
                assert r.status == 403
    finally:
        await console.stop()
    assert audited == []


async def test_a_window_set_through_the_api_silences_a_hall(tmp_path, broker, kiosk, audited):
    console = await start_console(tmp_path, broker.port)
    try:
        async with console.session() as http:
            async with http.post(f"{console.url}/api/v1/maintenance-windows",
                                 json={"hall": "市民中心", "ends_at": time.time() + 3600, "reason": "换纸"}) as r:
                assert r.status == 201
            async with http.post(f"{console.url}/api/v1/maintenance-windows", json={"ends_at": "soon"}) as r:
                assert r.status == 400
            send(kiosk, "K-1", topics.BIRTH, reports.birth("K-1"))
            send(kiosk, "K-2", topics.BIRTH, reports.birth("K-2", hall="社区中心"))
            for k in ("K-1", "K-2"):
                send(kiosk, k, topics.HEALTH, reports.health(paper="paper_out"))
            await until(lambda: console.ingest.counts["stored"] >= 4)
            alerts = (await (await http.get(f"{console.url}/api/v1/alerts")).json())["alerts"]
            assert [a["kiosk_id"] for a in alerts] == ["K-2"]
    finally:
        await console.stop()
    assert [a[1] for a in audited] == ["maintenance_window.add"]


async def test_an_operator_sets_and_removes_a_window_on_the_page(tmp_path, audited):
    console = await start_console(tmp_path, None)
    try:
        async with console.session() as http:
            form = {"csrf": "", "kiosk": "K-9", "hall": "", "starts": "", "ends": "2999-01-01T08:30", "reason": "换纸"}
            async with http.post(f"{console.url}/alerts/windows", data=form) as r:
                assert r.status == 200 and "K-9" in await r.text()  # redirected back to the page, which lists it
            async with http.post(f"{console.url}/alerts/windows", data={**form, "ends": "tomorrow"}) as r:
                assert r.status == 400 and "2025-05-01T08:30" in await r.text()
            (window,) = (await (await http.get(f"{console.url}/api/v1/maintenance-windows")).json())["windows"]
            async with http.post(f"{console.url}/alerts/windows/{window['id']}/delete", data={"csrf": ""}) as r:
                assert r.status == 200
            assert (await (await http.get(f"{console.url}/api/v1/maintenance-windows")).json())["windows"] == []
    finally:
        await console.stop()
    assert [a[1] for a in audited] == ["maintenance_window.add", "maintenance_window.delete"]


async def test_the_timer_notices_a_kiosk_that_went_silent(tmp_path, broker, kiosk):
    """The whole loop at a short scale: offline after 1.2 s of silence, judged by the running service's timer
    (which also waits for ingest to be connected), cleared by the kiosk's next report."""
    console = await start_console(tmp_path, broker.port,
                                  config={"alerts": {"offline_minutes": 0.02, "evaluate_interval_s": 1}})
    store = console.app[ALERTS].store
    try:
        send(kiosk, "K-1", topics.BIRTH, reports.birth("K-1"))
        send(kiosk, "K-1", topics.HEALTH, reports.health())
        await until(lambda: store.alerts(rule="offline", status="open"), timeout=20)
        send(kiosk, "K-1", topics.HEALTH, reports.health())
        await until(lambda: store.alerts(rule="offline", status="cleared"))
    finally:
        await console.stop()


async def test_the_page_filters_by_hall_rule_and_status(tmp_path, broker, kiosk):
    console = await start_console(tmp_path, broker.port, user=("v1", "viewer"))
    try:
        send(kiosk, "K-1", topics.BIRTH, reports.birth("K-1", hall="市民中心"))
        send(kiosk, "K-2", topics.BIRTH, reports.birth("K-2", hall="社区中心"))
        send(kiosk, "K-1", topics.HEALTH, reports.health(paper="paper_out"))
        send(kiosk, "K-2", topics.HEALTH, reports.health(paper="paper_low", reader="offline"))
        await until(lambda: console.ingest.counts["stored"] >= 4)
        async with console.session() as http:
            async def shown(query):
                async with http.get(f"{console.url}/alerts?{query}") as r:
                    page = await r.text()
                return sorted(re.findall(r'data-kiosk="([^"]+)"[^>]*>\s*<td>[^<]*</td>\s*<td>[^<]*</td>\s*<td>([^<]+)',
                                         page))
            assert len(await shown("")) == 3
            assert await shown("rule=paper_out") == [("K-1", "缺纸")]
            assert await shown("hall=社区中心&lang=en") == [("K-2", "Paper low"), ("K-2", "Reader error")]
            assert await shown("status=cleared") == []
            assert len(await shown("rule=no_such_rule")) == 3  # an unknown filter value filters nothing
    finally:
        await console.stop()
