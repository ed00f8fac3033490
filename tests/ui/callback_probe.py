"""Run under Xvfb by test_callback_ui: the desk's call-back offer on the real screen, elderly and landscape (the
tightest layout), with the simulated panel. Prints one JSON document, as tests/ui/probe.py does."""
import asyncio
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from kiosk.controller import KioskController  # noqa: E402
from kiosk.engine.clock import VirtualClock  # noqa: E402
from kiosk.scenario.twins import make_card  # noqa: E402
from kiosk.ui import check_layout  # noqa: E402
from kiosk.ui.live import LiveUi  # noqa: E402
from kiosk.ui.theme import Theme  # noqa: E402
from kiosk.ui.voice import Speaker  # noqa: E402
from kiosk.ui.widgets import find  # noqa: E402
from tests.ui.probe import Backend, open_kiosk  # noqa: E402

SIZE = (1920, 1080)


async def main(shots=""):
    win, reg, devices = await open_kiosk(Theme(width=SIZE[0], height=SIZE[1]), Speaker(enabled=False, command="__no_such_binary__"))
    panel = devices["help_panel"]
    panel.hold_calls()
    c = KioskController(reg, devices, Backend(), VirtualClock(), kiosk={"id": "K1"})
    ui = LiveUi(c, win)
    out = {}

    async def settle():
        for _ in range(20):
            await asyncio.sleep(0)
        await win.frame()
        await win.frame()

    def text(kid):
        w = find(win.app.root, kid)
        return w.text if w is not None else None

    def screen(name):
        p = ui.call_panel
        out[name] = {"kids": win.kids(), "state": text("call:state"), "offer": text("call:callback_offer"),
                     "error": text("call:callback_error"), "field": text("call:callback_phone"),
                     "overflow": check_layout.problems(p, SIZE) if p is not None and p.parent is not None else [],
                     "panel": [p.x, p.width, p.height] if p is not None else None,
                     "mode": c.state.mode, "step": c.state.view.step if c.state.view else None}
        if shots:
            win.screenshot(f"{shots}/callback_{name}.png")

    await settle()
    win.tap("tile:social-security-certificate")
    await settle()
    devices["id_reader"].insert_card(make_card({"name": "钱示例"}))
    await settle()
    c.set_elderly(True)
    await settle()
    win.tap("nav:help")
    await settle()
    screen("waiting")
    panel.offer_callback()
    await settle()
    screen("offer")
    c.set_locale("en")
    await settle()
    screen("offer_en")
    c.set_locale("zh-CN")
    await settle()
    win.tap("call:callback")
    await settle()
    for key in "1391234":
        win.tap(f"key:{key}")
    await settle()
    screen("typing")
    win.tap("call:callback_submit")  # seven digits: refused, said on screen
    await settle()
    screen("refused")
    for key in "5678":
        win.tap(f"key:{key}")
    await settle()
    screen("whole")
    win.tap("call:callback_submit")
    await settle()
    screen("booked")
    out["sent"] = list(panel.callbacks)
    win.tap("call:close")
    await settle()
    out["closed"] = {"panel": ui.call_panel is not None, "mode": c.state.mode, "step": c.state.view.step}
    await win.stop()
    print("PROBE" + json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else ""))
