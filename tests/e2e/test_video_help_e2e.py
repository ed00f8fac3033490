"""Video help with every real part: the kiosk's Kivy screen under Xvfb (simulated devices, the real WebRTC help
panel with lavfi camera and microphone), a real `backoffice serve`, and a staff member in Chromium (fake media).

The citizen is mid-visit on the certificate's preview (their name and ID number on screen, masked), taps
视频求助; the agent, available, accepts the ring. Then what both would notice: each sees the other (the
received pictures are not black) and hears the other (the received sound is not silence); the agent sees the
item and the step, and the values exactly as masked on the kiosk, never the planted clear ones; the call ends
from the agent's page or from the citizen's end button, both sides see it end, and the visit is still on the
same step of the same item and goes on from there.

The kiosk runs in its own process (Kivy has one window per process): it reports milestones as `EVENT` lines
on its standard output and takes the citizen's hang-up as a file the test creates.
"""
import json
import os
import queue
import subprocess
import sys
import threading
import time

import pytest

from tests.backoffice.conftest import console_broker  # noqa: F401 (a fixture: the console's MQTT broker)
from tests.backoffice.console import CHROMIUM
from tests.backoffice.staff_helpers import (AGENT, AGENT_PW, KIOSK, MEDIA_ARGS, NAME, VIDEO_MEAN,
                                            desk_console, text, wait_state)
from tests.fleet.mqtt_helpers import free_port
from tests.processes import end_process
from tests.ui.test_touch_ui import ROOT, XVFB, needs_x

ID_NUMBER = "110101199003071233"  # valid: the simulated reader checks the check digit
ITEM, STEP = "social-security-certificate", "preview"
LIMIT = 90.0  # turns a hang into a failure; not a timing goal (bench/ holds those)

# The level (0..1) of the sound arriving from the kiosk, from the page's peer connection (inbound-rtp audio).
AUDIO_LEVEL = """async () => {
  const pc = window.staffDesk.pc; if (!pc) return 0;
  let level = 0;
  (await pc.getStats()).forEach((s) => {
    if (s.type === 'inbound-rtp' && s.kind === 'audio') level = s.audioLevel || 0;
  });
  return level;
}"""


class KioskProcess:
    """The kiosk screen under xvfb-run, followed through its EVENT lines."""

    def __init__(self, console, workdir):
        credential = workdir / "kiosk-credential"
        credential.write_text(console.credential + "\n")
        credential.chmod(0o600)
        self.control = workdir / "kiosk-control"
        self.control.mkdir()
        env = {**os.environ, "PYTHONPATH": str(ROOT), "KIVY_NO_ARGS": "1"}
        env.pop("DISPLAY", None)
        self.proc = subprocess.Popen(
            [XVFB, "-a", "-s", "-screen 0 1920x1920x24", sys.executable, "tests/e2e/kiosk_call_probe.py",
             console.url, str(credential), str(self.control), NAME, ID_NUMBER],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=(workdir / "kiosk.err").open("wb"), text=True)
        self.err = workdir / "kiosk.err"
        self.lines: queue.Queue = queue.Queue()
        self.output: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.output.append(line)
            if line.startswith("EVENT "):
                self.lines.put(json.loads(line[6:]))
        self.lines.put(None)

    def next(self, event: str) -> dict:
        """The next milestone, which must be `event`; fails with the kiosk's output if it never comes."""
        try:
            got = self.lines.get(timeout=LIMIT)
        except queue.Empty:
            got = None
        if got is None or got["event"] != event:
            raise AssertionError(f"waited for the kiosk's {event}, got {got}:\n{''.join(self.output)[-2000:]}\n"
                                 f"{self.err.read_text(errors='replace')[-3000:]}")
        return got

    def hang_up(self) -> None:
        (self.control / "hangup").touch()

    def stop(self) -> None:
        end_process(self.proc, 15)


@pytest.fixture
def agent_page():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"no Chromium at {CHROMIUM}: `make test` installs Debian's chromium package")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=MEDIA_ARGS, headless=True)
        page = browser.new_context(locale="zh-CN", viewport={"width": 1440, "height": 900}).new_page()
        page.set_default_timeout(LIMIT * 1000)
        yield page
        browser.close()


@pytest.fixture
def desk(tmp_path, console_broker):
    console = desk_console(tmp_path, free_port(), console_broker.port)
    yield console
    console.stop()


@pytest.fixture
def kiosk(desk, tmp_path):
    k = KioskProcess(desk, tmp_path)
    yield k
    k.stop()


@needs_x
@pytest.mark.parametrize("ender", ["agent", "citizen"])
def test_a_citizen_mid_visit_calls_staff_sees_and_hears_them_and_carries_on_after_the_call(
        desk, agent_page, kiosk, ender):
    page = agent_page
    frames: list[str] = []  # everything the page's sockets carried, searched for the clear values at the end
    page.on("websocket", lambda ws: [ws.on(e, lambda p: frames.append(p if isinstance(p, str) else p.decode()))
                                     for e in ("framesent", "framereceived")])
    desk.sign_in(page, AGENT, AGENT_PW, "/helpdesk/staff")
    wait_state(page, "not_ready")
    page.click("[data-test=set-available]")
    wait_state(page, "available")

    before = kiosk.next("at_step")
    assert (before["mode"], before["flow"], before["step"]) == ("visit", ITEM, STEP)
    shown = before["values"]  # what the citizen's screen shows, masked by the kiosk
    assert shown["身份证号"].endswith(ID_NUMBER[-4:]) and "*" in shown["身份证号"] and "*" in shown["姓名"]
    assert ID_NUMBER not in json.dumps(before, ensure_ascii=False)

    page.wait_for_selector("[data-test=ring]:not([hidden])")  # the tap on 视频求助 rings the available agent
    page.click("[data-test=accept]")
    wait_state(page, "on_call")

    # both ways: the agent sees and hears the citizen; the kiosk drew and heard the agent (its own report)
    page.wait_for_function(f"({VIDEO_MEAN})() > 20")  # the kiosk's testsrc colour bars, not black
    page.wait_for_function(f"async () => (await ({AUDIO_LEVEL})()) > 0.01")  # the kiosk's sine, not silence
    media = kiosk.next("media")
    assert media["agent"] == AGENT and media["drawn"] >= 10 and media["brightness"] > 30 and media["rms"] > 300
    assert media["during"] is True  # the visit stays on its step while the call runs

    # beside the video: the item, the step, the values exactly as masked on the kiosk
    page.wait_for_selector(f"[data-test=ctx-values] dd:has-text('{shown['身份证号']}')")
    assert shown["姓名"] in text(page, "ctx-values")
    assert (text(page, "ctx-item"), text(page, "ctx-step")) == (ITEM, STEP)
    assert text(page, "identity")  # the kiosk's identity card from the fleet store
    dom = page.content() + page.inner_text("body")
    for clear in (ID_NUMBER, NAME, ID_NUMBER[6:14]):  # the number, the name, the birth date inside the number
        assert clear not in dom, clear

    if ender == "agent":
        page.click("[data-test=end]")
    else:
        kiosk.hang_up()
    ended = kiosk.next("ended")
    assert ended["reason"] == ("agent_hangup" if ender == "agent" else "kiosk_hangup")
    wait_state(page, "wrap_up")  # the agent's side ended too
    assert (ended["mode"], ended["flow"], ended["step"]) == ("visit", ITEM, STEP)  # the visit is where it was
    assert "option:print" in ended["kids"]
    assert kiosk.next("continued")["step"] != STEP  # and goes on from there

    page.select_option("[data-test=outcome]", "resolved")
    page.click("[data-test=wrapup-done]")
    wait_state(page, "available")
    log, relayed = desk.log.read_text(encoding="utf-8", errors="replace"), "\n".join(frames)
    assert shown["身份证号"] in relayed  # the masked context did cross the socket
    for clear in (ID_NUMBER, NAME, ID_NUMBER[6:14]):
        assert clear not in log and clear not in relayed, clear
