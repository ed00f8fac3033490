"""A demo government backend: the replies of the bundle's demo files, over HTTP on 127.0.0.1.

It answers every operation that a demo file (kiosk.demo.data) gives replies
for, at the method and path services.yaml declares, with the reply written
for the citizen whose ``id_number`` the request carries (in the JSON body
of a POST, the query of a GET). Nothing about any item is written here: a new item's
``demo.yaml`` answers without a change to this file. Latency and failures
are injectable for the whole backend (``POST /_control``) so the demo can
show a slow or failing backend; a single reply may carry its own delay or
failure. Every citizen is invented (devices.id_reader.sample_cards).
"""
from __future__ import annotations

import asyncio
import functools
import json
from pathlib import Path

import structlog
from aiohttp import web

from kiosk.demo.data import Answers, DemoData, Reply, load_demo
from kiosk.flow import model
from kiosk.flow.loader import load_file
from kiosk.flow.problems import Problem, ProblemsError

log = structlog.get_logger("kiosk.demo_backend")

FLOWS = Path(__file__).resolve().parents[2] / "flows"
CATALOG = "services.yaml"


def load(root: Path) -> tuple[model.Catalog | None, DemoData]:
    """The bundle's catalog and demo data; their problems are reported, and whatever is good is served.
    A missing bundle is not the demo data's problem: the kiosk's start-up checks report it."""
    catalog, problems = None, []
    try:
        if (root / CATALOG).exists():
            catalog = load_file(root / CATALOG, model.Catalog).doc
    except ProblemsError as exc:
        problems = exc.problems
    data = load_demo(root, catalog)
    data.problems = sorted(problems + data.problems)
    return catalog, data


class DemoBackend:
    def __init__(self, flows: str | Path = FLOWS):
        self.catalog, self.data = load(Path(flows))
        self.latency_s = 0.0
        self.fail: str | None = None  # unavailable | timeout | garbage
        self.calls = 0

    @property
    def problems(self) -> list[Problem]:
        return self.data.problems

    def app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024)
        services = self.catalog.services if self.catalog else {}
        for ref, answers in sorted(self.data.operations.items()):
            svc, _, op_name = ref.partition(".")
            op = services[svc].operations[op_name]
            app.router.add_route(op.method, op.path, functools.partial(self.lookup, answers=answers, method=op.method))
        app.router.add_post("/_control", self.control)
        app.router.add_get("/_health", self.health)
        return app

    async def health(self, request: web.Request) -> web.Response:
        return web.json_response({"ok": True, "data": {"calls": self.calls}})

    @staticmethod
    async def _gate(latency_s: float, fail: str | None):
        """Late, or not at all, or not in the envelope: for the whole backend (/_control) or one reply."""
        if latency_s:
            await asyncio.sleep(latency_s)
        if fail == "timeout":
            await asyncio.sleep(3600)
        if fail == "unavailable":
            raise web.HTTPServiceUnavailable()
        if fail == "garbage":
            raise web.HTTPOk(text="<html>not json</html>")

    async def lookup(self, request: web.Request, *, answers: Answers, method: str) -> web.Response:
        self.calls += 1
        await self._gate(self.latency_s, self.fail)
        try:
            id_number = await _id_number(request, method)
        except (ValueError, KeyError, TypeError):
            if answers.by_id:  # replies by citizen need to know which citizen asks
                return web.json_response({"ok": False, "error": {"code": "bad_request"}}, status=400)
            id_number = None
        reply: Reply = answers.by_id.get(id_number, answers.others)
        await self._gate(reply.delay_s, reply.fail)
        envelope = reply.envelope()
        status = 200 if reply.ok else (404 if envelope["error"].get("code") == "not_found" else 422)
        return web.json_response(envelope, status=status)

    async def control(self, request: web.Request) -> web.Response:
        try:
            body = json.loads(await request.text() or "{}")
        except ValueError:
            return web.json_response({"ok": False, "error": {"code": "bad_request"}}, status=400)
        self.latency_s = float(body.get("latency_ms", 0)) / 1000
        self.fail = body.get("fail")
        log.info("demo_backend.control", latency_ms=body.get("latency_ms", 0), fail=self.fail)
        return web.json_response({"ok": True, "data": {"latency_ms": self.latency_s * 1000, "fail": self.fail}})


async def _id_number(request: web.Request, method: str) -> str:
    """Who asks: the `id_number` of the JSON body (POST) or of the query (GET), as the kiosk sends them."""
    source = (await request.json()) if method == "POST" else dict(request.query)
    return str(source["id_number"])


async def start(host: str = "127.0.0.1", port: int = 8700,
                flows: str | Path = FLOWS) -> tuple[DemoBackend, web.AppRunner, int]:
    backend = DemoBackend(flows)
    for problem in backend.problems:  # located, and the rest is served: one broken file never hides the others
        log.error("demo_backend.data_problem", problem=str(problem))
    runner = web.AppRunner(backend.app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    return backend, runner, site._server.sockets[0].getsockname()[1]


def main(args) -> int:
    async def serve():
        _, runner, port = await start(args.host, args.port, args.flows)
        log.warning("demo_backend.listening", url=f"http://{args.host}:{port}")
        try:
            await asyncio.Event().wait()
        finally:
            await runner.cleanup()

    asyncio.run(serve())
    return 0
