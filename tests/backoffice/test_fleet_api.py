"""The fleet's JSON API and live feed, served for real: what another system or the page's script receives."""
import json
import time
import urllib.error
import urllib.request
from urllib.parse import urlencode

import pytest

from backoffice.fleetstate import Rules
from backoffice.fleetview import FleetView
from backoffice.keys import FLEET
from backoffice.store import FleetStore
from tests.backoffice.fleet_seed import health, seed
from tests.backoffice.live_console import LiveConsole, live  # noqa: F401  (fixture)
from wire import messages


def opened(c, path, timeout=10):
    """GET as another system does: with the console's API token."""
    request = urllib.request.Request(c.url + path, headers={"Authorization": f"Bearer {c.token}"})
    return urllib.request.urlopen(request, timeout=timeout)


def get(c, path):
    with opened(c, path) as r:
        return json.loads(r.read())


def ids(c, query):
    return [k["id"] for k in get(c, "/api/v1/kiosks" + query)["kiosks"]]


def test_without_a_signed_in_user_the_api_and_pages_refuse(tmp_path, console_broker):
    c = LiveConsole(tmp_path, console_broker.port).start(account=False)
    try:
        for path in ("/api/v1/kiosks", "/api/v1/kiosks/K-1/history"):
            with pytest.raises(urllib.error.HTTPError) as err:
                urllib.request.urlopen(c.url + path, timeout=5)
            assert err.value.code == 401
        for path in ("/fleet", "/fleet/events", "/kiosks/K-1"):  # pages send the browser to sign in
            with urllib.request.urlopen(c.url + path, timeout=5) as r:
                assert r.url.startswith(c.url + "/login?next=" + path)
    finally:
        c.stop()


def test_filters_as_query_parameters(live):
    seed(live.store, 40)
    live.settle()
    everyone = get(live, "/api/v1/kiosks")
    assert len(everyone["kiosks"]) == 40 and sum(everyone["counts"].values()) == 40
    # the seeded mix (tests/backoffice/fleet_seed.py MIX): i % 20 == 7 paper out, 3 paper low, 11 offline 3 h
    assert ids(live, "?paper=out") == ["K-00007", "K-00027"]
    assert ids(live, "?paper=any") == ["K-00003", "K-00007", "K-00023", "K-00027"]
    assert ids(live, "?state=offline") == ["K-00011", "K-00031"]
    assert ids(live, "?offline_min=120") == ["K-00011", "K-00031"]
    assert ids(live, "?offline_min=240") == []
    assert ids(live, "?state=out_of_service,maintenance") == ["K-00015", "K-00017", "K-00035", "K-00037"]
    assert ids(live, "?item=queue") == ["K-00007", "K-00027"]
    assert all(int(k[2:]) % 5 == 0 for k in ids(live, "?version=1.4.1"))
    street = ids(live, "?" + urlencode({"q": "金融街"}))
    assert street and street == ids(live, "?" + urlencode({"hall": "金融街24小时自助区"}))
    with pytest.raises(urllib.error.HTTPError) as err:
        get(live, "/api/v1/kiosks?state=nonsense")
    assert err.value.code == 400


def test_a_kiosk_its_history_and_its_timeline(live):
    seed(live.store, 8, history_for=("K-00007",))
    k = get(live, "/api/v1/kiosks/K-00007")
    assert k["identity"]["maintainer_phone"] == "010-5555-0100" and k["state"] == "degraded"
    assert "paper_out:receipt_printer" in k["reasons"] and k["versions"]["flows"] == "3f9a1c2b7d4e"
    samples = get(live, "/api/v1/kiosks/K-00007/history?since=0")["samples"]
    assert len(samples) > 200 and {"paper", "mem_available_mib", "latency_ms", "items", "restarts"} <= set(samples[0])
    kinds = [e["kind"] for e in get(live, "/api/v1/kiosks/K-00007/events")["timeline"]]
    assert {"fault", "recovery", "connect"} <= set(kinds)
    assert get(live, "/api/v1/kiosks/K-00001")["visit"] == {"item": "social_security", "step": "read_id_card"}
    assert get(live, "/api/v1/kiosks/K-00002")["visit"] is None
    with pytest.raises(urllib.error.HTTPError) as err:
        get(live, "/api/v1/kiosks/K-99999")
    assert err.value.code == 404


def test_the_event_stream_carries_a_stored_change(live):
    seed(live.store, 3)
    live.settle()
    view = live.server.runner.app[FLEET]
    stream = opened(live, f"/fleet/events?since={view.version}")
    assert stream.readline() == b": hello\n"
    live.store.health("K-00001", health("paper_out", time.time(), 2, 9999.0))
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        line = stream.readline()
        if line.startswith(b"data: "):
            rows = json.loads(line[6:])["rows"]
            break
    else:
        raise AssertionError("no rows event")
    assert [(r["id"], r["state"], r["paper"]) for r in rows] == [("K-00001", "degraded", "out")]
    stream.close()


async def test_silence_turns_a_row_offline_without_any_write(db_engine):
    clock = [1000.0]
    store = FleetStore(db_engine)
    store.clock = lambda: clock[0]
    store.birth("K-1", messages.Birth("K-1", "b", 1, {}, [], 1, False, 1.0, {}, 60.0))
    store.state("K-1", messages.State("in_service", 1, 1.0))
    view = FleetView(store, Rules(60, 100), clock=lambda: clock[0])
    await view.start()
    try:
        assert view.rows["K-1"]["state"] == "in_service"
        version = view.version
        clock[0] = 1120.0
        await view.refresh(poll=False)
        assert view.rows["K-1"]["state"] == "in_service" and view.version == version  # at the limit: not yet
        clock[0] = 1120.5
        await view.refresh(poll=False)
        assert view.rows["K-1"]["state"] == "offline"
        new, rows = view.since(version)
        assert new == version + 1 and [r["id"] for r in rows] == ["K-1"]
    finally:
        await view.stop()


async def test_another_workers_write_reaches_this_view_by_polling(db_engine):
    clock = [1000.0]
    mine, theirs = FleetStore(db_engine), FleetStore(db_engine)  # two processes' stores on one database
    for s in (mine, theirs):
        s.clock = lambda: clock[0]
    view = FleetView(mine, Rules(), clock=lambda: clock[0])
    await view.start()
    try:
        theirs.state("K-9", messages.State("in_service", 1, 1.0))
        await view.refresh(poll=False)
        assert "K-9" not in view.rows  # this process was not told
        await view.refresh(poll=True)
        assert view.rows["K-9"]["state"] == "in_service"
    finally:
        await view.stop()


def test_a_change_log_that_no_longer_reaches_back_asks_for_a_resync():
    view = FleetView(None, Rules())
    view.version = 10
    assert view.since(10) == (10, [])
    assert view.since(3) == (10, None)


def test_the_fleet_page_reads_filters_and_pages_without_script(live):
    seed(live.store, 150)
    live.settle()
    with opened(live, "/fleet?lang=en&paper=out") as r:
        page = r.read().decode()
    assert page.count('<tr data-id="') == 8 and "K-00007" in page and "paper out" in page  # i % 20 == 7
    with opened(live, "/fleet?page=2") as r:
        second = r.read().decode()
    assert second.count('<tr data-id="') == 50 and "第 101–150 台，共 150 台" in second
