"""Shared by the help-desk tests: a desk on a moved clock, and reading what it said to each endpoint."""
from __future__ import annotations

import contextlib
import json

from aiohttp.test_utils import TestClient, TestServer

from backoffice import app as console_app
from backoffice.config import HelpdeskConfig, parse
from backoffice.helpdesk.acd import Desk
from backoffice.helpdesk.secrets import PhoneSeal
from backoffice.ingest import Ingest
from backoffice.keys import AUTH
from backoffice.store import FleetStore
from tests.backoffice.auth_helpers import Clock
from wire import signaling as sig

PW = "some-passphrase-1"
HELP = sig.HelpRequest("social-security-certificate", "read_card", "zh-CN", "general")


def make_desk(engine, tmp_path, clock: Clock | None = None, **cfg) -> Desk:
    return Desk(engine, HelpdeskConfig(**cfg), PhoneSeal(tmp_path / "phone.key"), clock or Clock())


@contextlib.asynccontextmanager
async def desk_client(db_engine, tmp_path):
    """The whole console in process, with an agent (li), a viewer, an operator and an admin, all signing in
    with PW."""
    cfg = parse({"helpdesk": {"phone_key_file": str(tmp_path / "phone.key")}}, "backoffice.toml", base=tmp_path)
    store = FleetStore(db_engine)
    application = console_app.build(cfg, store, Ingest(store, "127.0.0.1", 1))
    for name, role in (("li", "agent"), ("victor", "viewer"), ("olga", "operator"), ("ada", "admin")):
        application[AUTH].accounts.add(name, role, PW, actor="test")
    async with TestClient(TestServer(application)) as c:
        yield c


class Inbox:
    """Frames taken from the shared signal table, kept per endpoint, read as (kind, body) pairs."""

    def __init__(self, desk: Desk):
        self.desk = desk
        self.got: dict[tuple[str, str], list[tuple[str, str, dict]]] = {}

    def pull(self, kiosks=(), agents=()) -> None:
        for d in self.desk.take(list(kiosks), list(agents)):
            frame = json.loads(d.frame)
            self.got.setdefault((d.to_kind, d.to_id), []).append((frame["kind"], frame["call_id"], frame["body"]))

    def kiosk(self, kiosk_id: str) -> list[tuple[str, str, dict]]:
        self.pull(kiosks=[kiosk_id])
        return self.got.pop(("kiosk", kiosk_id), [])

    def agent(self, name: str) -> list[tuple[str, str, dict]]:
        self.pull(agents=[name])
        return self.got.pop(("agent", name), [])


def kinds(frames) -> list[str]:
    return [k for k, _, _ in frames]


def online(desk: Desk, clock: Clock, *names: str, available: bool = True) -> None:
    """Agents signed in and (by default) made available one second apart: the first is the longest idle."""
    for name in names:
        desk.agent_online(name, "conn-" + name)
        if available:
            desk.set_state(name, "available")
        clock.advance(1)
