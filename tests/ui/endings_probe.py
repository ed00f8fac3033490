"""Run under Xvfb by test_endings_ui (and `make screenshots`): the screens after a visit, tapped like a finger.

A completed visit's rating, a low rating's reasons, a failure at night
with its ways on (the counter closed, said on its button), the call-back
form, and the out-of-service screen. Prints one JSON document of what was
drawn; with a directory, saves a PNG of each screen there.
"""
import asyncio
import datetime as dt
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from kiosk.controller import KioskController  # noqa: E402
from kiosk.engine.aftercare_policy import AftercarePolicy  # noqa: E402
from kiosk.engine.clock import VirtualClock  # noqa: E402
from kiosk.scenario.twins import make_card  # noqa: E402
from kiosk.ui.keyboard import OnScreenKeyboard  # noqa: E402
from kiosk.ui.live import LiveUi  # noqa: E402
from kiosk.ui.theme import Theme  # noqa: E402
from kiosk.ui.voice import Speaker  # noqa: E402
from kiosk.ui.widgets import walk  # noqa: E402
from tests.ui.probe import open_kiosk  # noqa: E402

IDENTITY = {"name": "市民中心24小时自助区 1号机", "hall": "市民中心", "model": "自助终端 ZW-8000",
            "address": "人民路88号市民中心一楼", "maintainer": "示例科技有限公司", "maintainer_phone": "0571-88886666",
            "asset_number": "ZC-2024-0107", "nearest": "二楼东侧自助区 / 1楼综合窗口"}


class Unavailable:
    async def call(self, *a, **kw):
        return "unavailable", None, "probe"


def snapshot(win):
    from kiosk.ui.widgets import TapButton, Text, walk

    buttons, texts = [], []
    for w in walk(win.app.root):
        if isinstance(w, TapButton):
            x, y = w.to_window(*w.pos)
            buttons.append({"kid": w.kid, "text": w.text, "height": w.height, "top": y + w.height, "x": x,
                            "disabled": w.disabled})
        elif isinstance(w, Text):
            texts.append(w.text)
    return {"buttons": buttons, "texts": texts, "kids": [getattr(w, "kid", "") for w in walk(win.app.root)]}


DOCS = {"rating", "reasons", "dead_end", "callback_typed", "out_of_service"}  # the pictures docs/ui.md shows


async def main(width, height, shots, elderly=False, docs=False):
    win, reg, devices = await open_kiosk(Theme(width=width, height=height), Speaker(enabled=False))
    night = dt.datetime(2026, 3, 2, 21, 10, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    clock = VirtualClock(start=night.replace(hour=9, minute=30))  # the queue opens in the day
    c = KioskController(reg, devices, Unavailable(), clock, kiosk={"id": "K1", "name": IDENTITY["name"]},
                        aftercare=AftercarePolicy(), identity=IDENTITY)
    c.subscribe_events(lambda event: None)  # a fleet link: call-backs can reach the back office
    LiveUi(c, win)
    out = {}

    async def shot(name):
        for _ in range(30):
            await asyncio.sleep(0)
        await win.frame()
        suffix = ("_elderly" if elderly else "") + ("_landscape" if width > height else "")
        if shots and (not docs or name in DOCS and (not suffix or name in ("dead_end", "callback_typed"))):
            win.screenshot(f"{shots}/{name}{suffix}.png")
        out[name] = snapshot(win)
        pad = next((w for w in walk(win.screen) if isinstance(w, OnScreenKeyboard)), None)
        if pad is not None:  # where the digit pad sits in its column
            out[name]["pad"] = {"width": pad.width, "column": pad.parent.width,
                                "offset": abs(pad.center_x - pad.parent.center_x)}

    # a queue number taken: the ending says what to take, and the rating is one tap away
    await shot("home")
    if elderly:
        c.set_elderly(True)
        await win.frame()
    win.tap("tile:queue-ticket")
    await win.frame()
    win.tap("option:social")
    await shot("take_ticket")
    win.tap("action:ok")
    await shot("rating")
    win.tap("option:2")
    await shot("reasons")
    win.tap("option:reason:slow")
    await shot("reasons_chosen")
    win.tap("option:submit")
    await shot("rated")
    win.tap("action:done")
    # a certificate at night with the backend down: the ways on, with the counter's hours on its button
    clock.start = night - dt.timedelta(seconds=clock.now)
    c.refresh_home()
    await shot("home_night")
    if elderly:
        c.set_elderly(True)
        await win.frame()
    win.tap("tile:social-security-certificate")
    await win.frame()
    devices["id_reader"].insert_card(make_card({"name": "钱示例", "id_number": "11010519491231002X"}))
    await shot("consent")
    win.tap("action:agree")
    for _ in range(4):
        await shot("waiting")
        if c.state.view.step == "sorry":
            break
        clock.fire_next(clock.now + 5)
    win.tap("action:ok")
    await shot("dead_end")
    win.tap("option:callback")
    await shot("callback")
    for digit in "13812345678":
        win.tap(f"key:{digit}")
        await win.frame()
    await shot("callback_typed")
    win.tap("action:submit")
    await shot("callback_sent")
    win.tap("nav:home")
    await win.frame()
    c.out_of_service("repeated failures", back_at="2026-03-03 08:00")
    await shot("out_of_service")
    await win.stop()
    print("PROBE" + json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    w, h = (int(x) for x in sys.argv[1].split("x"))
    asyncio.run(main(w, h, sys.argv[2] if len(sys.argv) > 2 else "", "elderly" in sys.argv[3:], "docs" in sys.argv[3:]))
