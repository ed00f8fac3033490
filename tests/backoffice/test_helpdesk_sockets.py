"""/ws/kiosk and /ws/agent over real WebSockets, in one process: who may connect, and a call's signaling.

The application is the real one (app.build); kiosks hold credentials issued as `backoffice kiosks credential`
issues them, agents sign in through the login form and open the socket from the console's own origin.
"""
import asyncio
import json

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from backoffice import app as console_app
from backoffice.config import parse
from backoffice.helpdesk.secrets import issue_kiosk_credential
from backoffice.ingest import Ingest
from backoffice.keys import AUTH
from backoffice.store import FleetStore
from tests.backoffice.auth_helpers import sign_in
from wire import signaling as sig

AGENT_PW, VIEWER_PW = "agent-passphrase-1", "viewer-passphrase-1"


@pytest.fixture
async def server(db_engine, tmp_path):
    cfg = parse({"helpdesk": {"phone_key_file": str(tmp_path / "phone.key")}}, "backoffice.toml", base=tmp_path)
    store = FleetStore(db_engine)
    application = console_app.build(cfg, store, Ingest(store, "127.0.0.1", 1))
    application[AUTH].accounts.add("li", "agent", AGENT_PW, actor="test")
    application[AUTH].accounts.add("victor", "viewer", VIEWER_PW, actor="test")
    async with TestServer(application) as srv:
        yield srv


@pytest.fixture
def credential(db_engine):
    return issue_kiosk_credential(db_engine, "K-0001", "test")


async def signed_in(server, name, password) -> TestClient:
    client = TestClient(server)
    await client.start_server()
    response = await sign_in(client, name, password)
    assert response.status == 302
    return client


def origin(server) -> str:
    return str(server.make_url("")).rstrip("/")


async def until(ws, kind: str, timeout: float = 10) -> dict:
    """The next frame of `kind`, skipping others (queue snapshots, state echoes)."""
    async with asyncio.timeout(timeout):
        while True:
            frame = json.loads((await ws.receive()).data)
            if frame["kind"] == kind:
                return frame


def frame(call_id: str, body: sig.Body) -> str:
    return sig.make(call_id, body, 1.0)


async def test_a_kiosk_with_a_wrong_credential_is_refused_and_the_socket_closed(server, credential):
    async with aiohttp.ClientSession() as http:
        for hello in (sig.Hello("K-0001", "kc_wrong"), sig.Hello("K-0002", credential)):
            async with http.ws_connect(server.make_url("/ws/kiosk")) as ws:
                await ws.send_str(frame("", hello))
                answer = json.loads((await ws.receive()).data)
                assert (answer["kind"], answer["body"]["code"]) == ("error", "unauthorized")
                assert (await ws.receive()).type == aiohttp.WSMsgType.CLOSE and ws.close_code == 4401


async def test_a_kiosk_must_say_hello_before_anything_else(server, credential):
    async with aiohttp.ClientSession() as http, http.ws_connect(server.make_url("/ws/kiosk")) as ws:
        await ws.send_str(frame("", sig.HelpRequest("item", "step", "zh-CN")))
        assert json.loads((await ws.receive()).data)["body"]["code"] == "unauthorized"


async def test_an_account_without_the_agent_role_cannot_open_the_agent_socket(server):
    viewer = await signed_in(server, "victor", VIEWER_PW)
    anonymous = TestClient(server)
    await anonymous.start_server()
    try:
        with pytest.raises(aiohttp.WSServerHandshakeError) as err:
            await viewer.ws_connect("/ws/agent", headers={"Origin": origin(server)})
        assert err.value.status == 403  # a viewer is on the ladder; the agent role stands beside it
        with pytest.raises(aiohttp.WSServerHandshakeError) as err:
            await anonymous.ws_connect("/ws/agent", headers={"Origin": origin(server)})
        assert err.value.status != 101  # sent to the login page, never upgraded
    finally:
        await viewer.close()
        await anonymous.close()


async def test_the_agent_socket_opens_only_from_the_consoles_own_origin(server):
    agent = await signed_in(server, "li", AGENT_PW)
    try:
        for headers in ({"Origin": "https://evil.example"}, {}):
            with pytest.raises(aiohttp.WSServerHandshakeError) as err:
                await agent.ws_connect("/ws/agent", headers=headers)
            assert err.value.status == 403
        async with agent.ws_connect("/ws/agent", headers={"Origin": origin(server)}) as ws:
            welcome = await until(ws, "welcome")
            assert welcome["body"]["name"] == "li"
    finally:
        await agent.close()


async def test_a_call_from_help_request_to_offer_and_answer(server, credential):
    agent = await signed_in(server, "li", AGENT_PW)
    try:
        async with agent.ws_connect("/ws/agent", headers={"Origin": origin(server)}) as staff, \
                aiohttp.ClientSession() as http, http.ws_connect(server.make_url("/ws/kiosk")) as kiosk:
            await staff.send_str(frame("", sig.AgentState("available")))
            await kiosk.send_str(frame("", sig.Hello("K-0001", credential)))
            await until(kiosk, "welcome")
            await kiosk.send_str(frame("", sig.HelpRequest("social-security-certificate", "show", "zh-CN")))
            queued = await until(kiosk, "queue.update")
            call_id = queued["call_id"]
            ring = await until(staff, "call.ring")
            assert (ring["call_id"], ring["body"]["kiosk_id"]) == (call_id, "K-0001")
            await staff.send_str(frame(call_id, sig.CallAccept()))
            assigned = await until(kiosk, "call.assigned")
            assert assigned["body"]["agent_name"] == "li" and assigned["body"]["ice_servers"] == []
            await kiosk.send_str(frame(call_id, sig.SdpOffer("v=0 kiosk offer")))
            assert (await until(staff, "sdp.offer"))["body"]["sdp"] == "v=0 kiosk offer"
            await kiosk.send_str(frame(call_id, sig.Context("social-security-certificate", "show", ["请核对"],
                                                            {"id_number": "110101********1234"})))
            context = await until(staff, "context")
            assert context["body"]["values"] == {"id_number": "110101********1234"}
            await staff.send_str(frame(call_id, sig.SdpAnswer("v=0 agent answer")))
            assert (await until(kiosk, "sdp.answer"))["body"]["sdp"] == "v=0 agent answer"
            await kiosk.send_str(frame(call_id, sig.Hangup()))
            assert (await until(staff, "call.ended"))["body"]["reason"] == "kiosk_hangup"
    finally:
        await agent.close()


async def test_a_bad_frame_is_answered_with_its_field_and_the_kiosk_stays_connected(server, credential):
    async with aiohttp.ClientSession() as http, http.ws_connect(server.make_url("/ws/kiosk")) as kiosk:
        await kiosk.send_str(frame("", sig.Hello("K-0001", credential)))
        await until(kiosk, "welcome")
        await kiosk.send_str(json.dumps({"v": 1, "call_id": "", "kind": "call.accept", "body": {}, "at": 1.0}))
        error = await until(kiosk, "error")
        assert error["body"]["code"] == "malformed" and "kind" in error["body"]["detail"]
        await kiosk.send_str(frame("", sig.HelpRequest("item", "step", "zh-CN")))
        assert (await until(kiosk, "queue.update"))["body"]["agents_on_duty"] == 0
