"""The tables: each kiosk's current facts, its events kept once each, and its health history.

An event is kept once on (kiosk, seq) when the kiosk numbered it (wire: Event.seq); an older kiosk's events
carry no number, and for them the key is (kiosk, session, at, digest of the payload). Either way a
redelivery of the same report is a no-op.
"""
from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Boolean, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Kiosk(Base):
    __tablename__ = "kiosks"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    hall: Mapped[str | None] = mapped_column(String(120))  # from the identity card, coming with the birth message
    region: Mapped[str | None] = mapped_column(String(120))
    session_seq: Mapped[int] = mapped_column(Integer, default=0)  # of the latest birth: older Wills are stale
    birth: Mapped[dict | None] = mapped_column(JSON)
    birth_at: Mapped[float | None] = mapped_column(Float)
    state: Mapped[str] = mapped_column(String(20), default="unknown")
    state_at: Mapped[float | None] = mapped_column(Float)  # the kiosk's clock
    health: Mapped[dict | None] = mapped_column(JSON)
    health_at: Mapped[float | None] = mapped_column(Float)
    last_seen: Mapped[float | None] = mapped_column(Float)  # the back office's clock, when anything arrived
    health_seq: Mapped[int | None] = mapped_column(BigInteger)  # of the stored health: an older one never replaces it


class Event(Base):
    __tablename__ = "events"
    __table_args__ = (UniqueConstraint("kiosk_id", "session_seq", "at", "digest", name="uq_events_report"),
                      Index("ix_events_kiosk_at", "kiosk_id", "at"),
                      Index("uq_events_kiosk_seq", "kiosk_id", "seq", unique=True))
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kiosk_id: Mapped[str] = mapped_column(String(32), ForeignKey("kiosks.id"))
    session_seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    at: Mapped[float] = mapped_column(Float)
    digest: Mapped[str] = mapped_column(String(64))  # sha256 of the canonical payload
    payload: Mapped[dict] = mapped_column(JSON)
    received_at: Mapped[float] = mapped_column(Float)
    seq: Mapped[int | None] = mapped_column(BigInteger)  # the kiosk's report number (wire: Event.seq), when sent


# --- Accounts, sessions, API tokens and the audit log (backoffice/auth/, backoffice/audit.py) ---
# Times are wall-clock seconds (time.time()): they are stored, outlive the process and are compared across
# workers, which a monotonic clock cannot do. Secrets are never stored: sessions and tokens are kept as the
# SHA-256 of a 256-bit random value (enough for values no one can guess), passwords as argon2id hashes.


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(20))  # one of backoffice.auth.ROLES; not an enum, so roles can grow
    password_hash: Mapped[str] = mapped_column(String(255))
    default_password: Mapped[bool] = mapped_column(Boolean, default=False)  # a known default: refused in production
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)  # consecutive, reset by a good login
    locked_until: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[float] = mapped_column(Float)
    password_changed_at: Mapped[float] = mapped_column(Float)
    last_login_at: Mapped[float | None] = mapped_column(Float)


class WebSession(Base):
    __tablename__ = "web_sessions"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 hex of the cookie's token
    user_id: Mapped[int] = mapped_column(Integer, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[float] = mapped_column(Float)
    last_seen: Mapped[float] = mapped_column(Float)
    address: Mapped[str] = mapped_column(String(64), default="")


class ApiToken(Base):
    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))  # the token's first characters, to tell tokens apart in a list
    created_at: Mapped[float] = mapped_column(Float)
    created_by: Mapped[str] = mapped_column(String(120))
    expires_at: Mapped[float | None] = mapped_column(Float)
    last_used_at: Mapped[float | None] = mapped_column(Float)


class AuditEntry(Base):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_actor", "actor"), Index("ix_audit_action", "action"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[float] = mapped_column(Float, index=True)
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(60))
    target: Mapped[str] = mapped_column(String(200), default="")
    detail: Mapped[dict] = mapped_column(JSON)
# ---------------------------------------------------------------- history (health samples, timeline changes)
# Times here are the back office's clock when the report arrived: one clock for the whole fleet, so retention
# and charts do not depend on a kiosk whose clock is wrong. The kiosk's own stamp stays in the events table.
class HealthSample(Base):
    """One health report (resolution 0) or one kiosk-hour of them (resolution 3600, `n` reports merged)."""
    __tablename__ = "health_samples"
    __table_args__ = (UniqueConstraint("kiosk_id", "resolution", "at", name="uq_health_samples_at"),
                      Index("ix_health_samples_res_at", "resolution", "at"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kiosk_id: Mapped[str] = mapped_column(String(32), ForeignKey("kiosks.id"))
    resolution: Mapped[int] = mapped_column(Integer)  # seconds a row covers: 0 for one report
    at: Mapped[float] = mapped_column(Float)
    n: Mapped[int] = mapped_column(Integer, default=1)
    session_seq: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(20))
    mode: Mapped[str] = mapped_column(String(24))
    uptime_s: Mapped[float | None] = mapped_column(Float)
    mem_available_mib: Mapped[float | None] = mapped_column(Float)
    rss_mib: Mapped[float | None] = mapped_column(Float)
    disk_free_mib: Mapped[float | None] = mapped_column(Float)
    load1: Mapped[float | None] = mapped_column(Float)
    latency_ms: Mapped[float | None] = mapped_column(Float)  # Health.system["backend_latency_ms"] when sent
    restarts: Mapped[int] = mapped_column(Integer, default=0)  # since the previous row (uptime went back)
    visits: Mapped[int] = mapped_column(Integer, default=0)  # since the previous row
    items: Mapped[dict] = mapped_column(JSON)  # item -> visits (completed + failed) since the previous row
    paper: Mapped[dict] = mapped_column(JSON)  # printer role -> 2 ok, 1 low, 0 out (the worst in an hour)


class KioskChange(Base):
    """A birth (a new connection: restart or reconnect) or a change of the retained state, for the timeline."""
    __tablename__ = "kiosk_changes"
    __table_args__ = (Index("ix_kiosk_changes_kiosk_at", "kiosk_id", "at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kiosk_id: Mapped[str] = mapped_column(String(32), ForeignKey("kiosks.id"))
    at: Mapped[float] = mapped_column(Float)
    kind: Mapped[str] = mapped_column(String(20))  # birth, state
    session_seq: Mapped[int] = mapped_column(Integer)
    value: Mapped[str] = mapped_column(String(64))  # the boot id of a birth, the new state
    detail: Mapped[dict] = mapped_column(JSON)  # a birth's versions
class Command(Base):
    """A command from the console to one kiosk, from its creation to the kiosk's answer or its expiry.

    state: pending (waiting for the kiosk to be online), sent, done, failed, refused, expired. Times are the
    back office's clock; the signed envelope carries created and expires as issued_at and expires_at."""
    __tablename__ = "commands"
    __table_args__ = (Index("ix_commands_kiosk_created", "kiosk_id", "created"),
                      Index("ix_commands_state", "state"))
    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # the envelope's id: replies name it
    kiosk_id: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(32))
    args: Mapped[dict] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(String(500))
    actor: Mapped[str] = mapped_column(String(64))
    created: Mapped[float] = mapped_column(Float)
    expires: Mapped[float] = mapped_column(Float)
    state: Mapped[str] = mapped_column(String(10))
    sends: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[float | None] = mapped_column(Float)
    answered_at: Mapped[float | None] = mapped_column(Float)
    result: Mapped[dict | None] = mapped_column(JSON)  # the kiosk's answer, or {"refused"|"error": ...}


# --- The help desk (backoffice/helpdesk/): calls, agents, the signal relay, the event log, callbacks ---
# Shared through the database so that any number of `backoffice serve` processes on one database form one
# help desk: a kiosk on one and an agent on another still connect. Times are wall-clock seconds, compared
# across processes. No column holds a citizen's data in clear: context is relayed, never stored, and the
# callback phone is kept encrypted (phone_sealed) beside a masked form for lists.


class HelpCall(Base):
    __tablename__ = "helpdesk_calls"
    __table_args__ = (Index("ix_helpdesk_calls_state", "state", "queued_at"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kiosk_id: Mapped[str] = mapped_column(String(32), index=True)
    kiosk_conn: Mapped[str] = mapped_column(String(32))  # the kiosk's current socket, across processes
    kiosk_seen_at: Mapped[float] = mapped_column(Float)
    item: Mapped[str] = mapped_column(String(200))
    step: Mapped[str] = mapped_column(String(200))
    locale: Mapped[str] = mapped_column(String(20))
    skill: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(20))  # waiting, ringing, connected, wrap_up, ended
    entered_at: Mapped[float] = mapped_column(Float)
    queued_at: Mapped[float] = mapped_column(Float)  # queue order; a transfer keeps the call's place at the head
    agent: Mapped[str | None] = mapped_column(String(64))  # ringing, talking to, or wrapping up
    target_agent: Mapped[str | None] = mapped_column(String(64))  # a transfer to one agent
    declined: Mapped[list] = mapped_column(JSON)  # agents who rejected it: not offered again
    ring_deadline: Mapped[float | None] = mapped_column(Float)
    answered_at: Mapped[float | None] = mapped_column(Float)
    ended_at: Mapped[float | None] = mapped_column(Float)
    end_reason: Mapped[str | None] = mapped_column(String(30))
    note: Mapped[str] = mapped_column(String(1000), default="")  # from the agent who transferred it
    outcome: Mapped[str | None] = mapped_column(String(30))
    callback_offered: Mapped[bool] = mapped_column(Boolean, default=False)
    told: Mapped[str] = mapped_column(String(60), default="")  # the last queue.update sent, to send changes only
    resume_hash: Mapped[str] = mapped_column(String(64))


class HelpAgent(Base):
    __tablename__ = "helpdesk_agents"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    state: Mapped[str] = mapped_column(String(20))  # wire.signaling.AGENT_STATUSES
    since: Mapped[float] = mapped_column(Float)
    idle_since: Mapped[float] = mapped_column(Float)  # longest idle first
    call_id: Mapped[str | None] = mapped_column(String(32))
    conn: Mapped[str] = mapped_column(String(32), default="")
    seen_at: Mapped[float] = mapped_column(Float)


class HelpSignal(Base):
    """The relay between processes: a frame for one endpoint, taken (deleted) by the process holding it."""
    __tablename__ = "helpdesk_signals"
    __table_args__ = (Index("ix_helpdesk_signals_to", "to_kind", "to_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    to_kind: Mapped[str] = mapped_column(String(10))  # kiosk, agent
    to_id: Mapped[str] = mapped_column(String(64))
    call_id: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(30))
    body: Mapped[dict] = mapped_column(JSON)
    at: Mapped[float] = mapped_column(Float)


class HelpEvent(Base):
    """The event log the metrics are computed from (Asterisk queue_log's events, in lower case)."""
    __tablename__ = "helpdesk_events"
    __table_args__ = (Index("ix_helpdesk_events_at", "at"), Index("ix_helpdesk_events_call", "call_id"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[float] = mapped_column(Float)
    call_id: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(30))
    agent: Mapped[str] = mapped_column(String(64), default="")
    kiosk_id: Mapped[str] = mapped_column(String(32), default="")
    skill: Mapped[str] = mapped_column(String(40), default="")
    data: Mapped[dict] = mapped_column(JSON)


class HelpCallback(Base):
    __tablename__ = "helpdesk_callbacks"
    # call_id: the call it was booked from, or a dead-end request's key (callbacks_inbox.key): one task each
    __table_args__ = (Index("uq_helpdesk_callbacks_call_id", "call_id", unique=True),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    call_id: Mapped[str] = mapped_column(String(32))
    kiosk_id: Mapped[str] = mapped_column(String(32))
    item: Mapped[str] = mapped_column(String(200))
    skill: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(20))  # open, assigned, done, failed
    phone_sealed: Mapped[str] = mapped_column(String(200))  # AES-GCM, base64: the protected column
    phone_masked: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[float] = mapped_column(Float)
    target_at: Mapped[float] = mapped_column(Float)
    assigned_to: Mapped[str | None] = mapped_column(String(64))
    closed_at: Mapped[float | None] = mapped_column(Float)


class KioskCredential(Base):
    """A kiosk's help-desk token, kept as its SHA-256 (32 random bytes: no stretching needed)."""
    __tablename__ = "helpdesk_kiosk_credentials"
    kiosk_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[float] = mapped_column(Float)
