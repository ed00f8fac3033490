"""Run under Xvfb by test_home_ui: the home screen and the media area, tapped like a finger, reported as JSON.

Kivy allows one window per process, so the probe is its own process.
"""
import asyncio
import hashlib
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from kiosk.controller import KioskController  # noqa: E402
from kiosk.engine.clock import VirtualClock  # noqa: E402
from kiosk.scenario.twins import make_card  # noqa: E402
from kiosk.ui.live import LiveUi  # noqa: E402
from kiosk.ui.theme import Theme  # noqa: E402
from tests.ui.probe import Backend, open_kiosk  # noqa: E402

KIOSK = {"id": "DEMO-07", "name": "市民中心自助区 7号机", "hall": "示例市政务服务中心"}
IDENTITY = {"maintainer": "示例科技有限公司", "maintainer_phone": "400-800-1234"}


def texture_digest(widget) -> str:
    tex = widget.texture
    return hashlib.sha1(tex.pixels).hexdigest() if tex is not None else ""


def seen(win) -> dict:
    from kivy.uix.image import Image

    from kiosk.ui.widgets import walk

    out = {"kids": [], "texts": {}, "images": {}}
    for w in walk(win.app.root):
        kid = getattr(w, "kid", "")
        if kid:
            out["kids"].append(kid)
            if hasattr(w, "text"):
                out["texts"][kid] = w.text
            if isinstance(w, Image):
                out["images"][kid] = {"source": w.source, "loaded": w.texture is not None,
                                      "width": w.texture.width if w.texture is not None else 0}
    out["all_text"] = [w.text for w in walk(win.app.root) if isinstance(getattr(w, "text", None), str) and w.text]
    return out


async def frames_until(win, check, seconds=10.0):
    """Let the window draw until ``check()`` holds (polled each frame) or the time is up; returns check()."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        await asyncio.sleep(0.05)
        await win.frame()
    return check()


async def main(width, height, shots):
    win, reg, devices = await open_kiosk(Theme(width=width, height=height), None)
    clock = VirtualClock()
    c = KioskController(reg, devices, Backend(), clock, kiosk=dict(KIOSK), identity=IDENTITY)
    LiveUi(c, win)
    out = {}
    from kiosk.ui.widgets import find

    async def shot(name):
        for _ in range(5):
            await asyncio.sleep(0)
        await win.frame()
        if shots:
            win.screenshot(f"{shots}/{name}.png")
        out[name] = seen(win)

    await shot("home")
    assert win.tap("home:search")
    await shot("search_open")
    for key in "SBCX":
        assert win.tap(f"key:{key}"), key
        await win.frame()
    await shot("search_sbcx")
    assert win.tap("search:close")
    await shot("search_closed")
    assert win.tap("home:identity")
    await shot("identity")
    assert win.tap("home:identity")
    await win.frame()

    # a device step: its illustration, animated
    assert win.tap("tile:social-security-certificate")
    await shot("read_card")
    pic = find(win.app.root, "media:image")
    first = texture_digest(pic)
    out["illustration_animates"] = await frames_until(win, lambda: texture_digest(pic) not in ("", first))

    # the next step plays the guide video: muted, frames advancing, subtitles following
    devices["id_reader"].insert_card(make_card({"name": "钱示例", "id_number": "11010519491231002X"}))
    await frames_until(win, lambda: c.state.view.step == "consent")
    video = find(win.app.root, "media:video")
    out["video"] = {"source": video.source, "volume": video.volume, "eos": video.options.get("eos")}
    await frames_until(win, lambda: video.loaded and texture_digest(video) != "")
    digests = {texture_digest(video)}
    out["video_frames_advance"] = await frames_until(win, lambda: digests.add(texture_digest(video)) or len(digests) >= 3)
    out["video_position"] = video.position
    subtitle = find(win.app.root, "media:subtitle")
    out["subtitle_shown"] = await frames_until(win, lambda: subtitle.text.strip().startswith("第"))
    out["subtitle"] = subtitle.text
    await shot("consent")
    out["video_reused_after_redraw"] = False
    win.tap("toggle:elderly")  # a whole new screen, the same video going on
    await win.frame()
    out["video_reused_after_redraw"] = find(win.app.root, "media:video") is video and video._video is not None
    win.tap("nav:home")
    await shot("home_again")
    out["video_paused_at_home"] = video.state == "pause"
    position = video.position
    for _ in range(10):
        await asyncio.sleep(0.05)
        await win.frame()
    out["video_still_at_home"] = video.position == position
    assert win.tap("tile:social-security-certificate")  # the same item again: the same video, playing on
    await frames_until(win, lambda: find(win.app.root, "media:image") is not None)
    devices["id_reader"].insert_card(make_card({"name": "钱示例", "id_number": "11010519491231002X"}))
    await frames_until(win, lambda: c.state.view.step == "consent")
    out["video_resumed"] = find(win.app.root, "media:video") is video and await frames_until(
        win, lambda: video.state == "play" and video.position > position)
    await win.stop()
    print("PROBE" + json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    w, h = (int(x) for x in sys.argv[1].split("x"))
    asyncio.run(main(w, h, sys.argv[2] if len(sys.argv) > 2 else ""))
