"""Backend calls over real HTTP on 127.0.0.1: every bad reply is a typed outcome."""
import asyncio

import pytest
from aiohttp import web

from kiosk.backend.http import HttpServices
from kiosk.config import ServiceConfig
from kiosk.flow.model import Catalog

CATALOG = Catalog.model_validate({"format": 2, "services": {"svc": {"operations": {
    "ok": {"path": "/ok"}, "missing": {"path": "/missing"}, "boom": {"path": "/boom"},
    "slow": {"path": "/slow"}, "garbage": {"path": "/garbage"}, "huge": {"path": "/huge", "max_reply_kb": 1},
    "shape": {"path": "/shape"}, "echo": {"path": "/echo"}}}}})


@pytest.fixture
async def server():
    release = asyncio.Event()
    seen = {}

    async def ok(request):
        return web.json_response({"ok": True, "data": {"months": 12}})

    async def missing(request):
        return web.json_response({"ok": False, "error": {"code": "not_found"}}, status=404)

    async def boom(request):
        return web.Response(status=503)

    async def slow(request):
        await release.wait()
        return web.json_response({"ok": True, "data": {}})

    async def garbage(request):
        return web.Response(body=b"\x00<html>oops")

    async def huge(request):
        return web.json_response({"ok": True, "data": {"x": "y" * 5000}})

    async def shape(request):
        return web.json_response([1, 2, 3])

    async def echo(request):
        seen["auth"] = request.headers.get("Authorization")
        seen["idem"] = request.headers.get("Idempotency-Key")
        seen["body"] = await request.json()
        return web.json_response({"ok": True, "data": {}})

    app = web.Application()
    for name, h in [("ok", ok), ("missing", missing), ("boom", boom), ("slow", slow), ("garbage", garbage),
                    ("huge", huge), ("shape", shape), ("echo", echo)]:
        app.router.add_post(f"/{name}", h)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}", seen
    release.set()
    await runner.cleanup()


@pytest.fixture
async def services(server, monkeypatch):
    url, _ = server
    monkeypatch.setenv("SVC_TOKEN", "t0ken")
    s = HttpServices(CATALOG, {"svc": ServiceConfig(base_url=url, timeout_s=5, token_env="SVC_TOKEN")}, kiosk_id="K1")
    yield s
    await s.close()


@pytest.mark.parametrize("op, outcome", [
    ("ok", "ok"), ("missing", "backend_error"), ("boom", "unavailable"), ("garbage", "error"),
    ("huge", "error"), ("shape", "error"),
])
async def test_replies_become_outcomes(services, op, outcome):
    got, data, _ = await services.call(f"svc.{op}", {}, timeout=2)
    assert got == outcome
    if op == "ok":
        assert data == {"months": 12}
    if op == "missing":
        assert data == {"code": "not_found"}


async def test_a_silent_backend_times_out_at_the_declared_limit(services):
    got, _, detail = await services.call("svc.slow", {}, timeout=0.2)
    assert got == "timeout"


async def test_an_unreachable_backend_is_unavailable():
    s = HttpServices(CATALOG, {"svc": ServiceConfig(base_url="http://127.0.0.1:9", timeout_s=2)})
    try:
        assert (await s.call("svc.ok", {}, timeout=1))[0] == "unavailable"
    finally:
        await s.close()


async def test_credentials_and_idempotency_travel_as_headers(services, server):
    _, seen = server
    await services.call("svc.echo", {"id_number": "x"}, timeout=2, idempotency_key="k-1")
    assert seen == {"auth": "Bearer t0ken", "idem": "k-1", "body": {"id_number": "x"}}


async def test_an_undeclared_operation_is_an_error_without_a_request(services):
    assert (await services.call("svc.nope", {}, timeout=1))[0] == "error"


async def test_a_visit_calls_the_backend_over_http(server, monkeypatch):
    """The whole path: card on the reader, consent, a real HTTP call, the reply shown masked."""
    from pathlib import Path

    from kiosk.engine.clock import LoopClock
    from kiosk.engine.ops import OpExecutor
    from kiosk.engine.runner import SessionRunner
    from kiosk.engine.session import Session
    from kiosk.flow.bundle import load_bundle
    from kiosk.scenario.twins import make_card, make_devices

    url, seen = server
    bundle = load_bundle(Path(__file__).resolve().parents[2] / "flows")
    catalog = Catalog.model_validate({"format": 2, "services": {"social_security": {"operations": {
        "certificate": {"path": "/echo-record"}}}}})

    async def record(request):
        seen["body"] = await request.json()
        return web.json_response({"ok": True, "data": {"record": {
            "insured_since": "2010-01-01", "months": 187, "unit": "示例单位", "status": "正常参保"}}})

    # the fixture's app is frozen once started; serve this route from a second app on another port
    app = web.Application()
    app.router.add_post("/echo-record", record)
    runner_http = web.AppRunner(app)
    await runner_http.setup()
    site = web.TCPSite(runner_http, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    services = HttpServices(catalog, {"social_security": ServiceConfig(base_url=f"http://127.0.0.1:{port}")})
    devices = make_devices()
    session = Session(bundle.flows, "social-security-certificate", session_id="http-0001-aaaa", kiosk={"id": "K1"})
    views = asyncio.Queue()
    runner = SessionRunner(session, OpExecutor(devices, services), LoopClock(), on_view=views.put_nowait)
    try:
        runner.start()
        devices["id_reader"].insert_card(make_card({"id_number": "11010519491231002X"}))
        while (await asyncio.wait_for(views.get(), 5)).step != "consent":
            pass
        runner.act("agree")
        while (view := await asyncio.wait_for(views.get(), 5)).step != "preview":
            pass
        assert "187" in view.all_text()
        assert seen["body"] == {"id_number": "11010519491231002X"}
    finally:
        runner._shutdown()
        await services.close()
        await runner_http.cleanup()
