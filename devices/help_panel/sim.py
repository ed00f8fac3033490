"""The simulated help panel: records guides played and calls made; ``answer`` is how the next call ends."""
from __future__ import annotations

from devices.contracts import HelpPanel
from devices.simulation import SimMixin


class SimHelpPanel(SimMixin, HelpPanel):
    def __init__(self, name: str, **options):
        super().__init__(name, **options)
        self._sim_init()
        self.answer = "unavailable"  # what the next call_staff ends with
        self.calls: list[dict] = []
        self.guides: list[str] = []

    def capabilities(self) -> dict:
        return {"camera": True, "microphone": True, "speaker": True, "call_button": True}

    async def play_guide(self, video: str) -> None:
        self.guides.append(video)

    async def call_staff(self, context: dict) -> str:
        self.calls.append(dict(context))
        return self.answer
