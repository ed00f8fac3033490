"""The simulated help panel: records guides played and calls made; ``answer`` is how the next call ends.

``hold_calls()`` makes calls ring until ``pick_up()``, so that a test can unplug
the panel while a citizen waits for staff.
"""
from __future__ import annotations

import asyncio

from devices.contracts import HelpPanel
from devices.simulation import SimMixin


class SimHelpPanel(SimMixin, HelpPanel):
    def __init__(self, name: str, **options):
        super().__init__(name, **options)
        self._sim_init()
        self.answer = "unavailable"  # what the next call_staff ends with
        self.calls: list[dict] = []
        self.guides: list[str] = []
        self._picked_up: asyncio.Event | None = None

    def capabilities(self) -> dict:
        return {"camera": True, "microphone": True, "speaker": True, "call_button": True}

    def hold_calls(self) -> None:
        self._picked_up = asyncio.Event()

    def pick_up(self) -> None:
        if self._picked_up is not None:
            self._picked_up.set()
            self._picked_up = None

    async def play_guide(self, video: str) -> None:
        self._refuse_if_unreachable()
        self.guides.append(video)

    async def call_staff(self, context: dict) -> str:
        self._refuse_if_unreachable()
        self.calls.append(dict(context))
        if self._picked_up is not None:  # ringing: an unplug ends the call at once (Device._pending)
            await self._pending(self._picked_up.wait())
        return self.answer
