"""Run under Xvfb by test_visible_time_ui: the countdowns tick on screen, the idle warning leaves the step
usable, and 首页 goes home. Prints one JSON document, as tests/ui/probe.py does."""
import asyncio
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from kiosk.controller import KioskController  # noqa: E402
from kiosk.engine.clock import VirtualClock  # noqa: E402
from kiosk.scenario.twins import make_card  # noqa: E402
from kiosk.ui.live import TICK_S, LiveUi  # noqa: E402
from kiosk.ui.theme import Theme  # noqa: E402
from kiosk.ui.voice import Speaker  # noqa: E402
from kiosk.ui.widgets import find  # noqa: E402
from tests.ui.probe import Backend, open_kiosk, snapshot  # noqa: E402


async def main(shots=""):
    win, reg, devices = await open_kiosk(Theme(width=1080, height=1920),
                                         Speaker(enabled=False, command="__no_such_binary__"))
    clock = VirtualClock()
    c = KioskController(reg, devices, Backend(), clock, kiosk={"id": "K1"})
    LiveUi(c, win)
    out = {}

    async def settle():
        for _ in range(20):
            await asyncio.sleep(0)
        await win.frame()

    async def shown(kid, name):
        """The countdown's text once the UI's own Clock interval has looked at the clock (a few ticks at most)."""
        before = getattr(find(win.app.root, kid), "text", None)
        for _ in range(int(4 / TICK_S)):  # bounded: the interval fires every TICK_S of real time
            await win.frame()
            label = find(win.app.root, kid)
            if label is None or label.text != before:
                break
        label = find(win.app.root, kid)
        out[name] = label.text if label is not None else None

    def advance(to):
        while clock.fire_next(to):
            pass
        clock.now = to

    await settle()
    win.tap("tile:social-security-certificate")
    await settle()
    out["card_t0"] = find(win.app.root, "countdown:step").text
    advance(30)
    await shown("countdown:step", "card_t30")
    devices["id_reader"].insert_card(make_card({"name": "钱示例"}))
    await settle()
    out["consent_countdown"] = find(win.app.root, "countdown:step") is not None
    advance(30 + 60)  # the idle timer of the consent step fires: the warning
    await settle()
    out["warning_t0"] = find(win.app.root, "countdown:idle").text
    advance(30 + 62)
    await shown("countdown:idle", "warning_t2")
    out["warning"] = snapshot(win)
    if shots:  # to look at by eye: python tests/ui/time_probe.py DIR under xvfb-run
        win.screenshot(f"{shots}/idle_warning.png")
    win.tap("action:agree")  # the step under the warning, tapped
    await settle()
    out["after_tap"] = {"step": c.state.view.step, "warning": find(win.app.root, "countdown:idle") is not None}
    win.tap("nav:home")
    await settle()
    out["home"] = {"mode": c.state.mode, "kids": win.kids()}
    await win.stop()
    print("PROBE" + json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else ""))
