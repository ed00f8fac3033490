"""Commands from the console reach the REAL kiosk link (MqttReporter and CommandGate), signed by the back office's
own key, and come back tracked: done, failed, waiting for an offline kiosk, expired; with permission and reason."""
from __future__ import annotations

import asyncio

import pytest

from backoffice import audit
from backoffice.commands import Commands, ensure_key
from backoffice.models import Kiosk
from kiosk.fleet.gate import CommandGate, SeenIds
from kiosk.fleet.outbox import Outbox
from kiosk.fleet.reporter import MqttReporter
from sqlalchemy.orm import Session
from tests.backoffice.commands_helpers import Api, start_server, until
from wire import messages, signing

KIOSK = "K-REAL"


@pytest.fixture
async def office(tmp_path, broker, monkeypatch):
    audited = []
    monkeypatch.setattr(audit, "record", lambda engine, actor, action, target="", detail=None:
                        action.startswith(("command.", "alert.")) and audited.append((actor, action, target, detail)))
    server = await start_server(tmp_path, broker.port)
    api = Api(server)
    api.audited = audited
    yield server, api
    await api.close()
    await server.stop()


def health() -> messages.Health:
    return messages.Health(state="in_service", mode="home", maintenance_pending=False, devices={}, items={},
                           system={}, versions={}, counters=messages.VisitCounts(0, {}, {}, {}),
                           journal=messages.JournalFlags(True))


async def real_kiosk(tmp_path, broker, server, n: int = 1) -> MqttReporter:
    """The kiosk's own fleet link, trusting the public key the back office made for itself."""
    var = tmp_path / "kiosk"
    var.mkdir(exist_ok=True)
    public = signing.load_private_key(server.cfg.var_dir / "command-signing.key").public_key()
    gate = CommandGate(KIOSK, public, SeenIds(var / f"commands-{n}.db"))
    reporter = MqttReporter(KIOSK, "127.0.0.1", broker.port, Outbox(var / "outbox.db"), var, gate=gate,
                            identity={"name": "一号机", "maintainer_phone": "400-800-1234"})
    await reporter.start()
    reporter.task = asyncio.get_running_loop().create_task(reporter.run_periodic(health))
    return reporter


async def stop_kiosk(reporter: MqttReporter) -> None:
    reporter.task.cancel()
    await reporter.stop()


def kiosk_row(server):
    """The kiosk's row once its birth is stored."""
    return next((k for k in server.store.kiosks() if k["id"] == KIOSK and k["birth_at"]), None)


async def test_a_ping_signed_by_the_back_office_is_obeyed_by_the_real_kiosk_and_tracked_to_done(tmp_path, broker,
                                                                                                 office):
    server, api = office
    reporter = await real_kiosk(tmp_path, broker, server)
    try:
        row = await until(lambda: kiosk_row(server), what="the kiosk in the store")
        assert row["identity"]["maintainer_phone"] == "400-800-1234"  # the identity card is kept with the birth
        await until(reporter.listening.is_set, what="the kiosk listening")
        status, created = await api.post(f"/api/v1/kiosks/{KIOSK}/commands",
                                         {"name": "ping", "reason": "checking the link after a call"})
        assert status == 201 and created["state"] in ("sent", "done") and created["actor"] == "token:olga"
        done = await api.until_state(KIOSK, created["id"], ("done", "failed", "refused", "expired"))
        assert done["state"] == "done" and done["result"] == {"pong": True, "state": "starting"}
        assert reporter.gate.accepted == 1
        # No handler for it on a bare link: the kiosk answers Failed, and the console shows it failed.
        _, reload = await api.post(f"/api/v1/kiosks/{KIOSK}/commands", {"name": "reload_flows", "reason": "new bundle"})
        failed = await api.until_state(KIOSK, reload["id"], ("done", "failed", "refused", "expired"))
        assert failed["state"] == "failed" and "no handler" in failed["result"]["error"]
        assert [(a, action, target) for a, action, target, _ in api.audited] == [
            ("token:olga", "command.create", KIOSK), ("token:olga", "command.create", KIOSK)]
        assert api.audited[0][3]["reason"] == "checking the link after a call"
        # The kiosk's timeline tells the same story beside its faults and restarts.
        _, events = await api.get(f"/api/v1/kiosks/{KIOSK}/events")
        told = [(e["kind"], e["subject"]) for e in events["timeline"] if e["kind"].startswith("command_")]
        assert ("command_answered", "ping: done") in told and ("command_answered", "reload_flows: failed") in told
        assert ("command_sent", "ping · token:olga: checking the link after a call") in told
    finally:
        await stop_kiosk(reporter)


async def test_a_command_for_an_offline_kiosk_waits_and_is_delivered_when_it_comes_back(tmp_path, broker, office):
    server, api = office
    reporter = await real_kiosk(tmp_path, broker, server)
    await until(lambda: kiosk_row(server), what="the kiosk in the store")
    await stop_kiosk(reporter)  # a clean stop: it says `disconnected`
    await until(lambda: kiosk_row(server)["state"] == "disconnected", what="the kiosk disconnected")
    _, created = await api.post(f"/api/v1/kiosks/{KIOSK}/commands", {"name": "ping", "reason": "is it back?"})
    assert created["state"] == "pending"
    assert (await api.command(KIOSK, created["id"]))["state"] == "pending"  # nothing sent into the void
    reporter = await real_kiosk(tmp_path, broker, server, n=2)  # back, with a new session
    try:
        done = await api.until_state(KIOSK, created["id"], ("done", "failed", "refused", "expired"))
        assert done["state"] == "done" and done["result"]["pong"] is True
    finally:
        await stop_kiosk(reporter)


async def test_permission_and_reason_are_checked_before_anything_is_sent(office):
    server, api = office
    server.store.birth(KIOSK, messages.Birth(KIOSK, "b", 1, {}, ["ping"], 1, True, 1.0, {}))
    path = f"/api/v1/kiosks/{KIOSK}/commands"
    assert (await api.post(path, {"name": "ping", "reason": "x"}, who="vera:viewer"))[0] == 403
    status, body = await api.post(path, {"name": "ping", "reason": "   "})
    assert (status, body["field"]) == (400, "reason")
    status, body = await api.post(path, {"name": "ping"})
    assert (status, body["field"]) == (400, "reason")
    status, body = await api.post(path, {"name": "restart", "args": {"force": True}, "reason": "hung"})
    assert (status, body["field"]) == (403, "args")  # ending a citizen's visit needs an administrator
    status, body = await api.post(path, {"name": "format_disk", "reason": "x"})
    assert (status, body["field"]) == (400, "name")
    status, body = await api.post(path, {"name": "restart", "args": {"force": "yes"}, "reason": "x"},
                                  who="ada:admin")
    assert (status, body["field"]) == (400, "args")
    assert (await api.post("/api/v1/kiosks/K-NOPE/commands", {"name": "ping", "reason": "x"}))[0] == 404
    async with api.http.post(api.base + path, json={"name": "ping", "reason": "x"}) as r:
        assert r.status == 401  # nobody signed in
    assert (await api.get(path))[1]["commands"] == [] and api.audited == []
    status, body = await api.post(path, {"name": "restart", "args": {"force": True}, "reason": "frozen screen"},
                                  who="ada:admin")
    assert status == 201 and body["args"] == {"force": True}
    assert [c["name"] for c in (await api.get(path))[1]["commands"]] == ["restart"]
    assert api.audited[0][:3] == ("token:ada", "command.create", KIOSK)


async def test_the_console_page_sends_a_command_from_its_form_and_lists_it(office):
    server, api = office
    server.store.birth(KIOSK, messages.Birth(KIOSK, "b", 1, {}, ["ping"], 1, True, 1.0, {}))
    page = f"/kiosks/{KIOSK}/commands"
    olga, vera = await api.person("olga:operator"), await api.person("vera:viewer")
    try:
        async with olga.post(page, data={"name": "ping", "reason": "", "back": f"/kiosks/{KIOSK}"},
                             allow_redirects=False) as r:
            assert r.status == 400 and "a reason is required" in await r.text()
        async with olga.post(page, data={"name": "ping", "reason": "after the repair", "back": "//evil.example/"},
                             allow_redirects=False) as r:
            assert r.status == 303 and r.headers["Location"] == f"/kiosks/{KIOSK}/commands"
        async with olga.get(page, headers={"Accept-Language": "en"}) as r:
            text = await r.text()
        assert "after the repair" in text and 'data-test="command-form"' in text and "Ping" in text
        async with vera.get(page) as r:
            assert 'data-test="command-form"' not in await r.text()  # a viewer sees the list, not the form
    finally:
        await olga.close()
        await vera.close()


# --------------------------------------------------------------- the component, on a real database
class Clock:
    def __init__(self):
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def _kiosk(engine, kiosk_id: str, state: str) -> None:
    with Session(engine) as s, s.begin():
        s.add(Kiosk(id=kiosk_id, session_seq=1, state=state))


def test_an_offline_kiosks_command_expires_unsent_and_a_late_or_foreign_answer_is_handled(db_engine, tmp_path):
    clock, sent = Clock(), []
    book = Commands(db_engine, ensure_key(tmp_path / "k.key"), lambda topic, payload: sent.append(topic) or True,
                    ttl_s=60, resend_s=20, clock=clock)
    _kiosk(db_engine, "K-1", "lost")
    _kiosk(db_engine, "K-2", "in_service")
    waiting = book.create("K-1", "ping", {}, "reason", "olga")
    assert waiting["state"] == "pending" and sent == []
    other = book.create("K-2", "ping", {}, "reason", "olga")
    assert other["state"] == "sent" and sent == ["kiosk/v1/K-2/cmd"]
    assert not book.reply("K-1", messages.Result(other["id"], {"pong": True, "state": "x"}))  # not K-1's command
    assert book.get(other["id"])["state"] == "sent"
    assert book.reply("K-2", messages.Refused(other["id"], "rate_limited", "later"))  # "later": it keeps waiting
    assert book.get(other["id"])["state"] == "sent" and book.get(other["id"])["result"]["retrying"]
    clock.now += 10
    book.sweep()
    assert book.get(waiting["id"])["state"] == "pending" and sent == ["kiosk/v1/K-2/cmd"]  # K-2: not due again yet
    clock.now += 20
    book.sweep()
    assert sent == ["kiosk/v1/K-2/cmd"] * 2  # unanswered: sent again; never to the offline K-1
    clock.now += 31
    book.sweep()
    assert book.get(waiting["id"])["state"] == "expired" and book.get(other["id"])["state"] == "expired"
    assert len(sent) == 2
    assert [(e["kind"], e["at"]) for e in book.timeline("K-1", 0)] == [("command_expired", waiting["expires"])]
    # The kiosk did run it (an answer that arrives late is still the truth); a copy refused as replayed is not.
    assert not book.reply("K-2", messages.Refused(other["id"], "replayed", "seen"))
    assert book.reply("K-2", messages.Result(other["id"], {"pong": True, "state": "in_service"}))
    assert book.get(other["id"])["state"] == "done"
    assert not book.reply("K-2", messages.Failed(other["id"], "too late"))  # the first answer stands


def test_a_broker_that_takes_nothing_leaves_the_command_waiting(db_engine, tmp_path):
    clock = Clock()
    book = Commands(db_engine, ensure_key(tmp_path / "k.key"), lambda topic, payload: False, clock=clock)
    _kiosk(db_engine, "K-1", "in_service")
    assert book.create("K-1", "ping", {}, "reason", "olga")["state"] == "pending"


def test_the_signing_key_is_made_once_private_and_its_public_half_verifies(tmp_path):
    key = ensure_key(tmp_path / "var" / "command-signing.key")
    assert (tmp_path / "var" / "command-signing.key").stat().st_mode & 0o777 == 0o600
    again = ensure_key(tmp_path / "var" / "command-signing.key")
    envelope = signing.sign(again, kiosk="K", cmd="ping", issued_at=1, expires_at=2)
    assert signing.verify(signing.load_public_key(tmp_path / "var" / "command-signing.pub"), envelope).cmd == "ping"
    assert key.public_key().public_bytes_raw() == again.public_key().public_bytes_raw()
