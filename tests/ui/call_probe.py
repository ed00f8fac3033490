"""Run under Xvfb by test_call_ui: 视频求助 mid-visit on the real screen with the simulated panel. Prints one JSON
document, as tests/ui/probe.py does."""
import asyncio
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from kiosk.controller import KioskController  # noqa: E402
from kiosk.engine.clock import VirtualClock  # noqa: E402
from kiosk.scenario.twins import make_card  # noqa: E402
from kiosk.ui.live import LiveUi  # noqa: E402
from kiosk.ui.theme import Theme  # noqa: E402
from kiosk.ui.voice import Speaker  # noqa: E402
from kiosk.ui.widgets import find  # noqa: E402
from tests.ui.probe import Backend, open_kiosk  # noqa: E402


async def main(shots=""):
    win, reg, devices = await open_kiosk(Theme(width=1080, height=1920), Speaker(enabled=False, command="__no_such_binary__"))
    panel = devices["help_panel"]
    panel.stay_connected, panel.answer = True, "resumed"
    panel.hold_calls()
    clock = VirtualClock()
    c = KioskController(reg, devices, Backend(), clock, kiosk={"id": "K1"})
    ui = LiveUi(c, win)
    out = {}

    async def settle():
        for _ in range(20):
            await asyncio.sleep(0)
        await win.frame()

    def text(kid):
        w = find(win.app.root, kid)
        return w.text if w is not None else None

    def advance(to):
        while clock.fire_next(to):
            pass
        clock.now = to

    await settle()
    out["home_help"] = "home:help" in win.kids()  # the home screen's own 视频求助 (kiosk.ui.home)
    win.tap("tile:social-security-certificate")
    await settle()
    devices["id_reader"].insert_card(make_card({"name": "钱示例"}))
    await settle()
    win.tap("nav:help")
    await settle()
    out["waiting"] = {"state": text("call:state"), "step": c.state.view.step, "kids": win.kids()}
    advance(clock.now + 240)  # four minutes in the queue: past the consent step's idle warning and reset
    await settle()
    out["after_wait"] = {"mode": c.state.mode, "step": c.state.view.step,
                         "idle_banner": find(win.app.root, "countdown:idle") is not None}
    panel.pick_up()
    await settle()
    remote = ui.call_panel.remote
    for _ in range(600):  # bounded: frames arrive at 15 fps; the loop ends at ten drawn
        if remote.frames_drawn >= 10:
            break
        await win.frame()
    out["connected"] = {"state": text("call:state"), "frames": remote.frames_drawn,
                        "texture": list(remote._texture.size) if remote._texture else None,
                        "local": ui.call_panel.local.frames_drawn, "kids": win.kids(), "step": c.state.view.step}
    if shots:
        win.screenshot(f"{shots}/call_connected.png")
    win.tap("call:mute")
    await settle()
    out["muted"] = panel.call_state.muted
    win.tap("call:end")
    await settle()
    out["ended"] = {"state": text("call:state"), "mode": c.state.mode, "step": c.state.view.step}
    await win.stop()
    print("PROBE" + json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else ""))
