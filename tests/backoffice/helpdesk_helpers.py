"""Shared by the help-desk tests: a desk on a moved clock, and reading what it said to each endpoint."""
from __future__ import annotations

import json

from backoffice.config import HelpdeskConfig
from backoffice.helpdesk.acd import Desk
from backoffice.helpdesk.secrets import PhoneSeal
from tests.backoffice.auth_helpers import Clock
from wire import signaling as sig

HELP = sig.HelpRequest("social-security-certificate", "read_card", "zh-CN", "general")


def make_desk(engine, tmp_path, clock: Clock | None = None, **cfg) -> Desk:
    return Desk(engine, HelpdeskConfig(**cfg), PhoneSeal(tmp_path / "phone.key"), clock or Clock())


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
