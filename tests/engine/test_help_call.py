"""视频求助 beside the visit: from home and from any step, the call's state on the kiosk's state for the screen,
the visit kept where it was, no idle reset while staff talk, mute and end, and what staff are told is masked."""
import asyncio
import json

from devices.help_panel.webrtc import WebRtcHelpPanel
from devices.records import CallState
from devices.testing import agent_peer
from kiosk.fleet.health import Counters, snapshot
from kiosk.engine.clock import LoopClock
from kiosk.helpcall import ENDED_SHOWN_S, HelpCall
from kiosk.scenario.twins import make_card
from tests.kiosk_kit import advance, settle, shipped_kiosk
from wire.messages import Health

ID_NUMBER, NAME = "110101199003071233", "张三丰"


async def at_consent(tmp_path):
    c, devices, clock = await shipped_kiosk(tmp_path)
    panel = devices["help_panel"]
    panel.stay_connected, panel.answer = True, "resumed"
    panel.hold_calls()
    assert c.start("social-security-certificate")
    devices["id_reader"].insert_card(make_card({"name": NAME, "id_number": ID_NUMBER}))
    await settle()
    assert c.state.view.step == "consent"
    return c, panel, clock


async def test_a_call_from_a_step_keeps_the_visit_there_and_the_idle_reset_waits_for_its_end(tmp_path):
    c, panel, clock = await at_consent(tmp_path)
    c.act("help")
    await settle()
    assert c.state.call.phase == "waiting" and c.state.call.position == 1 and c.state.call.estimated_wait_s > 0
    assert (c.state.mode, c.state.view.step) == ("visit", "consent")  # the visit is where it was

    advance(clock, clock.now + 240)  # four minutes waiting: far past the idle warning (60 s) and reset (+30 s)
    await settle()
    assert (c.state.mode, c.state.view.step, c.state.view.idle_warning_s) == ("visit", "consent", None)
    panel.pick_up()
    await settle()
    assert c.state.call.phase == "connected"
    advance(clock, clock.now + 240)
    await settle()
    assert (c.state.mode, c.state.view.step, c.state.view.idle_warning_s) == ("visit", "consent", None)

    c.act("call_mute")
    await settle()
    assert c.state.call.muted is True
    c.act("call_end")
    await settle()
    assert c.state.call.phase == "ended"
    advance(clock, clock.now + ENDED_SHOWN_S)
    assert c.state.call is None  # the panel closes by itself
    advance(clock, clock.now + 61)  # and the idle clock runs again from the call's end
    await settle()
    assert c.state.view.idle_warning_s is not None


async def test_a_call_from_the_home_screen_stays_on_the_home_screen(tmp_path):
    c, devices, clock = await shipped_kiosk(tmp_path)
    devices["help_panel"].hold_calls()
    c.act("help")
    await settle()
    assert c.state.mode == "home" and c.state.call == CallState(phase="waiting", position=1,
                                                                estimated_wait_s=30.0)


async def test_staff_are_told_each_step_masked_and_the_planted_values_never_in_clear(tmp_path):
    c, panel, clock = await at_consent(tmp_path)
    c.act("help")
    await settle()
    panel.pick_up()
    await settle()
    c.act("agree")  # the record is looked up (unavailable here): the step changes while staff watch
    await settle()
    steps = [ctx["step"] for ctx in panel.contexts]
    assert steps[0] == "consent" and len(steps) >= 2 and steps[-1] == c.state.view.step
    sent = json.dumps(panel.contexts, ensure_ascii=False)
    assert NAME not in sent and ID_NUMBER not in sent
    assert any(NAME[0] in t and "*" in t for t in panel.contexts[0]["texts"])  # the name as the screen masks it
    c.go_home()  # the visit ends (首页, its last screen); staff still on the call see the home screen, nothing of it
    await settle()
    assert c.state.mode == "home" and c.state.call.phase == "connected"
    assert panel.contexts[-1] == {"item": "", "step": "home", "texts": [], "values": {}}


async def test_an_unplugged_panel_ends_the_call_and_the_visit_goes_on(tmp_path):
    c, panel, clock = await at_consent(tmp_path)
    panel.inject("unplug")
    c.act("help")
    await settle()
    assert c.state.call.phase == "ended" and c.state.call.reason == "unavailable"
    assert (c.state.mode, c.state.view.step) == ("visit", "consent")


async def test_a_missing_camera_is_in_the_kiosks_health_and_help_stays_offered(tmp_path):
    panel = WebRtcHelpPanel("help_panel", url="ws://127.0.0.1:9/ws/kiosk", kiosk_id="K1",
                            credential_file=str(tmp_path / "credential"), video=str(tmp_path / "video0"),
                            audio=agent_peer.AUDIO, audio_format="lavfi")
    await panel.open()
    c, devices, clock = await shipped_kiosk(tmp_path)
    devices["help_panel"] = panel
    c.refresh_home()
    health = snapshot(c, versions={}, counters=Counters())
    assert health.as_dict()["devices"]["help_panel"]["reasons"] == ["camera_missing"]
    assert health.as_dict()["devices"]["help_panel"]["state"] == "warning"  # audio-only calls still go out
    assert Health.decode(health.encode()) == health
    await panel.close()


class TearingDownPanel:
    """Like the WebRTC driver: says "ended" as soon as the call is over, and returns from call_staff only once
    its peer connection is closed (`teardown`), so there is a gap in which a citizen can tap again."""

    def __init__(self):
        self.listeners, self.overlapped, self.running = [], [], 0
        self.teardown = asyncio.Event()
        self.over: asyncio.Future | None = None

    def on_call(self, fn) -> None:
        self.listeners.append(fn)

    def _set(self, **kw) -> None:
        for fn in self.listeners:
            fn(CallState(**kw))

    async def send_context(self, context: dict) -> None:
        pass

    async def call_staff(self, context: dict) -> str:
        self.overlapped.append(self.running)  # how many earlier calls were still tearing down
        self.running += 1
        try:
            self.over = asyncio.get_running_loop().create_future()
            self._set(phase="waiting", position=1, estimated_wait_s=30.0)
            outcome = await self.over
            self._set(phase="ended", reason="cancelled")
            await self.teardown.wait()
            return outcome
        finally:
            self.running -= 1

    async def end_call(self) -> None:
        self.over.set_result("ended")


async def test_tapping_help_again_while_the_last_call_tears_down_places_the_new_call_after_it():
    panel = TearingDownPanel()
    call = HelpCall(panel, LoopClock(), lambda state: None)
    assert call.start(None, "zh-CN")
    await settle()
    assert call.act("call_end", None, "zh-CN")
    await settle()
    assert call.state.phase == "ended" and panel.running == 1  # "ended" shown, the peer still closing
    assert call.start(None, "zh-CN")  # the citizen taps 视频求助 again
    await settle()
    assert call.busy and panel.overlapped == [0]  # asked for, and not placed inside the old call's teardown
    panel.teardown.set()
    await settle()
    assert panel.overlapped == [0, 0] and call.state.phase == "waiting"
