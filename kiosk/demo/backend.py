"""A demo government backend: fictitious citizens and their records, over HTTP on 127.0.0.1.

It speaks the envelope the kiosk expects (``{"ok": true, "data": ...}`` or
``{"ok": false, "error": {"code": ...}}``). Latency and failures are
injectable (``POST /_control``) so the demo can show a slow or failing
backend. Every citizen is invented (devices.testing.sample_cards).
"""
from __future__ import annotations

import asyncio
import functools
import json

import structlog
from aiohttp import web

from devices.id_reader import sample_cards

log = structlog.get_logger("kiosk.demo_backend")


def _records() -> dict[str, dict]:
    """Per fictitious citizen, what each department knows; 王小五 (a child) has nothing anywhere."""
    out = {}
    for i, (key, card) in enumerate(sorted(sample_cards.SAMPLE_CARDS.items())):
        if key == "wang_xiaowu":
            continue
        out[card.id_number] = {
            "social_security": {"record": {"insured_since": f"{2000 + i}-07-01", "months": 120 + 17 * i,
                                           "unit": "示例市示例科技有限公司", "status": "正常参保"}},
            "medical_insurance": {"insured": {"status": "正常参保", "kind": "职工基本医疗保险",
                                              "since": f"{2001 + i}-01-01"}, "account": {"balance": 1200.5 + 300 * i}},
            "housing_fund": {"account": {"status": "正常缴存", "employer": "示例市示例科技有限公司",
                                         "last_deposit": "2026-02-15", "balance": 20000 + 1500 * i}},
            "real_estate": {"count": i % 4, "query_no": f"BDC-DEMO-{i:05d}",
                            "records": [{"location": f"示例市示例区示例路{8 + n}号{n + 1}栋101", "area": 89.5 + 10 * n,
                                         "certificate": f"示(2019)示例不动产权第{i:03d}{n}号"} for n in range(i % 4)]},
            "police": {"certificate": {"number": f"GA-DEMO-{i:06d}", "verify_code": f"DEMO{i:04d}",
                                       "verify_url": f"https://verify.example.gov.cn/c/DEMO{i:04d}",
                                       "valid_until": "2026-12-31"}},
        }
    return out


ROUTES = {
    "/social-security/certificate": "social_security",
    "/medical-insurance/info": "medical_insurance",
    "/housing-fund/account": "housing_fund",
    "/real-estate/records": "real_estate",
    "/police/no-criminal-record": "police",
}


class DemoBackend:
    def __init__(self):
        self.records = _records()
        self.latency_s = 0.0
        self.fail: str | None = None  # unavailable | timeout | garbage
        self.calls = 0

    def app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024)
        for path, department in ROUTES.items():
            app.router.add_post(path, functools.partial(self.lookup, department=department))
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

    async def lookup(self, request: web.Request, *, department: str) -> web.Response:
        await self._gate()
        try:
            body = await request.json()
            id_number = str(body["id_number"])
        except (ValueError, KeyError, TypeError):
            return web.json_response({"ok": False, "error": {"code": "bad_request"}}, status=400)
        data = self.records.get(id_number, {}).get(department)
        if data is None:
            return web.json_response({"ok": False, "error": {"code": "not_found"}}, status=404)
        return web.json_response({"ok": True, "data": data})

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
