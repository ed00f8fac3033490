"""A back office in this process against a real Mosquitto, with a stand-in for the sign-in middleware.

Until an account signs in (the accounts part), `require()` reads request["user"]; these tests say who is
asking in a header, set by a middleware added last (innermost), so it speaks for the request whatever the
middlewares before it decided.
"""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from aiohttp import ClientSession, web

from backoffice import app as app_module
from backoffice.config import parse
from backoffice.server import Server


@dataclass(frozen=True)
class User:
    name: str
    role: str


@web.middleware
async def as_header_says(request: web.Request, handler):
    who = request.headers.get("X-Test-User")
    if who:
        name, _, role = who.partition(":")
        request["user"] = User(name, role)
    return await handler(request)


class _TestSignIn:
    @staticmethod
    def setup(application: web.Application) -> None:
        application.middlewares.append(as_header_says)


def with_test_sign_in(monkeypatch) -> None:
    monkeypatch.setattr(app_module, "PARTS", (*app_module.PARTS, _TestSignIn))


async def start_server(tmp_path, broker_port: int, **commands) -> Server:
    cfg = parse({"broker": {"host": "127.0.0.1", "port": broker_port}, "var_dir": str(tmp_path / "var"),
                 "commands": {"resend_s": 1.0, **commands}}, "backoffice.toml", base=tmp_path)
    server = Server(cfg, port=0)
    await server.start()
    await asyncio.wait_for(server.ingest.subscribed.wait(), 10)
    return server


class Api:
    def __init__(self, server: Server):
        self.base = f"http://127.0.0.1:{server.port}"
        self.http = ClientSession()

    async def post(self, path: str, body, who: str = "olga:operator"):
        async with self.http.post(self.base + path, json=body, headers={"X-Test-User": who}) as r:
            return r.status, (await r.json() if r.content_type == "application/json" else {"text": await r.text()})

    async def get(self, path: str, who: str = "vera:viewer"):
        async with self.http.get(self.base + path, headers={"X-Test-User": who}) as r:
            return r.status, await r.json()

    async def command(self, kiosk: str, command_id: str) -> dict:
        _, body = await self.get(f"/api/v1/kiosks/{kiosk}/commands")
        return next(c for c in body["commands"] if c["id"] == command_id)

    async def until_state(self, kiosk: str, command_id: str, states: tuple[str, ...], timeout: float = 20) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            c = await self.command(kiosk, command_id)
            if c["state"] in states or time.monotonic() > deadline:
                return c
            await asyncio.sleep(0.1)  # polling another component's progress, bounded

    async def close(self) -> None:
        await self.http.close()


async def until(predicate, timeout: float = 20, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = await predicate() if asyncio.iscoroutinefunction(predicate) else predicate()
        if value:
            return value
        await asyncio.sleep(0.05)  # polling another component's progress, bounded
    raise AssertionError(f"no {what} within {timeout} s")
