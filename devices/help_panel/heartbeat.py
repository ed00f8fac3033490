"""The call's heartbeat on the `control` DataChannel: how a network drop is noticed within seconds.

aiortc notices a dead path only when ICE consent fails, tens of seconds later; a citizen looking at a frozen
picture needs to know sooner. Each side sends a small message every `every_s`; the other side's silence
counts only once it has shown that it sends them, so a desk that never does is not taken for a dropped one.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import time
from typing import Callable

import structlog

log = structlog.get_logger("devices.help_panel")


class Heartbeat:
    def __init__(self, every_s: float, misses: int):
        self.every_s, self.misses = every_s, misses
        self.last = 0.0  # monotonic time the other side was last heard (or the call connected)
        self.seen = False  # the other side has sent at least one

    def reset(self) -> None:
        """A new peer connection: its other side has not shown yet that it sends heartbeats."""
        self.seen = False

    def alive(self) -> None:
        """The peer connection just connected: silence is counted from now."""
        self.last = time.monotonic()

    def heard(self, message) -> None:
        with contextlib.suppress(ValueError, TypeError, AttributeError):
            if json.loads(message).get("type") == "hb":
                self.last, self.seen = time.monotonic(), True

    async def run(self, channel, connected: Callable[[], bool]) -> bool:
        """Send one every `every_s` while the channel is open; True when the other side fell silent for
        `misses` periods while `connected()` (the drop), False when the channel closed first."""
        seq = 0
        while channel.readyState == "open" or self.seen:
            seq += 1
            if channel.readyState == "open":
                channel.send(json.dumps({"v": 1, "type": "hb", "seq": seq, "ts": time.time()}))
            await asyncio.sleep(self.every_s)  # the heartbeat's own period
            silent = time.monotonic() - self.last
            if self.seen and connected() and silent > self.every_s * self.misses:
                log.warning("help_panel.heartbeat_lost", silent_s=round(silent, 1))
                return True
        return False
