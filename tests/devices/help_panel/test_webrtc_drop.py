"""A drop the desk cannot bring back ends the call cleanly: the citizen is told, nothing hangs.

Against the fake desk (devices/testing/fake_helpdesk.py) because the case needs a desk that has lost the
call; the recovery that works is tested against the real back office (test_call_with_backoffice.py)."""
import asyncio

import pytest

from devices.help_panel import media
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


async def test_a_drop_with_no_way_back_ends_the_call_as_lost(desk, tmp_path):
    (tmp_path / "credential").write_text(desk.credential)
    panel = WebRtcHelpPanel("help_panel", url=desk.url, kiosk_id=desk.kiosk_id,
                            credential_file=str(tmp_path / "credential"), video=agent_peer.VIDEO, video_format="lavfi",
                            audio=agent_peer.AUDIO, audio_format="lavfi", heartbeat_s=0.3)
    await panel.open()
    desk.answer, desk.refuse_resume = "talk", True
    phases = []
    panel.on_call(lambda s: phases.append(s.phase))
    call = asyncio.ensure_future(panel.call_staff({"flow": "social", "step": "read_card"}))
    try:
        await until(lambda: panel.call_state.phase == "connected", "the call to connect", 15)
        await until(lambda: desk.agents[-1].control, "heartbeats", 15)
        desk.agents[-1].drop()
        assert await asyncio.wait_for(call, 15) == "resumed"  # staff had talked: the visit goes on
        assert panel.call_state.reason == "lost" and "reconnecting" in phases and phases[-1] == "ended"
        assert "call.resume" in desk.kinds()
    finally:
        call.cancel()
        await panel.close()


async def test_a_peer_connection_that_never_closes_does_not_keep_the_citizen_waiting(desk, tmp_path, monkeypatch):
    """aiortc's close can wait forever on a transport that never answers: the hang-up gives up on it."""
    monkeypatch.setattr(media, "CLOSE_S", 0.5)
    (tmp_path / "credential").write_text(desk.credential)
    panel = WebRtcHelpPanel("help_panel", url=desk.url, kiosk_id=desk.kiosk_id,
                            credential_file=str(tmp_path / "credential"), video=agent_peer.VIDEO, video_format="lavfi",
                            audio=agent_peer.AUDIO, audio_format="lavfi")
    await panel.open()
    desk.answer = "talk"
    call = asyncio.ensure_future(panel.call_staff({"flow": "social", "step": "read_card"}))
    try:
        await until(lambda: panel.call_state.phase == "connected", "the call to connect", 15)
        stuck = panel.pc
        real_close = stuck.close
        monkeypatch.setattr(stuck, "close", lambda: asyncio.Event().wait())  # never returns
        await panel.end_call()
        assert await asyncio.wait_for(call, 10) == "resumed"
        assert panel.call_state.phase == "ended"
    finally:
        call.cancel()
        await panel.close()
        await real_close()
