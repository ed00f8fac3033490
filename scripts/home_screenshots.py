"""Screenshots of the home screen and the media area for docs/ui.md (`make screenshots` runs it under Xvfb).

    xvfb-run -a -s "-screen 0 1920x1920x24" .venv/bin/python scripts/home_screenshots.py DIR [WxH]

The kiosk is the demo's (etc/demo.toml: hall, device number, identity card)
on simulated devices, with the wall clock fixed so that the pictures do not
change from run to run. One PNG per screen, named for what it shows.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
LANDSCAPE = {"home", "search"}  # the pictures docs/ui.md shows in landscape; portrait: all of them


async def main(out: Path, width: int, height: int) -> None:
    from kiosk.config import load as load_config
    from kiosk.controller import KioskController
    from kiosk.engine.clock import VirtualClock
    from kiosk.flow.registry import FlowRegistry
    from kiosk.scenario.twins import make_card, open_devices
    from kiosk.system import logs
    from kiosk.ui.app import KioskWindow
    from kiosk.ui.live import LiveUi
    from kiosk.ui.theme import Theme

    logs.setup("console", "warning")
    cfg = load_config(ROOT / "etc" / "demo.toml")
    win = KioskWindow(Theme(width=width, height=height))
    await win.start()
    reg = FlowRegistry(ROOT / "flows")
    reg.reload()
    devices = await open_devices()
    clock = VirtualClock(dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8))))
    c = KioskController(reg, devices, None, clock, kiosk={"id": cfg.kiosk.id, "name": cfg.kiosk.name,
                                                          "hall": cfg.kiosk.hall}, identity=cfg.identity_card())
    LiveUi(c, win)
    out.mkdir(parents=True, exist_ok=True)
    tag = "portrait" if height >= width else "landscape"

    async def shot(name: str, settle_s: float = 0.0) -> None:
        deadline = time.monotonic() + settle_s
        while True:
            await asyncio.sleep(0.05)
            await win.frame()
            if time.monotonic() >= deadline:
                break
        if tag == "portrait" or name in LANDSCAPE:
            win.screenshot(str(out / f"{tag}-{name}.png"))

    await shot("home")
    win.tap("home:search")
    await win.frame()
    for key in "SBCX":
        win.tap(f"key:{key}")
        await win.frame()
    await shot("search")
    win.tap("search:close")
    await win.frame()
    win.tap("home:identity")
    await shot("identity")
    win.tap("home:identity")
    await win.frame()
    c.set_elderly(True)
    await shot("home-elderly")
    c.set_elderly(False)
    c.set_locale("en")
    await shot("home-en")
    c.set_locale("zh-CN")
    await win.frame()
    win.tap("tile:social-security-certificate")
    await shot("step-illustration", 1.2)  # the card has slid onto the reader
    devices["id_reader"].insert_card(make_card({"name": "钱示例", "id_number": "11010519491231002X"}))
    await shot("step-video", 4.5)  # the guide video at its second card, with the subtitle
    await win.stop()


if __name__ == "__main__":
    size = sys.argv[2] if len(sys.argv) > 2 else "1080x1920"
    w, h = (int(x) for x in size.split("x"))
    asyncio.run(main(Path(sys.argv[1]), w, h))
