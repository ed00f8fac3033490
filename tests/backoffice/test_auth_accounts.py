"""Accounts without the web: hashing, policy, lockout with a moved clock, the demo accounts, the audit log."""
import logging

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice import audit
from backoffice.auth import passwords
from backoffice.auth.accounts import AccountError, Accounts
from backoffice.auth.demo import DEMO_ACCOUNTS, ensure_demo_accounts
from backoffice.auth.sessions import Sessions
from backoffice.config import AuthConfig
from backoffice.models import User
from tests.backoffice.auth_helpers import Clock

PASSWORD = "Tr0ub4dor&3-horse"


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def accounts(db_engine, clock):
    a = Accounts(db_engine, AuthConfig(lockout_failures=3, lockout_minutes=10), clock)
    a.add("alice", "operator", PASSWORD, actor="test")
    return a


def stored_hash(engine, name):
    with Session(engine) as s:
        return s.scalar(select(User.password_hash).where(User.name == name))


def test_the_password_is_stored_as_an_argon2id_hash_that_verifies(db_engine, accounts):
    h = stored_hash(db_engine, "alice")
    assert h.startswith("$argon2id$") and PASSWORD not in h
    assert "m=65536" in h  # memory-hard: 64 MiB per check
    assert PasswordHasher().verify(h, PASSWORD)


def test_the_right_password_signs_in_and_a_wrong_one_or_an_unknown_name_does_not(accounts):
    assert accounts.sign_in("alice", PASSWORD, address="10.0.0.1").user.role == "operator"
    assert accounts.sign_in("alice", PASSWORD + "x", address="10.0.0.1").user is None
    assert accounts.sign_in("mallory", PASSWORD, address="10.0.0.1").user is None


def test_lockout_after_n_failures_refuses_even_the_right_password_until_the_window_passes(accounts, clock):
    for _ in range(2):
        assert accounts.sign_in("alice", "wrong-password", address="a").reason == "bad"
    assert accounts.sign_in("alice", "wrong-password", address="a").reason == "lockout"
    assert accounts.sign_in("alice", PASSWORD, address="a").reason == "locked"
    clock.advance(9 * 60)
    assert accounts.sign_in("alice", PASSWORD, address="a").reason == "locked"
    clock.advance(61)
    assert accounts.sign_in("alice", PASSWORD, address="a").reason == "ok"
    # the count starts again from zero after a good sign-in
    for _ in range(2):
        accounts.sign_in("alice", "wrong-password", address="a")
    assert accounts.sign_in("alice", PASSWORD, address="a").reason == "ok"


def test_a_new_password_unlocks_the_account_and_ends_its_sessions(db_engine, accounts, clock):
    sessions = Sessions(db_engine, accounts.cfg, clock)
    token = sessions.create("alice", "a")
    for _ in range(3):
        accounts.sign_in("alice", "wrong-password", address="a")
    accounts.set_password("alice", "a-brand-new-passphrase", actor="cli:root")
    assert sessions.resolve(token) is None
    assert accounts.sign_in("alice", "a-brand-new-passphrase", address="a").reason == "ok"
    assert accounts.sign_in("alice", PASSWORD, address="a").user is None


def test_a_disabled_account_cannot_sign_in_and_its_sessions_end(db_engine, accounts, clock):
    sessions = Sessions(db_engine, accounts.cfg, clock)
    token = sessions.create("alice", "a")
    accounts.set_disabled("alice", True, actor="cli:root")
    assert sessions.resolve(token) is None
    assert accounts.sign_in("alice", PASSWORD, address="a").reason == "disabled"
    accounts.set_disabled("alice", False, actor="cli:root")
    assert accounts.sign_in("alice", PASSWORD, address="a").reason == "ok"


def test_sessions_end_when_idle_and_at_their_absolute_limit(db_engine, accounts, clock):
    sessions = Sessions(db_engine, AuthConfig(session_idle_minutes=30, session_max_hours=2), clock)
    idle = sessions.create("alice", "a")
    clock.advance(31 * 60)
    assert sessions.resolve(idle) is None
    busy = sessions.create("alice", "a")
    for _ in range(5):  # used every 25 minutes: never idle, but ends two hours after sign-in
        clock.advance(25 * 60)
        alive = sessions.resolve(busy)
    assert alive is None
    assert sessions.resolve("no-such-token") is None


@pytest.mark.parametrize("password, why", [("Xq7!zz", "shorter than 10"), ("Pa55!", "shorter"),
                                           ("1234567890", "known default"), ("alice-the-op", None),
                                           ("Alice", "shorter"), ("ecila-ecila", None), ("admin-demo", "known default")])
def test_password_policy_names_the_reason_never_the_password(accounts, password, why):
    if why is None:
        accounts.add(f"u{len(password)}", "viewer", password, actor="test")
        return
    with pytest.raises(passwords.PasswordRefused, match=why) as info:
        accounts.add("bob", "viewer", password, actor="test")
    assert password not in str(info.value)


def test_an_account_named_as_its_password_is_refused(accounts):
    with pytest.raises(passwords.PasswordRefused, match="known default or the account's name"):
        accounts.add("operator-on-duty", "viewer", "operator-on-duty", actor="test")


def test_unknown_roles_and_duplicate_names_are_refused(accounts):
    with pytest.raises(AccountError, match="unknown role 'root'"):
        accounts.add("bob", "root", PASSWORD, actor="test")
    with pytest.raises(AccountError, match="exists"):
        accounts.add("alice", "viewer", PASSWORD, actor="test")


def test_demo_accounts_sign_in_in_demo_mode_and_never_in_production(db_engine, clock):
    assert [(n, r) for n, r, _ in ensure_demo_accounts(db_engine)] == [("viewer", "viewer"),
                                                                       ("operator", "operator"), ("admin", "admin")]
    ensure_demo_accounts(db_engine)  # again: no error, nothing doubled
    demo = Accounts(db_engine, AuthConfig(mode="demo"), clock)
    production = Accounts(db_engine, AuthConfig(mode="production"), clock)
    assert production.with_default_password() == ["admin", "operator", "viewer"]
    for name, role, password in DEMO_ACCOUNTS:
        assert demo.sign_in(name, password, address="a").user.role == role
        assert production.sign_in(name, password, address="a").reason == "default"
    production.set_password("admin", "a-real-admin-passphrase", actor="cli:root")
    assert production.sign_in("admin", "a-real-admin-passphrase", address="a").reason == "ok"
    assert production.with_default_password() == ["operator", "viewer"]


def test_every_sign_in_and_change_is_audited_and_no_password_reaches_the_log_or_the_audit(db_engine, accounts,
                                                                                          caplog, capsys):
    caplog.set_level(logging.DEBUG)
    accounts.sign_in("alice", PASSWORD, address="10.1.1.1")
    accounts.sign_in("alice", "a-wrong-one-xyz", address="10.1.1.1")
    accounts.sign_in("nobody", "a-wrong-one-xyz", address="10.1.1.2")
    accounts.set_role("alice", "admin", actor="cli:root")
    rows = audit.entries(db_engine)
    assert [(r.actor, r.action, r.target) for r in rows] == [
        ("cli:root", "user.role", "alice"), ("nobody", "login.failure", "nobody"),
        ("alice", "login.failure", "alice"), ("alice", "login.success", "alice"), ("test", "user.add", "alice")]
    assert rows[2].detail == {"address": "10.1.1.1", "reason": "bad"}
    out = capsys.readouterr()
    everything = caplog.text + out.out + out.err + repr(rows)
    assert PASSWORD not in everything and "a-wrong-one-xyz" not in everything


def test_the_audit_log_filters_by_actor_and_by_action_family(db_engine):
    audit.record(db_engine, "ops1", "command.restart", "K-001", {"reason": "frozen screen"})
    audit.record(db_engine, "ops2", "command.ping", "K-002")
    audit.record(db_engine, "ops1", "login.success", "ops1")
    audit.record(db_engine, "ops1", "commandeer", "x")  # not of the "command" family
    assert [r.target for r in audit.entries(db_engine, actor="ops1")] == ["x", "ops1", "K-001"]
    assert [r.target for r in audit.entries(db_engine, action="command")] == ["K-002", "K-001"]
    assert [r.target for r in audit.entries(db_engine, action="command.ping")] == ["K-002"]
    assert audit.entries(db_engine, action="command", actor="ops1")[0].detail == {"reason": "frozen screen"}
