"""The tables: each kiosk's current facts, its events kept once each, and its health history.

A kiosk's events carry no sequence number of their own (wire.messages.Event: session_seq and at), so the
uniqueness key is (kiosk, session, at, digest of the payload): a redelivery of the same report is a no-op.
"""
from __future__ import annotations

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, UniqueConstraint
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


class Event(Base):
    __tablename__ = "events"
    __table_args__ = (UniqueConstraint("kiosk_id", "session_seq", "at", "digest", name="uq_events_report"),
                      Index("ix_events_kiosk_at", "kiosk_id", "at"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kiosk_id: Mapped[str] = mapped_column(String(32), ForeignKey("kiosks.id"))
    session_seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    at: Mapped[float] = mapped_column(Float)
    digest: Mapped[str] = mapped_column(String(64))  # sha256 of the canonical payload
    payload: Mapped[dict] = mapped_column(JSON)
    received_at: Mapped[float] = mapped_column(Float)


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
