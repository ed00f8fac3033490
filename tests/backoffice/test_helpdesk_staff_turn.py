"""Must-show 4, the TURN part: a call through coturn alone still connects and carries media.

coturn (Debian's `turnserver`) runs on a free loopback port with use-auth-secret and the back office's
[helpdesk.turn] secret; the desk hands both peers per-call credentials for it. The agent's browser is
forced to relay candidates (`/helpdesk/staff?relay=1` sets iceTransportPolicy "relay": host candidates are
blocked on that side), the kiosk's aiortc is given only the TURN server. The selected candidate pair in
the browser's getStats is a relay one, and video and sound flow both ways.
"""
import shutil

import pytest

from tests.backoffice.kiosk_peer import loopback_ice
from tests.backoffice.staff_helpers import (AGENT, AGENT_PW, ITEM, SELECTED_PAIR, STEP, desk_console,
                                            wait_state)
from tests.backoffice.test_helpdesk_staff_browser import (accept_and_see, kiosk_factory, media_browser,  # noqa: F401
                                                          staff)
from tests.backoffice.test_helpdesk_turn import SECRET, coturn  # noqa: F401  (the coturn fixture)
from tests.fleet.mqtt_helpers import free_port

pytestmark = pytest.mark.skipif(not shutil.which("turnserver"),
                                reason="coturn is not installed: `make test` installs Debian's coturn package")


@pytest.fixture
def turn_desk(tmp_path, console_broker, coturn, monkeypatch):  # noqa: F811
    loopback_ice(monkeypatch)
    monkeypatch.setenv("KIOSK_TURN_SECRET", SECRET)  # the back office process inherits it
    (tmp_path / "desk").mkdir()
    console = desk_console(tmp_path / "desk", free_port(), console_broker.port,
                           f'\n[helpdesk.turn]\nurls = ["turn:127.0.0.1:{coturn}?transport=udp"]\n'
                           'secret_env = "KIOSK_TURN_SECRET"\n')
    yield console
    console.stop()


def test_a_call_forced_through_turn_connects_on_a_relay_pair_and_media_flows(turn_desk, coturn, staff,  # noqa: F811
                                                                           kiosk_factory):  # noqa: F811
    turn_desk.sign_in(staff, AGENT, AGENT_PW, "/helpdesk/staff?relay=1")
    wait_state(staff, "not_ready")
    staff.click("[data-test=set-available]")
    kiosk = kiosk_factory(turn_desk.url, turn_desk.credential).start(ITEM, STEP)
    accept_and_see(staff, kiosk)  # frames not black both ways, the agent heard: all through the relay

    (servers,) = [b["ice_servers"] for k, _, b in kiosk.frames if k == "call.assigned"]
    assert [s["urls"] for s in servers] == [[f"turn:127.0.0.1:{coturn}?transport=udp"]]  # only the TURN server
    assert servers[0]["username"] and servers[0]["credential"]  # per-call credentials, not the secret
    staff.wait_for_function(f"async () => (await ({SELECTED_PAIR})()) !== null")
    local, _remote = staff.evaluate(SELECTED_PAIR)
    assert local == "relay"
    sdp = staff.evaluate("window.staffDesk.pc.localDescription.sdp")
    assert " typ host" not in sdp and " typ relay" in sdp  # the browser offered the kiosk nothing but relays
