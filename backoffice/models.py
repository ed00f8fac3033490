"""The tables: each kiosk's current facts, and its events kept once each.

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
