"""Run under Xvfb by test_video_help_e2e: the real kiosk screen with simulated devices, except the help panel,
which is the real WebRTC driver (lavfi camera and microphone) calling a real back office.

Arguments: the back office's URL, the kiosk credential file, a directory for the test's go-ahead files.
It prints one `EVENT {json}` line per milestone (flushed) so the test can follow it with deadlines:
  at_step     the visit is on the preview step (masked name and ID number on screen); then it taps 视频求助
  media       the call is connected and staff's picture and voice arrived (not black, not silence)
  ended       the call is over (from either side) and where the visit is
  continued   the citizen tapped the step's own button afterwards and the visit moved on
When the test creates <dir>/hangup, the citizen taps the call panel's end button.
"""
import asyncio
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from devices.help_panel.webrtc import WebRtcHelpPanel  # noqa: E402
from devices.testing import agent_peer  # noqa: E402
from kiosk.controller import KioskController  # noqa: E402
from kiosk.engine.clock import VirtualClock  # noqa: E402
from kiosk.helpcall import ENDED_SHOWN_S  # noqa: E402
from kiosk.scenario.twins import make_card  # noqa: E402
from kiosk.ui.live import LiveUi  # noqa: E402
from kiosk.ui.theme import Theme  # noqa: E402
from kiosk.ui.voice import Speaker  # noqa: E402
from tests.ui.probe import Backend, open_kiosk  # noqa: E402

KIOSK, FLOW = "K-0001", "social-security-certificate"
LIMIT = 60.0  # turns a hang into a reported failure; not a timing goal


def emit(event: str, **data) -> None:
    print("EVENT " + json.dumps({"event": event, **data}, ensure_ascii=False), flush=True)


async def main(url: str, credential: str, control: str, name: str, id_number: str) -> None:
    win, reg, devices = await open_kiosk(Theme(width=1080, height=1920), Speaker(enabled=False, command="__no_such_binary__"))
    await devices["help_panel"].close()
    panel = devices["help_panel"] = WebRtcHelpPanel(
        "help_panel", url=url.replace("http://", "ws://") + "/ws/kiosk", kiosk_id=KIOSK, credential_file=credential,
        video=agent_peer.VIDEO, video_format="lavfi", audio=agent_peer.AUDIO, audio_format="lavfi")
    await panel.open()
    clock = VirtualClock()  # the visit's timers; the call itself runs on real time
    c = KioskController(reg, devices, Backend(), clock, kiosk={"id": KIOSK})
    ui = LiveUi(c, win)

    async def until(condition, what: str) -> None:
        """Keep the UI loop drawing (staff's video is drawn on it) until `condition` holds."""
        deadline = time.monotonic() + LIMIT
        while not condition():
            if time.monotonic() > deadline:
                emit("timeout", waiting_for=what, phase=panel.call_state.phase,
                     step=getattr(c.state.view, "step", None), kids=win.kids())
                raise SystemExit(3)
            await asyncio.sleep(0.02)
            await win.frame()

    def where() -> dict:
        return {"mode": c.state.mode, "flow": c.state.view.flow, "step": c.state.view.step}

    await until(lambda: "tile:social-security-certificate" in win.kids(), "the home screen")
    for _ in range(3):  # laid out before the finger lands
        await win.frame()
    win.tap(f"tile:{FLOW}")
    await until(lambda: c.state.view is not None and c.state.view.step == "read_card", "the read_card step")
    devices["id_reader"].insert_card(make_card({"name": name, "id_number": id_number}))
    await until(lambda: c.state.view.step == "consent" and "action:agree" in win.kids(), "the consent step")
    win.tap("action:agree")
    await until(lambda: c.state.view.step == "preview" and "option:print" in win.kids(), "the preview step")
    before = where()
    emit("at_step", **before, values={i.label: i.value for i in c.state.view.items})

    win.tap("nav:help")
    await until(lambda: panel.call_state.phase == "connected", "the call to connect")
    await until(lambda: ui.call_panel.remote.frames_drawn >= 10 and panel.drains.video_frames >= 10
                and panel.remote_video and panel.remote_video[-1].mean() > 30 and panel.drains.audio_level > 300,
                "staff's picture and voice")
    emit("media", **where(), drawn=ui.call_panel.remote.frames_drawn, brightness=float(panel.remote_video[-1].mean()),
         rms=float(panel.drains.audio_level), agent=panel.call_state.agent, during=where() == before)

    hangup = Path(control) / "hangup"
    await until(lambda: panel.call_state.phase == "ended" or hangup.exists(), "the call's end or the go-ahead")
    if panel.call_state.phase != "ended":
        win.tap("call:end")
        await until(lambda: panel.call_state.phase == "ended", "the call to end after the citizen's tap")
    emit("ended", **where(), reason=panel.call_state.reason, kids=win.kids())

    shown_until = clock.now + ENDED_SHOWN_S + 0.1  # "the call has ended" is shown a while, then closes
    while clock.fire_next(shown_until):
        pass
    await until(lambda: "call:state" not in win.kids(), "the call panel to close")
    for _ in range(3):  # laid out again before the finger lands
        await win.frame()
    tapped = win.tap("option:print")  # the visit goes on from where it was: the step's own button still works
    await until(lambda: c.state.view.step != "preview", "the visit to move on")
    emit("continued", **where(), tapped=tapped)
    await panel.close()
    await win.stop()


if __name__ == "__main__":
    with agent_peer.loopback_ice():
        asyncio.run(main(*sys.argv[1:6]))
