"""The tables: each kiosk's current facts, and its events kept once each.

An event is kept once on (kiosk, seq) when the kiosk numbered it (wire: Event.seq); an older kiosk's events
carry no number, and for them the key is (kiosk, session, at, digest of the payload). Either way a
redelivery of the same report is a no-op.
"""
from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Float, ForeignKey, Index, Integer, String, UniqueConstraint
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
