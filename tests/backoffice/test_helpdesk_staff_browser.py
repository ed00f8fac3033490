"""The staff page in Chromium against a real `backoffice serve` and a simulated kiosk (aiortc, lavfi media).

Chromium's fake camera and microphone are the agent's; the kiosk's are ffmpeg's testsrc and a sine. One
call walks the page's whole life: the queue with its waiting time, ringing, accept, video and sound both
ways, the kiosk's context beside the video, mute, transfer to a skill queue (the call waits again), wrap-up
with an outcome, the same call accepted again, ended from the page, wrapped up. Then privacy: a planted ID
number and name, shown masked on the kiosk, never appear in the page, its WebSocket frames or the log, and a
step text that is HTML is shown as text, never run.
"""
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice import db
from backoffice.models import HelpEvent
from tests.backoffice.console import chromium
from tests.backoffice.kiosk_peer import KioskPeer, loopback_ice
from tests.backoffice.staff_helpers import (AGENT, AGENT_PW, CONTEXT, HOSTILE, ID_MASKED, ID_NUMBER, IDENTITY, ITEM, KIOSK,
                                            MEDIA_ARGS, NAME, NAME_MASKED, STEP, VIDEO_MEAN, desk_console, text,
                                            wait_state)
from tests.fleet.mqtt_helpers import free_port


@pytest.fixture
def media_browser():
    with chromium(MEDIA_ARGS) as b:
        yield b


@pytest.fixture
def staff(media_browser):
    context = media_browser.new_context(locale="zh-CN", viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield page
    context.close()


@pytest.fixture
def desk(tmp_path, console_broker, monkeypatch):
    loopback_ice(monkeypatch)
    console = desk_console(tmp_path, free_port(), console_broker.port)
    yield console
    console.stop()


@pytest.fixture
def kiosk_factory():
    made = []

    def make(url: str, credential: str) -> KioskPeer:
        made.append(KioskPeer(url, KIOSK, credential, CONTEXT))
        return made[-1]
    yield make
    for k in made:
        k.stop()


def events(console, kind: str) -> list[HelpEvent]:
    engine = db.engine(f"sqlite:///{console.workdir / 'backoffice.db'}")
    try:
        with Session(engine) as s:
            return list(s.scalars(select(HelpEvent).where(HelpEvent.kind == kind)))
    finally:
        engine.dispose()


def accept_and_see(page, kiosk: KioskPeer) -> None:
    """Accept the ringing call; both sides then see each other (not black) and the kiosk hears the agent."""
    page.wait_for_selector("[data-test=ring]:not([hidden])")
    kiosk.reset_media()
    page.click("[data-test=accept]")
    kiosk.wait(lambda: "call.assigned" in kiosk.kinds(), why="call.assigned")
    page.wait_for_function(f"({VIDEO_MEAN})() > 20")  # the citizen's testsrc: colour bars, not black
    kiosk.wait(lambda: kiosk.video_frames >= 10 and kiosk.brightest > 20, why="the agent's video, not black")
    kiosk.wait(lambda: kiosk.loudest > 100, why="the agent's microphone, not silence")
    page.wait_for_selector("[data-test=mute]:not([disabled])")


def test_an_agent_answers_sees_and_hears_the_citizen_mutes_transfers_ends_and_wraps_up(desk, staff, kiosk_factory):
    desk.sign_in(staff, AGENT, AGENT_PW, "/helpdesk/staff")
    wait_state(staff, "not_ready")  # signing in is not being ready
    kiosk = kiosk_factory(desk.url, desk.credential).start(ITEM, STEP)

    row = staff.locator(f"[data-test=queue] tr:has-text('{KIOSK}')")
    row.wait_for()
    assert "等待中" in row.inner_text() and ITEM in row.inner_text()
    staff.wait_for_function("() => /^[1-9][0-9]* 秒$/.test(document.querySelector("
                            "'[data-test=queue] [data-test=q-waited]').textContent)")  # the wait counts up

    staff.click("[data-test=set-available]")
    accept_and_see(staff, kiosk)
    wait_state(staff, "on_call")
    assert staff.evaluate("document.querySelector('[data-test=remote-video]').videoWidth") == 640

    # beside the video: the identity card from the fleet store, the item, the step, its texts, masked values
    staff.wait_for_selector(f"[data-test=ctx-values] dd:has-text('{ID_MASKED}')")
    assert IDENTITY["name"] in text(staff, "identity") and IDENTITY["asset_number"] in text(staff, "identity")
    assert (text(staff, "ctx-item"), text(staff, "ctx-step")) == (ITEM, STEP)
    assert CONTEXT.texts[0] in text(staff, "ctx-texts")
    assert NAME_MASKED in text(staff, "ctx-values")

    # mute: the kiosk hears nothing over several of Chromium's beeps; unmute: it hears them again
    heard = kiosk.loudest
    staff.click("[data-test=mute]")
    kiosk.reset_media()
    kiosk.wait(lambda: kiosk.audio_frames >= 50, why="1 s of audio: what was in flight at the click")
    kiosk.reset_media()
    kiosk.wait(lambda: kiosk.audio_frames >= 200, why="4 s of audio after mute")
    assert kiosk.loudest < heard / 20, (kiosk.loudest, heard)
    staff.click("[data-test=mute]")
    kiosk.wait(lambda: kiosk.loudest > 100, why="sound again after unmute")

    # the page reports its call quality; the desk keeps it per call
    staff.wait_for_function("() => window.staffDesk.statsSent >= 1")
    kiosk.wait(lambda: len(events(desk, "quality")) >= 1, why="a quality sample in the event log")
    sample = events(desk, "quality")[0].data
    assert sample["side"] == "agent" and sample["fps"] > 0

    # transfer to the social-security queue: the kiosk waits again; the agent wraps up their part
    staff.select_option("[data-test=transfer-skill]", "social_security")
    staff.fill("[data-test=transfer-note]", "需要社保专席")
    staff.click("[data-test=transfer-go]")
    kiosk.wait(lambda: "call.transferring" in kiosk.kinds(), why="call.transferring")
    wait_state(staff, "wrap_up")
    row.locator("td:has-text('社保')").wait_for()
    assert events(desk, "transfer")[0].data["to_skill"] == "social_security"
    staff.select_option("[data-test=outcome]", "redirected_to_counter")
    staff.fill("[data-test=wrapup-note]", "转社保专席")
    staff.click("[data-test=wrapup-done]")
    wait_state(staff, "ringing")  # li answers every queue: the transferred call rings them again, with its note
    assert "需要社保专席" in text(staff, "ring-note")
    first = events(desk, "wrapup")[0].data
    assert (first["outcome"], first["note"]) == ("redirected_to_counter", "转社保专席")

    # accepted again (a new peer connection), then ended from the page: the kiosk's call ends
    accept_and_see(staff, kiosk)
    staff.click("[data-test=end]")
    kiosk.wait(lambda: ("call.ended", kiosk.call_id) in [(k, c) for k, c, _ in kiosk.frames], why="call.ended")
    assert [b["reason"] for k, _, b in kiosk.frames if k == "call.ended"] == ["agent_hangup"]
    wait_state(staff, "wrap_up")
    staff.wait_for_function("() => !document.querySelector('[data-test=local-video]').srcObject")  # camera off
    staff.select_option("[data-test=outcome]", "resolved")
    staff.click("[data-test=wrapup-done]")
    wait_state(staff, "available")
    assert [e.data["outcome"] for e in events(desk, "wrapup")] == ["redirected_to_counter", "resolved"]


def test_the_clear_id_number_and_name_reach_neither_the_page_nor_its_frames_nor_the_log(desk, staff, kiosk_factory):
    frames: list[str] = []

    def watch(ws):
        for event in ("framesent", "framereceived"):
            ws.on(event, lambda payload: frames.append(payload if isinstance(payload, str) else payload.decode()))
    staff.on("websocket", watch)
    desk.sign_in(staff, AGENT, AGENT_PW, "/helpdesk/staff")
    wait_state(staff, "not_ready")
    staff.click("[data-test=set-available]")
    kiosk = kiosk_factory(desk.url, desk.credential).start(ITEM, STEP)
    accept_and_see(staff, kiosk)
    staff.wait_for_selector(f"[data-test=ctx-values] dd:has-text('{ID_MASKED}')")
    assert HOSTILE in text(staff, "ctx-texts")  # shown as the text it is,
    assert staff.locator("[data-test=ctx-texts] img").count() == 0 and staff.evaluate("window.pwned") is None  # not run
    staff.click("[data-test=end]")
    wait_state(staff, "wrap_up")
    staff.click("[data-test=wrapup-done]")
    wait_state(staff, "available")

    dom = staff.content() + staff.inner_text("body")
    relayed = "\n".join(frames)
    log = desk.log.read_text(encoding="utf-8", errors="replace")
    assert ID_MASKED in dom and NAME_MASKED in dom and ID_MASKED in relayed  # the masked values did arrive
    for clear in (ID_NUMBER, NAME, ID_NUMBER[6:14]):  # the number, the name, the birth date inside the number
        assert clear not in dom and clear not in relayed and clear not in log, clear
