"""The window is one listener among several: binding it never silences another observer of the controller."""
from pathlib import Path

from kiosk.controller import KioskController
from kiosk.engine.clock import VirtualClock
from kiosk.flow.registry import FlowRegistry
from kiosk.scenario.twins import open_devices
from kiosk.ui.live import LiveUi

FLOWS = Path(__file__).resolve().parents[2] / "flows"


class CountingUi(LiveUi):
    """The real binding, with drawing replaced by a count: no window is needed to see who is called."""

    draws = 0

    def draw(self) -> None:
        self.draws += 1


async def test_binding_the_window_keeps_every_other_listener():
    reg = FlowRegistry(FLOWS)
    reg.reload()
    soak, fleet = [], []
    c = KioskController(reg, await open_devices(), None, VirtualClock(), kiosk={"id": "K1"},
                        on_change=lambda s: soak.append(s.locale))
    c.subscribe(lambda s: fleet.append(s.locale))
    ui = CountingUi(c, window=None)
    drawn = ui.draws
    soak.clear(), fleet.clear()
    c.set_locale("en")
    assert soak == ["en"] and fleet == ["en"] and ui.draws == drawn + 1
    ui.unsubscribe()
    c.set_locale("zh-CN")
    assert soak == ["en", "zh-CN"] and ui.draws == drawn + 1


class VoiceOnlyUi(LiveUi):
    """The real binding; of drawing, only the voice rule of elderly mode runs."""

    def draw(self) -> None:
        self._elderly_voice(self.c.state.elderly)


async def test_elderly_mode_turns_the_voice_on_and_leaving_it_restores_the_setting():
    from types import SimpleNamespace

    from kiosk.ui.voice import Speaker

    reg = FlowRegistry(FLOWS)
    reg.reload()
    c = KioskController(reg, await open_devices(), None, VirtualClock(), kiosk={"id": "K1"})
    window = SimpleNamespace(speaker=Speaker(enabled=False, command="__no_such_binary__"))
    VoiceOnlyUi(c, window)
    c.set_elderly(True)
    assert window.speaker.enabled
    c.set_elderly(False)
    assert not window.speaker.enabled
    window.speaker.toggle()  # a citizen who had it on keeps it on through elderly mode and after
    c.set_elderly(True)
    c.set_elderly(False)
    assert window.speaker.enabled
