"""Two real `backoffice serve` processes on one database are one help desk, and keep citizens' data out.

The kiosk connects to process A, the agent to process B (as behind a load balancer): the ring, the
acceptance, the kiosk's offer and the agent's answer all cross between them through the shared tables.
Then the privacy check: an ID number, a name and a phone number planted in what the kiosk sends (masked
as the kiosk masks them, the phone as a callback, and once an unmasked value the server must refuse) are
searched for in both processes' logs and in the database files; only the sealed callback column may hold
the phone, and it holds it encrypted.
"""
import asyncio
import json
import re

import aiohttp
import pytest

from tests.backoffice.console import Console
from tests.fleet.mqtt_helpers import free_port
from wire import signaling as sig

ID_NUMBER, NAME, PHONE = "110101199003071234", "张三丰", "13912345678"
AGENT_PW = "agent-passphrase-1"
CSRF_FIELD = re.compile(r'name="csrf" value="([^"]*)"')


@pytest.fixture
def pair(tmp_path, console_broker):
    shared = (f'\n[database]\nurl = "sqlite:///{tmp_path / "shared.db"}"\n\n'
              f'[helpdesk]\nphone_key_file = "{tmp_path / "phone.key"}"\n')
    consoles = []
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        consoles.append(Console(tmp_path / name, free_port(), console_broker.port, shared))
    consoles[0].start()  # the first creates the schema; the second finds it current
    consoles[1].start()
    yield consoles
    for c in consoles:
        c.stop()


async def until(ws, kind: str, timeout: float = 15) -> dict:
    async with asyncio.timeout(timeout):
        while True:
            msg = await ws.receive()
            assert msg.type == aiohttp.WSMsgType.TEXT, msg
            frame = json.loads(msg.data)
            if frame["kind"] == kind:
                return frame


def frame(call_id: str, body: sig.Body) -> str:
    return sig.make(call_id, body, 1.0)


async def agent_session(console: Console) -> aiohttp.ClientSession:
    """Signed in through the login form of `console`, as a browser is (cookies kept for 127.0.0.1)."""
    http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    page = await (await http.get(f"{console.url}/login")).text()
    nonce = CSRF_FIELD.search(page).group(1)
    r = await http.post(f"{console.url}/login", data={"name": "li", "password": AGENT_PW, "csrf": nonce, "next": "/"},
                        allow_redirects=False)
    assert r.status == 302
    return http


async def test_a_kiosk_on_one_process_and_an_agent_on_the_other_connect_and_nothing_personal_is_kept(pair, tmp_path):
    a, b = pair
    a.add_user("li", "agent", AGENT_PW)
    credential = a.cli("kiosks", "credential", "K-0001").strip()
    http = await agent_session(b)
    try:
        async with http.ws_connect(f"{b.url}/ws/agent", headers={"Origin": b.url}) as staff, \
                http.ws_connect(f"{a.url}/ws/kiosk") as kiosk:
            await until(staff, "welcome")
            await staff.send_str(frame("", sig.AgentState("available")))
            await until(staff, "agent.state")
            await kiosk.send_str(frame("", sig.Hello("K-0001", credential)))
            await until(kiosk, "welcome")
            await kiosk.send_str(frame("", sig.HelpRequest("social-security-certificate", "show", "zh-CN")))
            ring = await until(staff, "call.ring")
            call_id = ring["call_id"]
            await staff.send_str(frame(call_id, sig.CallAccept()))
            assert (await until(kiosk, "call.assigned"))["body"]["agent_name"] == "li"
            await kiosk.send_str(frame(call_id, sig.SdpOffer("v=0 offer from the kiosk on A")))
            assert (await until(staff, "sdp.offer"))["body"]["sdp"] == "v=0 offer from the kiosk on A"
            await staff.send_str(frame(call_id, sig.SdpAnswer("v=0 answer from the agent on B")))
            assert (await until(kiosk, "sdp.answer"))["body"]["sdp"] == "v=0 answer from the agent on B"

            masked = {"id_number": ID_NUMBER[:6] + "********" + ID_NUMBER[-4:], "name": NAME[0] + "**"}
            await kiosk.send_str(frame(call_id, sig.Context("social-security-certificate", "show",
                                                            ["请核对您的信息"], masked)))
            assert (await until(staff, "context"))["body"]["values"] == masked
            unmasked = {"v": 1, "call_id": call_id, "kind": "context", "at": 1.0,
                        "body": {"item": "x", "step": "y", "texts": [], "values": {"id_number": ID_NUMBER}}}
            await kiosk.send_str(json.dumps(unmasked))
            assert (await until(kiosk, "error"))["body"]["detail"].startswith("body.values.id_number")

            await staff.send_str(frame(call_id, sig.Hangup()))
            assert (await until(kiosk, "call.ended"))["body"]["reason"] == "agent_hangup"
            await staff.send_str(frame(call_id, sig.WrapupDone("resolved")))
            await staff.send_str(frame("", sig.AgentState("not_ready")))
            await kiosk.send_str(frame("", sig.HelpRequest("social-security-certificate", "show", "zh-CN")))
            second = (await until(kiosk, "queue.update"))["call_id"]
            await kiosk.send_str(frame(second, sig.CallbackRequest(PHONE)))
            assert (await until(kiosk, "callback.booked"))["call_id"] == second

        page = await (await http.get(f"{b.url}/helpdesk/callbacks")).text()
        assert PHONE not in page and "*******5678" in page
    finally:
        await http.close()
    a.stop(), b.stop()
    for planted in (ID_NUMBER, NAME, PHONE, credential):
        for path in (a.log, b.log, *tmp_path.glob("shared.db*")):
            assert planted.encode() not in path.read_bytes(), (planted, path.name)
