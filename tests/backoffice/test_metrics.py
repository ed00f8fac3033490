"""/metrics: the fleet as a few series whose number does not grow with the fleet, never one per kiosk;
answered on loopback, or to an API token with the viewer role."""
from __future__ import annotations

import types

import pytest
from aiohttp import ClientSession
from aiohttp.test_utils import make_mocked_request

from backoffice import metrics
from backoffice.auth.tokens import Tokens
from backoffice.store import FleetStore
from tests.backoffice import reports
from tests.backoffice.served import start_console
from tests.fleet.mqtt_helpers import connected_client, disconnect_client

HALLS = ("市民中心", "社区中心", "银行网点")


def fleet(engine, n: int, prefix: str) -> None:
    """n kiosks over three halls, every other one paper-out (degraded), each with one visit."""
    store = FleetStore(engine)
    for i in range(n):
        k = f"{prefix}{i:03d}"
        store.birth(k, reports.birth(k, hall=HALLS[i % 3]))
        state = "degraded" if i % 2 else "in_service"
        store.state(k, reports.state(state))
        store.health(k, reports.health(paper="paper_out" if i % 2 else None, state=state))
        store.event(k, reports.visit("social_security", at=1000.0 + i))


def series(text: str) -> list[str]:
    return [line.rsplit(" ", 1)[0] for line in text.splitlines() if line and not line.startswith("#")]


async def scrape(url: str, **headers) -> tuple[int, str]:
    async with ClientSession() as http:
        async with http.get(f"{url}/metrics", headers=headers) as r:
            return r.status, await r.text()


async def test_fifty_kiosks_are_as_many_series_as_six_and_none_is_named(tmp_path, db_engine):
    console = await start_console(tmp_path, None, engine=db_engine)
    try:
        fleet(db_engine, 6, "S-")
        _, small = await scrape(console.url)
        fleet(db_engine, 50, "L-")
        status, large = await scrape(console.url)
    finally:
        await console.stop()
    assert status == 200
    assert series(small) == series(large)
    assert 'backoffice_kiosks{state="degraded"} 28' in large  # 3 of 6 and 25 of 50
    assert 'backoffice_hall_kiosks{hall="市民中心",state="in_service"}' in large
    assert 'backoffice_alerts_open{rule="paper_out"} 0' in large  # written to the store directly: no evaluator
    assert "# TYPE backoffice_ingest_bad_reports_total counter" in large
    assert 'backoffice_visits_total{item="social_security"} 56' in large
    assert not any(k in large for k in ("S-0", "L-0"))


async def test_a_scrape_sends_an_api_token_with_the_viewer_role(tmp_path, db_engine):
    """The token Prometheus sends is an ordinary API token: unknown or revoked ones are refused."""
    tokens = Tokens(db_engine)
    token = tokens.issue("prometheus", "viewer", actor="test")
    console = await start_console(tmp_path, None, engine=db_engine)
    try:
        assert (await scrape(console.url, Authorization="Bearer wrong"))[0] == 401
        status, text = await scrape(console.url, Authorization=f"Bearer {token}")
        assert status == 200 and "backoffice_kiosks" in text
        tokens.revoke("prometheus", actor="test")
        assert (await scrape(console.url, Authorization=f"Bearer {token}"))[0] == 401
    finally:
        await console.stop()


def test_without_a_token_only_loopback_is_answered():
    for peer, allowed in ((("10.1.2.3", 40000), False), (("127.0.0.1", 40000), True), (("::1", 40000, 0, 0), True)):
        transport = types.SimpleNamespace(get_extra_info=lambda name, default=None, p=peer:
                                          p if name == "peername" else default)
        request = make_mocked_request("GET", "/metrics", app={}, transport=transport)
        if allowed:
            metrics._admit(request)
        else:
            with pytest.raises(metrics.web.HTTPForbidden):
                metrics._admit(request)


def test_label_values_are_escaped():
    out = metrics.Exposition()
    out.sample("x", {"hall": 'a"b\\c\nd'}, 1)
    assert out.text() == 'x{hall="a\\"b\\\\c\\nd"} 1\n'


def test_backoffice_serve_counts_an_alert_a_kiosk_raised(console, console_broker):
    """The real `backoffice serve` process: a paper-out published to its broker shows in /metrics."""
    import time
    import urllib.request

    from wire import codec, topics
    kiosk = connected_client(console_broker.port, "fake-kiosk")
    try:
        for which, msg in ((topics.BIRTH, reports.birth("K-1")), (topics.HEALTH, reports.health(paper="paper_out"))):
            kiosk.publish(topics.topic("K-1", which), codec.dump(msg.as_dict()), qos=1).wait_for_publish(5)
        deadline = time.monotonic() + 15
        while True:
            with urllib.request.urlopen(f"{console.url}/metrics", timeout=5) as r:
                text = r.read().decode()
            if 'backoffice_alerts_open{rule="paper_out"} 1' in text or time.monotonic() > deadline:
                break
            time.sleep(0.1)  # polling another process, bounded by the deadline
    finally:
        disconnect_client(kiosk)
    assert 'backoffice_alerts_open{rule="paper_out"} 1' in text
    assert 'backoffice_ingest_reports_total{result="stored"} 2' in text


def test_a_fleet_inventing_hall_names_cannot_flood_the_scrape(monkeypatch):
    monkeypatch.setattr(metrics, "MAX_LABELS", 2)
    fleet = {("A", "in_service"): 5, ("B", "in_service"): 4, ("B", "degraded"): 1, ("C", "in_service"): 1,
             ("D", "degraded"): 1}
    capped = metrics._capped(fleet, lambda k: k[0], lambda k: (metrics.OTHER, k[1]))
    assert capped == {("A", "in_service"): 5, ("B", "in_service"): 4, ("B", "degraded"): 1,
                      ("(other)", "in_service"): 1, ("(other)", "degraded"): 1}
