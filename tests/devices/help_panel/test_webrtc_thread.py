"""The call runs on the panel's own thread: the caller's loop (the kiosk's UI loop) holds none of aiortc's work,
hears every state change on its own thread, and is left with no thread of the panel's after close."""
import asyncio
import threading

import pytest

from devices.help_panel.webrtc import WebRtcHelpPanel
from devices.testing import agent_peer
from devices.testing.agent_peer import loopback_ice
from devices.testing.fake_helpdesk import FakeHelpDesk
from tests.devices.contract.rigs import until


@pytest.fixture
async def desk():
    with loopback_ice():
        d = await FakeHelpDesk().start()
        yield d
        await d.stop()


def panel_for(desk, tmp_path) -> WebRtcHelpPanel:
    (tmp_path / "credential").write_text(desk.credential)
    return WebRtcHelpPanel("help_panel", url=desk.url, kiosk_id=desk.kiosk_id,
                           credential_file=str(tmp_path / "credential"), video=agent_peer.VIDEO,
                           video_format="lavfi", audio=agent_peer.AUDIO, audio_format="lavfi")


def panel_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name == "help_panel-call"]


def on_callers_loop(panel: WebRtcHelpPanel) -> list[str]:
    """What of the call's work is on the running loop (here the desk and staff's peer run, as a UI would)."""
    loop = asyncio.get_running_loop()
    found = [f"drain {t.get_coro().__qualname__}" for t in panel.drains.tasks if t.get_loop() is loop]
    if panel.link._http is not None and panel.link._http._loop is loop:
        found.append("the desk link's aiohttp session")
    return found


async def test_a_call_runs_off_the_callers_loop_and_its_changes_come_back_on_it(desk, tmp_path):
    panel = panel_for(desk, tmp_path)
    heard = []
    panel.on_call(lambda s: heard.append((s.phase, threading.current_thread())))
    await panel.open()
    desk.answer = "talk"
    call = asyncio.ensure_future(panel.call_staff({"flow": "social", "step": "read_card"}))
    try:
        await until(lambda: panel.call_state.phase == "connected" and panel.remote_video, "staff's picture", 15)
        assert panel.drains.tasks and on_callers_loop(panel) == []  # drains (RGB) and desk link: the panel's loop
        assert panel.remote_video[-1].width == 640  # finished RGB pictures still reach the caller
        await panel.set_muted(True)
        assert panel.call_state.muted
        await panel.end_call()
        assert await asyncio.wait_for(call, 15) == "resumed"
    finally:
        call.cancel()
        await panel.close()
    assert [p for p, _ in heard][:1] == ["waiting"] and ("connected", threading.current_thread()) in heard
    assert {t for _, t in heard} == {threading.current_thread()}  # every listener call on the caller's thread
    assert panel_threads() == []


async def test_a_cancelled_call_is_torn_down_when_its_cancellation_is_over_and_the_panel_reopens(desk, tmp_path):
    panel = panel_for(desk, tmp_path)
    await panel.open()
    desk.answer = "talk"
    call = asyncio.ensure_future(panel.call_staff({"flow": "social", "step": "read_card"}))
    try:
        await until(lambda: panel.call_state.phase == "connected", "the call to connect", 15)
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call
        assert panel.pc is None and not panel.link.open  # no peer connection or socket left behind
        await panel.close()
        assert panel_threads() == []
        await panel.open()  # a reopened panel (reconnect) gets a new thread and loop, and calls again
        phases = []
        panel.on_call(lambda s: phases.append(s.phase))
        again = asyncio.ensure_future(panel.call_staff({"flow": "social", "step": "read_card"}))
        await until(lambda: "waiting" in phases and phases[-1] == "connected", "the second call to connect", 15)
        await panel.end_call()
        assert await asyncio.wait_for(again, 15) == "resumed"
    finally:
        call.cancel()
        await panel.close()
    assert panel_threads() == []
