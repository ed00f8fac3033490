"""What a backend may answer, read without a socket: anything but the agreed envelope is an error outcome."""
import pytest
from aiohttp import web
from structlog.testing import capture_logs

from kiosk.backend.http import HttpServices
from kiosk.backend.reply import decode
from kiosk.config import ServiceConfig
from kiosk.flow.model import Catalog

PLANTED = "110105196005010014"


@pytest.mark.parametrize("body, outcome, data, detail", [
    (b'{"ok": true, "data": {"months": 12}}', "ok", {"months": 12}, ""),
    (b'{"ok": false, "error": {"code": "NOT_FOUND"}}', "backend_error", {"code": "not_found"}, "NOT_FOUND"),
    (b'{"ok": true}', "error", None, "ok reply without a data object"),
    (b'{"ok": true, "data": [1]}', "error", None, "ok reply without a data object"),
    (b'{"ok": "yes", "data": {}}', "error", None, "HTTP 200, not the agreed envelope"),
    (b'[{"ok": true, "data": {}}]', "error", None, "HTTP 200, not the agreed envelope"),
    (b'{"ok": false, "error": {"code": "no such; thing"}}', "error", None, "error reply without a valid code"),
    (b'{"ok": false, "error": {"code": "' + b"x" * 41 + b'"}}', "error", None, "error reply without a valid code"),
    (b'{"ok": false, "error": "not_found"}', "error", None, "error reply without a valid code"),
    (b"<html>oops</html>", "error", None, "HTTP 200, not JSON"),
    (b"\xff\xfe\x00", "error", None, "HTTP 200, not JSON"),
])
def test_the_envelope_decides_the_outcome(body, outcome, data, detail):
    assert decode(200, body) == (outcome, data, detail)


def test_a_reply_nested_too_deep_says_so_with_its_status():
    assert decode(404, b"[" * 40 + b"]" * 40) == ("error", None, "HTTP 404, JSON nested deeper than 32")


@pytest.mark.parametrize("reply, outcome, detail", [
    ({"ok": True, "data": {"id_number": PLANTED}}, "ok", ""),
    ({"ok": False, "error": {"code": "not_found"}}, "backend_error", "not_found"),
    ({"ok": True, "data": [PLANTED]}, "error", "ok reply without a data object"),
])
async def test_each_call_is_logged_once_with_its_outcome_and_never_the_record(reply, outcome, detail):
    """The transport logs what decode decided: one line per call, with the error code but not the data."""
    async def answer(request):
        return web.json_response(reply)

    app = web.Application()
    app.router.add_post("/q", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"
    catalog = Catalog.model_validate({"format": 2, "services": {"svc": {"operations": {"q": {"path": "/q"}}}}})
    services = HttpServices(catalog, {"svc": ServiceConfig(base_url=url)})
    try:
        with capture_logs() as logs:
            got = await services.call("svc.q", {"id_number": PLANTED}, timeout=5)
    finally:
        await services.close()
        await runner.cleanup()
    assert got[0] == outcome and got[2] == detail
    assert [(e["event"], e["op"], e["outcome"], e["detail"]) for e in logs] == [("service.call", "svc.q", outcome, detail)]
    assert PLANTED not in repr(logs)
