"""Run under Xvfb by test_touch_ui: drives the live UI with real taps and reports what was drawn.

Kivy allows one window per process, so each probe run is its own process
and prints one JSON document for the test to check.
"""
import asyncio
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from kiosk.controller import KioskController  # noqa: E402
from kiosk.engine.clock import VirtualClock  # noqa: E402
from kiosk.flow.registry import FlowRegistry  # noqa: E402
from kiosk.maintenance import Gate, hash_pin  # noqa: E402
from kiosk.scenario.twins import make_card, open_devices  # noqa: E402
from kiosk.system import logs  # noqa: E402
from kiosk.ui.app import KioskWindow  # noqa: E402
from kiosk.ui.live import LiveUi  # noqa: E402
from kiosk.ui.theme import Theme  # noqa: E402
from kiosk.ui.voice import Speaker  # noqa: E402


IDENTITY = {"name": "一号机", "model": "ZW-8000", "asset_number": "ZW-2026-000123", "maintainer": "示例科技有限公司",
            "maintainer_phone": "400-800-1234"}


class Backend:
    async def call(self, ref, request, *, timeout, idempotency_key=None):
        return "ok", {"record": {"insured_since": "2001-01-01", "months": 240, "unit": "示例单位", "status": "正常参保"}}, ""


async def open_kiosk(theme: Theme, speaker: Speaker | None) -> tuple[KioskWindow, FlowRegistry, dict]:
    """How every probe starts: quiet logs, the real window on screen, the repository's flows, the simulated twins."""
    logs.setup("console", "warning")
    win = KioskWindow(theme, speaker)
    await win.start()
    reg = FlowRegistry(ROOT / "flows")
    reg.reload()
    return win, reg, await open_devices()


def snapshot(win):
    from kiosk.ui.widgets import TapButton, Text, walk

    buttons, texts = [], []
    for w in walk(win.app.root):
        if isinstance(w, TapButton) and w.opacity > 0:  # what a citizen can see (a hidden scroll cue is not)
            x, y = w.to_window(*w.pos)
            buttons.append({"kid": w.kid, "height": w.height, "top": y + w.height, "disabled": w.disabled})
        elif isinstance(w, Text):
            texts.append({"text": w.text, "font": w.font_size})
    return {"buttons": buttons, "texts": texts}


async def main(width, height, low_reach, shots):
    win, reg, devices = await open_kiosk(Theme(width=width, height=height, low_reach=low_reach),
                                         Speaker(enabled=True, command="__no_such_binary__"))
    clock = VirtualClock()
    c = KioskController(reg, devices, Backend(), clock, kiosk={"id": "K1", "identity": IDENTITY},
                        gate=Gate(hash_pin("246810")))
    LiveUi(c, win)
    out = {}

    async def shot(name):
        for _ in range(20):
            await asyncio.sleep(0)
        await win.frame()
        if shots:
            win.screenshot(f"{shots}/{name}.png")
        out[name] = snapshot(win)

    await shot("home")
    win.tap("tile:social-security-certificate")
    await shot("read_card")
    win.tap("toggle:elderly")
    await shot("read_card_elderly")
    devices["id_reader"].insert_card(make_card({"name": "钱示例", "id_number": "11010519491231002X"}))
    await shot("consent_elderly")
    win.tap("toggle:elderly")
    await win.frame()  # a finger cannot tap a button before it is laid out and drawn
    win.tap("action:agree")
    await shot("preview")
    win.tap("toggle:locale")
    await shot("preview_en")
    out["spoken"] = [t for _, t in win.speaker.spoken]
    win.tap("nav:cancel")
    await shot("ended")
    clock.fire_next(clock.now + 60)
    await shot("home_after")
    out["spoken_after_home"] = [t for _, t in win.speaker.spoken]
    for _ in range(5):
        win.tap("hidden:corner")
    await shot("pin")
    for digit in "246810":
        win.tap(f"pin:{digit}")
        await win.frame()  # as with a finger: the next key is tapped once the last press is drawn
    await shot("pin_typed")
    win.tap("pin:ok")
    await shot("maintenance")
    win.tap("maint:test_print:receipt_printer")
    await shot("maintenance_printed")
    out["receipts"] = len(devices["receipt_printer"].printed)
    win.tap("maint:leave")
    await shot("home_after_maintenance")
    c.enter_maintenance_remotely()  # as the fleet's maintenance_on does
    await shot("remote_maintenance")
    out["height"] = height
    await win.stop()
    print("PROBE" + json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    w, h = (int(x) for x in sys.argv[1].split("x"))
    asyncio.run(main(w, h, sys.argv[2] == "low", sys.argv[3] if len(sys.argv) > 3 else ""))
