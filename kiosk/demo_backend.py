"""A demo government backend: fictitious citizens and their records, over HTTP on 127.0.0.1.

It speaks the envelope the kiosk expects (``{"ok": true, "data": ...}`` or
``{"ok": false, "error": {"code": ...}}``). Latency and failures are
injectable (``POST /_control``) so the demo can show a slow or failing
backend. Every citizen is invented (devices.testing.sample_cards).
"""
from __future__ import annotations

import asyncio
import json

import structlog
from aiohttp import web

from devices.testing import sample_cards

log = structlog.get_logger("kiosk.demo_backend")


def _records() -> dict[str, dict]:
    out = {}
    for i, (key, card) in enumerate(sorted(sample_cards.SAMPLE_CARDS.items())):
        if key == "wang_xiaowu":
            continue  # a child with no insurance record: the demo's "no record found"
        out[card.id_number] = {
            "social_security": {"insured_since": f"{2000 + i}-07-01", "months": 120 + 17 * i,
                                "unit": "示例市示例科技有限公司", "status": "正常参保"},
        }
    return out


class DemoBackend:
    def __init__(self):
        self.records = _records()
        self.latency_s = 0.0
        self.fail: str | None = None  # unavailable | timeout | garbage
        self.calls = 0

    def app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024)
        app.router.add_post("/social-security/certificate", self.certificate)
        app.router.add_post("/_control", self.control)
        app.router.add_get("/_health", self.health)
        return app

    async def health(self, request: web.Request) -> web.Response:
        return web.json_response({"ok": True, "data": {"calls": self.calls}})

    async def _gate(self):
        self.calls += 1
        if self.latency_s:
            await asyncio.sleep(self.latency_s)
        if self.fail == "timeout":
            await asyncio.sleep(3600)
        if self.fail == "unavailable":
            raise web.HTTPServiceUnavailable()
        if self.fail == "garbage":
            raise web.HTTPOk(text="<html>not json</html>")

    async def certificate(self, request: web.Request) -> web.Response:
        await self._gate()
        try:
            body = await request.json()
            id_number = str(body["id_number"])
        except (ValueError, KeyError, TypeError):
            return web.json_response({"ok": False, "error": {"code": "bad_request"}}, status=400)
        record = self.records.get(id_number, {}).get("social_security")
        if record is None:
            return web.json_response({"ok": False, "error": {"code": "not_found"}}, status=404)
        return web.json_response({"ok": True, "data": {"record": record}})

    async def control(self, request: web.Request) -> web.Response:
        try:
            body = json.loads(await request.text() or "{}")
        except ValueError:
            return web.json_response({"ok": False, "error": {"code": "bad_request"}}, status=400)
        self.latency_s = float(body.get("latency_ms", 0)) / 1000
        self.fail = body.get("fail")
        log.info("demo_backend.control", latency_ms=body.get("latency_ms", 0), fail=self.fail)
        return web.json_response({"ok": True, "data": {"latency_ms": self.latency_s * 1000, "fail": self.fail}})


async def start(host: str = "127.0.0.1", port: int = 8700) -> tuple[DemoBackend, web.AppRunner, int]:
    backend = DemoBackend()
    runner = web.AppRunner(backend.app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    return backend, runner, site._server.sockets[0].getsockname()[1]


def main(args) -> int:
    async def serve():
        _, runner, port = await start(args.host, args.port)
        log.warning("demo_backend.listening", url=f"http://{args.host}:{port}")
        try:
            await asyncio.Event().wait()
        finally:
            await runner.cleanup()

    asyncio.run(serve())
    return 0
