"""Topic names under `kiosk/v1/<kiosk_id>/`, with who publishes on each and how.

A topic level maps to a NATS subject token (`/` becomes `.`), so kiosk ids
are kept to letters, digits, `_` and `-`: no `.`, `*`, `>`, `+` or `#`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from wire.errors import WireError

PREFIX = "kiosk/v1"
KIOSK_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")


@dataclass(frozen=True)
class Topic:
    name: str  # the part after kiosk/v1/<kiosk_id>/
    publisher: str  # "kiosk" or "back office"
    retained: bool
    qos: int = 1


STATE = Topic("state", "kiosk", retained=True)
BIRTH = Topic("birth", "kiosk", retained=True)
HEALTH = Topic("health", "kiosk", retained=True)
EVENTS = Topic("events", "kiosk", retained=False)
CMD = Topic("cmd", "back office", retained=False)  # never retained: it would run again at every start
CMD_RESP = Topic("cmd/resp", "kiosk", retained=False)
ALL = (STATE, BIRTH, HEALTH, EVENTS, CMD, CMD_RESP)


def check_kiosk_id(kiosk_id: str) -> str:
    if not isinstance(kiosk_id, str) or not KIOSK_ID.fullmatch(kiosk_id):
        raise WireError("kiosk_id", "must be 1-32 letters, digits, '_' or '-'")
    return kiosk_id


def topic(kiosk_id: str, which: Topic) -> str:
    return f"{PREFIX}/{check_kiosk_id(kiosk_id)}/{which.name}"


def parse_topic(name: str) -> tuple[str, Topic]:
    """(kiosk id, topic) of a concrete topic name, as a back office subscribed to `kiosk/v1/+/#` sees it."""
    head = PREFIX + "/"
    if not isinstance(name, str) or not name.startswith(head):
        raise WireError("topic", f"not under {PREFIX}/")
    kiosk_id, _, rest = name[len(head):].partition("/")
    check_kiosk_id(kiosk_id)
    for t in ALL:
        if t.name == rest:
            return kiosk_id, t
    raise WireError("topic", f"unknown topic {rest[:32]!r}")
