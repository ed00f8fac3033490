"""What a backend (or whoever answers in its place) cannot make the kiosk do.

Real aiohttp servers on 127.0.0.1. A citizen's ID number and name are planted in
each request and searched for where they must never arrive: another host, the next
citizen's request, the log.
"""
import json

import pytest
from aiohttp import web
from structlog.testing import capture_logs

from kiosk.backend.http import HttpServices
from kiosk.backend.reply import MAX_DEPTH, TooDeep, parse_json
from kiosk.config import ServiceConfig
from kiosk.flow.model import Catalog
from tests.tls_helpers import make_ca, server_context

ID_NUMBER, NAME, IDEM = "11010519491231002X", "张三丰", "idem-7f3a9c"
CITIZEN = {"id_number": ID_NUMBER, "name": NAME}
CATALOG = Catalog.model_validate({"format": 2, "services": {"svc": {"operations": {
    "post": {"path": "/post"}, "get": {"path": "/get", "method": "GET"}, "raw": {"path": "/raw"}}}}})


async def serve(routes, ssl_context=None):
    """An app on a free port of 127.0.0.1; returns (port, cleanup)."""
    app = web.Application()
    for method, path, handler in routes:
        app.router.add_route(method, path, handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=ssl_context)
    await site.start()
    return site._server.sockets[0].getsockname()[1], runner.cleanup


@pytest.fixture
async def elsewhere():
    """The host a redirect points at: it records everything that reaches it."""
    got = []

    async def record(request):
        got.append({"url": str(request.url), "headers": dict(request.headers), "body": await request.read()})
        return web.json_response({"ok": True, "data": {"stolen": True}})

    port, cleanup = await serve([("*", "/{tail:.*}", record)])
    yield f"http://127.0.0.1:{port}", got
    await cleanup()


def redirecting(status, target):
    async def handler(request):
        return web.Response(status=status, headers={"Location": f"{target}/steal?id={ID_NUMBER}"})
    return handler


async def call_with(services, op, **kw):
    try:
        return await services.call(f"svc.{op}", dict(CITIZEN), timeout=3, idempotency_key=IDEM, **kw)
    finally:
        await services.close()


def assert_no_personal_data(logs):
    text = json.dumps(logs, ensure_ascii=False, default=str)
    for planted in (ID_NUMBER, NAME, IDEM, "/steal"):
        assert planted not in text


@pytest.mark.parametrize("op", ["post", "get"])
@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_a_redirect_is_not_followed_and_nothing_reaches_the_other_host(elsewhere, status, op):
    target, got = elsewhere
    handler = redirecting(status, target)
    port, cleanup = await serve([("POST", "/post", handler), ("GET", "/get", handler)])
    try:
        with capture_logs() as logs:
            outcome, data, detail = await call_with(
                HttpServices(CATALOG, {"svc": ServiceConfig(base_url=f"http://127.0.0.1:{port}")}), op)
    finally:
        await cleanup()
    assert (outcome, data) == ("unavailable", None)
    assert got == []  # no ID number, no name, no idempotency key: not even a connection that asked for something
    assert [(e["op"], e["outcome"], e["detail"]) for e in logs] == [
        (f"svc.{op}", "unavailable", f"HTTP {status}, redirect not followed")]
    assert_no_personal_data(logs)


async def test_an_https_backend_cannot_send_the_citizen_to_plain_http(elsewhere, tmp_path):
    target, got = elsewhere
    ca_pem, ca_key = make_ca(tmp_path)
    port, cleanup = await serve([("POST", "/post", redirecting(307, target))],
                                ssl_context=server_context(tmp_path, ca_pem, ca_key))
    try:
        services = HttpServices(CATALOG, {"svc": ServiceConfig(base_url=f"https://127.0.0.1:{port}", ca_file=ca_pem)})
        with capture_logs() as logs:
            outcome, _, _ = await call_with(services, "post")
    finally:
        await cleanup()
    assert outcome == "unavailable" and got == []
    assert_no_personal_data(logs)


async def test_tls_is_verified_against_the_services_own_ca(tmp_path):
    ca_pem, ca_key = make_ca(tmp_path, "service-ca")
    other_ca, _ = make_ca(tmp_path, "other-ca")
    seen = []

    async def post(request):
        seen.append(await request.json())
        return web.json_response({"ok": True, "data": {"months": 12}})

    port, cleanup = await serve([("POST", "/post", post)], ssl_context=server_context(tmp_path, ca_pem, ca_key))
    url = f"https://127.0.0.1:{port}"
    try:
        trusted = await call_with(HttpServices(CATALOG, {"svc": ServiceConfig(base_url=url, ca_file=ca_pem)}), "post")
        wrong_ca = await call_with(HttpServices(CATALOG, {"svc": ServiceConfig(base_url=url, ca_file=other_ca)}),
                                   "post")
        system = await call_with(HttpServices(CATALOG, {"svc": ServiceConfig(base_url=url)}), "post")
    finally:
        await cleanup()
    assert trusted[:2] == ("ok", {"months": 12})
    assert wrong_ca[0] == "unavailable" and system[0] == "unavailable"
    assert len(seen) == 1  # only the verified connection carried the citizen's data


async def test_a_cookie_from_one_visit_never_goes_out_with_the_next(tmp_path):
    """Citizen A's reply sets a cookie; citizen B's request, on the same long-lived kiosk, must not carry it."""
    cookies = []

    async def post(request):
        cookies.append(request.headers.get("Cookie"))
        resp = web.json_response({"ok": True, "data": {}})
        resp.set_cookie("visit", "citizen-A-session")
        return resp

    port, cleanup = await serve([("POST", "/post", post)])
    services = HttpServices(CATALOG, {"svc": ServiceConfig(base_url=f"http://localhost:{port}")})
    try:
        assert (await services.call("svc.post", {"id_number": "A"}, timeout=3))[0] == "ok"
        assert (await services.call("svc.post", {"id_number": "B"}, timeout=3))[0] == "ok"
    finally:
        await services.close()
        await cleanup()
    assert cookies == [None, None]


async def raw_reply(body: bytes):
    async def raw(request):
        return web.Response(body=body, content_type="application/json")

    port, cleanup = await serve([("POST", "/raw", raw)])
    try:
        services = HttpServices(CATALOG, {"svc": ServiceConfig(base_url=f"http://127.0.0.1:{port}")})
        with capture_logs() as logs:
            result = await call_with(services, "raw")
    finally:
        await cleanup()
    return result, logs


def nested(depth: int, tail: bytes = b"") -> bytes:
    """An envelope whose deepest value sits `depth` levels down (the envelope's two objects included)."""
    return b'{"ok": true, "data": {"x": ' + b"[" * (depth - 2) + b"]" * (depth - 2) + tail + b"}}"


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 100_000])  # 100 000 levels: 200 kB, under the 256 kB cap
async def test_deep_nesting_under_the_size_cap_is_an_error_not_a_crash(depth):
    (outcome, data, detail), logs = await raw_reply(nested(depth))
    assert (outcome, data) == ("error", None)
    assert "nested deeper" in detail
    assert [e["outcome"] for e in logs] == ["error"]
    assert "Recursion" not in json.dumps(logs)


async def test_nesting_and_brackets_in_strings_within_the_limit_are_data():
    body = nested(MAX_DEPTH, tail=b', "note": "' + b"[{" * 5000 + b'\\"[[["')
    (outcome, data, _), _ = await raw_reply(body)
    assert outcome == "ok" and data["note"].startswith("[{[{")


@pytest.mark.parametrize("number", [b"NaN", b"Infinity", b"-Infinity", b"1e999", b"-1e999"])
async def test_non_finite_numbers_are_an_error(number):
    (outcome, data, _), _ = await raw_reply(b'{"ok": true, "data": {"months": ' + number + b"}}")
    assert (outcome, data) == ("error", None)


@pytest.mark.parametrize("where", ["token_file", "token_env"])
async def test_a_missing_token_means_no_call_rather_than_a_call_without_it(tmp_path, monkeypatch, where):
    seen = []

    async def post(request):
        seen.append(dict(request.headers))
        return web.json_response({"ok": True, "data": {}})

    port, cleanup = await serve([("POST", "/post", post)])
    monkeypatch.delenv("SVC_TOKEN_UNSET", raising=False)
    token = {"token_file": tmp_path / "gone.token"} if where == "token_file" else {"token_env": "SVC_TOKEN_UNSET"}
    try:
        with capture_logs() as logs:
            outcome, _, detail = await call_with(
                HttpServices(CATALOG, {"svc": ServiceConfig(base_url=f"http://127.0.0.1:{port}", **token)}), "post")
    finally:
        await cleanup()
    assert outcome == "error" and detail == f"no credential: {where}"
    assert seen == []
    assert_no_personal_data(logs)



@pytest.mark.parametrize("text", [
    '{"s": "\\\\", "x": ' + "[" * 40 + "]" * 40 + "}",  # an escaped backslash ends its string: the rest counts
    '{"s": "\\"[{", "x": ' + "[" * 40 + "]" * 40 + "}",  # an escaped quote does not
])
def test_escapes_do_not_hide_depth(text):
    json.loads(text)  # valid JSON, 41 levels deep
    with pytest.raises(TooDeep):
        parse_json(text.encode())
