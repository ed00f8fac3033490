"""The console's help-desk pages as an agent and others meet them: who sees what, callbacks worked through.

In-process against the real application; the desk's state is made with the desk itself (as the sockets
would), the pages are read as HTML a browser gets.
"""
import re

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice import app as console_app
from backoffice import audit
from backoffice.config import parse
from backoffice.helpdesk.keys import HUB
from backoffice.helpdesk.secrets import ice_servers
from backoffice.ingest import Ingest
from backoffice.models import HelpEvent
from backoffice.store import FleetStore
from tests.backoffice.auth_helpers import csrf_of, sign_in
from tests.backoffice.helpdesk_helpers import HELP, PW, desk_client

PHONE = "13912345678"


@pytest.fixture
async def client(db_engine, tmp_path):
    async with desk_client(db_engine, tmp_path) as c:
        yield c


def desk(client):
    return client.server.app[HUB].desk


async def test_an_agent_answers_calls_but_reads_no_fleet_and_sends_no_commands(client):
    signed = await sign_in(client, "li", PW)
    home = await client.get(signed.headers["Location"], allow_redirects=False)
    assert home.headers["Location"] == "/helpdesk"  # where an agent lands after signing in
    assert (await client.get("/helpdesk", allow_redirects=False)).status == 200
    for path in ("/audit", "/accounts", "/api/v1/kiosks"):  # /api/v1/ingest is public: a worker's health
        assert (await client.get(path, allow_redirects=False)).status == 403, path


@pytest.mark.parametrize("name, status", [("victor", 403), ("olga", 403), ("ada", 200)])
async def test_the_desk_page_is_for_agents_and_administrators(client, name, status):
    await sign_in(client, name, PW)
    assert (await client.get("/helpdesk", allow_redirects=False)).status == status


async def test_the_desk_page_shows_the_queue_the_agents_and_the_figures(client):
    d = desk(client)
    d.agent_online("li", "c-li")
    d.enter("K-0001", "c1", HELP)
    await sign_in(client, "li", PW)
    page = await (await client.get("/helpdesk")).text()
    assert re.search(r'<tr data-call="\w+"><td>K-0001</td><td>social-security-certificate</td><td>general</td>'
                     r"<td>waiting</td>", page)
    assert '<td class="state-not_ready">not_ready</td>' in page
    assert re.search(r'data-metric="offered">1<', page)


async def test_a_callback_is_masked_in_the_list_revealed_once_to_the_agent_who_opens_it_and_closed(client, db_engine):
    d = desk(client)
    call = d.enter("K-0001", "c1", HELP)
    d.book_callback("K-0001", call, PHONE)
    await sign_in(client, "li", PW)
    listing = await (await client.get("/helpdesk/callbacks")).text()
    assert PHONE not in listing and "*******5678" in listing
    task = re.search(r'data-callback="(\d+)"', listing).group(1)
    token = await csrf_of(client, "/helpdesk/callbacks")
    assert (await client.post(f"/helpdesk/callbacks/{task}/open")).status == 403  # no CSRF token
    opened = await client.post(f"/helpdesk/callbacks/{task}/open", data={"csrf": token})
    assert PHONE in await opened.text() and opened.headers["Cache-Control"] == "no-store"
    assert PHONE not in await (await client.get("/helpdesk/callbacks")).text()
    (entry,) = audit.entries(db_engine, action="helpdesk.callback_opened")
    assert entry.actor == "li" and PHONE not in str(entry.detail) + entry.target
    closed = await client.post(f"/helpdesk/callbacks/{task}/close", data={"csrf": token, "state": "done"},
                               allow_redirects=False)
    assert closed.status == 303
    with Session(db_engine) as s:
        done = s.scalars(select(HelpEvent).where(HelpEvent.kind == "callback_done")).one()
    assert done.data["within_target"] is True
    again = await client.post(f"/helpdesk/callbacks/{task}/close", data={"csrf": token, "state": "failed"})
    assert again.status == 409


def test_turn_credentials_are_coturn_rest_credentials_that_expire(monkeypatch):
    import base64
    import hashlib
    import hmac
    from backoffice.config import TurnConfig
    monkeypatch.setenv("TURN_SECRET", "s3cret")
    cfg = TurnConfig(urls=("turn:10.0.0.5:3478",), secret_env="TURN_SECRET", ttl_s=600)
    (server,) = ice_servers(cfg, "call1", now=1000.0)
    assert server.username == "1600:call1"
    expected = base64.b64encode(hmac.new(b"s3cret", b"1600:call1", hashlib.sha1).digest()).decode()
    assert server.credential == expected and server.urls == ["turn:10.0.0.5:3478"]
    assert ice_servers(TurnConfig(), "call1") == []  # nothing configured: no server at all, no public STUN


@pytest.mark.parametrize("section, message", [
    ({"agent_skills": {"wang": ["astrology"]}}, "helpdesk.agent_skills: wang: unknown skill 'astrology'"),
    ({"turn": {"urls": ["stun.l.google.com:19302"]}}, "helpdesk.turn.urls: 'stun.l.google.com:19302'"),
])
def test_a_wrong_helpdesk_option_is_one_located_line_at_start(tmp_path, section, message):
    from backoffice.config import ConfigError
    with pytest.raises(ConfigError) as err:
        parse({"helpdesk": section}, "backoffice.toml", base=tmp_path)
    assert str(err.value).startswith("backoffice.toml: " + message)


def test_a_turn_secret_named_but_not_set_stops_the_start(db_engine, tmp_path, monkeypatch):
    from backoffice.config import ConfigError
    monkeypatch.delenv("NO_SUCH_TURN_SECRET", raising=False)
    cfg = parse({"helpdesk": {"turn": {"urls": ["turn:10.0.0.5:3478"], "secret_env": "NO_SUCH_TURN_SECRET"}}},
                "backoffice.toml", base=tmp_path)
    store = FleetStore(db_engine)
    with pytest.raises(ConfigError, match="NO_SUCH_TURN_SECRET is not set"):
        console_app.build(cfg, store, Ingest(store, "127.0.0.1", 1))
