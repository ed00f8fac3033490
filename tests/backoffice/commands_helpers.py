"""A back office in this process against a real Mosquitto, and callers who are who they say by real means:
other systems by API token (`who` = "name:role" makes a token of that name and role, acting as `token:name`),
people by an account signed in through /login.
"""
from __future__ import annotations

import asyncio
import time

from aiohttp import ClientSession

from backoffice.config import parse
from backoffice.server import Server
from tests.backoffice.auth_helpers import add_account, api_token, sign_in_page, signed_in_session


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
        self.engine = server.engine
        self.http = ClientSession()
        self.tokens: dict[str, str] = {}

    def auth(self, who: str) -> dict:
        if who not in self.tokens:
            name, _, role = who.partition(":")
            self.tokens[who] = api_token(self.engine, name, role)
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    async def post(self, path: str, body, who: str = "olga:operator"):
        async with self.http.post(self.base + path, json=body, headers=self.auth(who)) as r:
            return r.status, (await r.json() if r.content_type == "application/json" else {"text": await r.text()})

    async def get(self, path: str, who: str = "vera:viewer"):
        async with self.http.get(self.base + path, headers=self.auth(who)) as r:
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

    async def person(self, who: str) -> ClientSession:
        """A browser-like session signed in through /login as a person with an account ("name:role")."""
        name, _, role = who.partition(":")
        await asyncio.to_thread(add_account, self.engine, name, role)
        return await signed_in_session(self.base, name)

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


def sign_in_as(page, server: Server, who: str, path: str) -> None:
    """A Playwright page signed in through /login as a new account "name:role", landing on `path`."""
    name, _, role = who.partition(":")
    add_account(server.engine, name, role)
    sign_in_page(page, f"http://127.0.0.1:{server.port}", name, path=path)
