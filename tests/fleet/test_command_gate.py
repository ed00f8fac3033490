"""The command gate without a broker: what an attacker who can publish on the topic gets refused."""
import json
import os
import stat
import time

import pytest
from structlog.testing import capture_logs

from kiosk.fleet.gate import CommandGate, Refusal, SeenIds
from tests.fleet.signed import BackOffice
from wire.commands import NAMES as COMMANDS
from wire.messages import CommandStats


@pytest.fixture
def office(tmp_path):
    return BackOffice(tmp_path)


def gate(office, tmp_path, **kw):
    return CommandGate("K1", office.public, SeenIds(tmp_path / "commands.db"), known=COMMANDS, **kw)


def reason(verdict):
    return verdict.reason if isinstance(verdict, Refusal) else "accepted"


def test_a_signed_current_command_for_this_kiosk_is_admitted_once(office, tmp_path):
    g = gate(office, tmp_path)
    raw = office.payload("K1", "restart")
    cmd = g.admit(raw)
    assert (cmd.cmd, cmd.kiosk) == ("restart", "K1")
    assert reason(g.admit(raw)) == "replayed"
    assert g.stats() == CommandStats(enabled=True, accepted=1, refused={"replayed": 1})


def test_forgeries_are_refused_each_with_its_reason(office, tmp_path):
    g = gate(office, tmp_path)
    (tmp_path / "other").mkdir()
    other = BackOffice(tmp_path / "other")
    now = int(time.time())
    good = office.command("K1", "restart")
    tampered = dict(good, args={"force": True})
    unsigned = {k: v for k, v in office.command("K1", "restart").items() if k != "sig"}
    cases = {
        "unsigned": json.dumps(unsigned),
        "bad_signature": json.dumps(tampered),
        "bad_signature ": json.dumps(other.command("K1", "restart")),  # signed, by a key this kiosk does not trust
        "wrong_kiosk": json.dumps(office.command("K2", "restart")),
        "expired": json.dumps(office.command("K1", "restart", issued_at=now - 4000, ttl=3600)),
        "not_yet_valid": json.dumps(office.command("K1", "restart", issued_at=now + 3600)),
        "lifetime_too_long": json.dumps(office.command("K1", "restart", ttl=400 * 86400)),
        "malformed": b"\xff not json",
        "malformed ": json.dumps(dict(good, extra=1)),
        "malformed  ": '{"id": "a", "id": "b"}',
        "malformed   ": "[1, 2]",
        "malformed     ": "[" * 3000,  # deeper than the parser's recursion, within the size limit
        "malformed    ": json.dumps(dict(good, issued_at=float(good["issued_at"]))),
        "unknown_command": json.dumps(office.command("K1", "format_disk")),
    }
    got = {name: reason(g.admit(raw.encode() if isinstance(raw, str) else raw)) for name, raw in cases.items()}
    assert got == {name: name.strip() for name in cases}
    assert g.accepted == 0 and sum(g.refused.values()) == len(cases)


def test_a_retained_command_is_refused_even_when_properly_signed(office, tmp_path):
    g = gate(office, tmp_path)
    raw = office.payload("K1", "restart")
    verdict = g.admit(raw, retained=True)
    assert reason(verdict) == "retained" and verdict.id == json.loads(raw)["id"]


def test_without_a_public_key_every_command_is_refused(office, tmp_path):
    g = CommandGate("K1", None, None, known=COMMANDS)
    assert reason(g.admit(office.payload("K1", "ping"))) == "disabled"
    assert reason(g.admit(b'{"id": "c1", "cmd": "restart"}')) == "disabled"
    assert g.stats().enabled is False


def test_seen_ids_survive_a_restart_are_private_and_are_pruned_after_expiry(office, tmp_path):
    raw = office.payload("K1", "restart", ttl=60)
    assert reason(gate(office, tmp_path).admit(raw)) == "accepted"
    assert reason(gate(office, tmp_path).admit(raw)) == "replayed"  # a new gate: the kiosk restarted
    assert stat.S_IMODE(os.stat(tmp_path / "commands.db").st_mode) == 0o600
    later = gate(office, tmp_path, wallclock=lambda: time.time() + 3600)
    assert reason(later.admit(office.payload("K1", "ping", issued_at=int(time.time()) + 3600))) == "accepted"
    assert len(later.seen) == 1  # the restart's id was dropped once it could only be refused as expired


def test_the_rate_limit_uses_monotonic_time_and_forgeries_do_not_spend_it(office, tmp_path):
    now = [0.0]
    g = gate(office, tmp_path, per_min=60, burst=3, monotonic=lambda: now[0])
    for _ in range(50):
        g.admit(json.dumps(dict(office.command("K1", "ping"), kiosk="K1 ")).encode())  # forged: refused early
    got = [reason(g.admit(office.payload("K1", "ping"))) for _ in range(5)]
    assert got == ["accepted"] * 3 + ["rate_limited"] * 2
    now[0] += 1.0  # one more a second
    assert [reason(g.admit(office.payload("K1", "ping"))) for _ in range(2)] == ["accepted", "rate_limited"]


def test_a_flood_of_forgeries_is_counted_but_logged_once_a_minute(office, tmp_path):
    now = [0.0]
    g = gate(office, tmp_path, monotonic=lambda: now[0])
    with capture_logs() as logs:
        for _ in range(1000):
            g.admit(b'{"id": "x", "cmd": "restart"}')
        now[0] += 61
        g.admit(b'{"id": "x", "cmd": "restart"}')
    refused = [e for e in logs if e["event"] == "command.refused"]
    assert g.refused["unsigned"] == 1001
    assert [e["since_last_logged"] for e in refused] == [1, 1000]
