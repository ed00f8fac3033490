"""Shared by the staff page's browser tests: a desk console with an agent and a known kiosk, Chromium with
fake media devices, and reading what the page shows."""
from __future__ import annotations

import time

from backoffice import db
from backoffice.store import FleetStore
from tests.backoffice.console import CHROMIUM_ARGS, Console
from wire import messages
from wire import signaling as sig

AGENT, AGENT_PW = "li", "agent-passphrase-1"
KIOSK = "K-0001"
IDENTITY = {"name": "东城政务服务中心 1号机", "hall": "东城政务服务中心", "region": "东城区", "model": "GZ-2000",
            "asset_number": "ZC-000001", "maintainer_phone": "010-5555-0100"}
ID_NUMBER, ID_MASKED = "110101199003071234", "110101********1234"
NAME, NAME_MASKED = "张三丰", "张*"
ITEM, STEP = "social-security-certificate", "confirm_identity"
HOSTILE = "<img src=x onerror=\"window.pwned=1\">"  # a step text is data: the page must not run it
CONTEXT = sig.Context(ITEM, STEP, ["请核对您的身份信息", "核对无误后点击“下一步”", HOSTILE],
                      {"姓名": NAME_MASKED, "身份证号": ID_MASKED})
MEDIA_ARGS = [*CHROMIUM_ARGS, "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
              "--allow-loopback-in-peer-connection", "--disable-features=WebRtcHideLocalIpsWithMdns",
              "--autoplay-policy=no-user-gesture-required"]

# The mean brightness (0..255) of a 64x48 sample of the citizen's <video>, or -1 before it has a frame.
VIDEO_MEAN = """() => {
  const v = document.querySelector('[data-test=remote-video]');
  if (!v || !v.videoWidth) return -1;
  const c = document.createElement('canvas'); c.width = 64; c.height = 48;
  const g = c.getContext('2d'); g.drawImage(v, 0, 0, 64, 48);
  const d = g.getImageData(0, 0, 64, 48).data; let sum = 0;
  for (let i = 0; i < d.length; i += 4) sum += d[i] + d[i + 1] + d[i + 2];
  return sum / (d.length / 4) / 3;
}"""
# The candidate types of the selected pair, [local, remote], from the page's peer connection's getStats.
SELECTED_PAIR = """async () => {
  const pc = window.staffDesk.pc; if (!pc) return null;
  const r = await pc.getStats(); let pair = null;
  r.forEach((s) => { if (s.type === 'transport' && s.selectedCandidatePairId) pair = r.get(s.selectedCandidatePairId); });
  return pair ? [r.get(pair.localCandidateId).candidateType, r.get(pair.remoteCandidateId).candidateType] : null;
}"""


def desk_console(workdir, port: int, broker_port: int, extra_toml: str = "") -> Console:
    """A console with the agent li and the kiosk K-0001 (credential issued, identity card from its birth)."""
    console = Console(workdir, port, broker_port, extra_toml).start()
    console.add_user(AGENT, "agent", AGENT_PW)
    console.credential = console.cli("kiosks", "credential", KIOSK).strip()
    engine = db.engine(f"sqlite:///{workdir / 'backoffice.db'}")
    FleetStore(engine).birth(KIOSK, messages.Birth(KIOSK, "boot-1", 1, {"runtime": "1.4.2"}, [], 1, False,
                                                   time.time(), identity=IDENTITY))
    engine.dispose()
    return console


def text(page, test: str) -> str:
    return page.locator(f"[data-test={test}]").inner_text()


def wait_state(page, state: str) -> None:
    page.wait_for_selector(f"[data-test=my-state][data-state={state}]")
