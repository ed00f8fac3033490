"""The shipped flows on simulated twins behind a controller: the kiosk most controller-level tests start from."""
import asyncio
from pathlib import Path

from kiosk.controller import KioskController
from kiosk.engine.clock import VirtualClock
from kiosk.engine.messages import Show
from kiosk.flow.registry import FlowRegistry
from kiosk.journal import Journal
from kiosk.scenario.twins import open_devices

FLOWS = Path(__file__).resolve().parents[1] / "flows"


class NoBackend:
    """Every backend call is unavailable: the tests that use this care about the kiosk, not the reply."""

    async def call(self, *a, **kw):
        return "unavailable", None, "test"


async def shipped_kiosk(tmp_path: Path, **controller_kw) -> tuple[KioskController, dict, VirtualClock]:
    """(controller, opened twins, virtual clock); a journal in tmp_path unless the caller passes its own."""
    registry = FlowRegistry(FLOWS)
    registry.reload()
    devices = await open_devices()
    clock = VirtualClock()
    controller_kw.setdefault("journal", Journal(tmp_path / "journal.db"))
    controller = KioskController(registry, devices, NoBackend(), clock, kiosk={"id": "K1"}, **controller_kw)
    return controller, devices, clock


async def settle() -> None:
    """Let the loop run the tasks a step started (device reads, timers) until they have nothing left to do now."""
    for _ in range(30):
        await asyncio.sleep(0)


def advance(clock, to: float) -> None:
    """Fire the fake clock's timers due up to `to`, in order, and leave it there."""
    while clock.fire_next(to):
        pass
    clock.now = to


def last_view(commands) -> object:
    """The view of the last Show a session emitted among `commands`."""
    return [c.view for c in commands if isinstance(c, Show)][-1]
