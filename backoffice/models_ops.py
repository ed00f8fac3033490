"""The operations side's tables: alerts, maintenance windows, the births that reveal a restart loop, and the
visits that hall managers' statistics are counted from.

An alert is *active* while it still stands for its kiosk and rule: a condition alert until its condition is
gone, an event alert until an operator acknowledges it. `active_key` ("<kiosk>/<rule>") is set exactly then and
is unique, so two workers meeting the same fault raise one alert; NULLs never collide on SQLite or PostgreSQL.
"""
from __future__ import annotations

from sqlalchemy import JSON, Float, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backoffice.models import Base  # one metadata; models.py does not import this module back (no cycle)


class Alert(Base):
    __tablename__ = "alerts"
    __table_args__ = (Index("ix_alerts_updated", "updated_at"), Index("ix_alerts_kiosk", "kiosk_id"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kiosk_id: Mapped[str] = mapped_column(String(32))
    hall: Mapped[str | None] = mapped_column(String(120))
    region: Mapped[str | None] = mapped_column(String(120))
    rule: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(12))  # condition | event
    severity: Mapped[str] = mapped_column(String(12))  # warning | critical
    status: Mapped[str] = mapped_column(String(16))  # open | acknowledged | cleared
    active_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    detail: Mapped[dict] = mapped_column(JSON)  # device roles and figures, never free text from the kiosk
    raised_at: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float] = mapped_column(Float)
    cleared_at: Mapped[float | None] = mapped_column(Float)
    acked_at: Mapped[float | None] = mapped_column(Float)
    acked_by: Mapped[str | None] = mapped_column(String(64))
    notified: Mapped[bool] = mapped_column(default=False)  # its raise was sent, so its clear is sent too


class MaintenanceWindow(Base):
    """No alert is raised for a kiosk (or every kiosk of a hall) between starts_at and ends_at."""
    __tablename__ = "maintenance_windows"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kiosk_id: Mapped[str | None] = mapped_column(String(32))
    hall: Mapped[str | None] = mapped_column(String(120))
    starts_at: Mapped[float] = mapped_column(Float)
    ends_at: Mapped[float] = mapped_column(Float, index=True)
    reason: Mapped[str] = mapped_column(String(200), default="")
    created_by: Mapped[str] = mapped_column(String(64))


class KioskBirth(Base):
    """One row per session a kiosk started, stamped with the back office's clock; pruned past the loop window."""
    __tablename__ = "kiosk_births"
    __table_args__ = (UniqueConstraint("kiosk_id", "session_seq", name="uq_kiosk_births"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kiosk_id: Mapped[str] = mapped_column(String(32))
    session_seq: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[float] = mapped_column(Float, index=True)


class VisitFact(Base):
    """A Visit event flattened into plain columns (day and hour in the statistics' time zone), so the
    statistics are GROUP BYs that read the same on SQLite and PostgreSQL; one row per stored event."""
    __tablename__ = "visit_facts"
    __table_args__ = (Index("ix_visit_facts_day_hall", "day", "hall"),)
    event_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    kiosk_id: Mapped[str] = mapped_column(String(32))
    hall: Mapped[str] = mapped_column(String(120))  # "" when the kiosk has no identity card yet
    flow: Mapped[str] = mapped_column(String(64))
    result: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(80))
    pages: Mapped[int] = mapped_column(Integer)
    tickets: Mapped[int] = mapped_column(Integer)
    at: Mapped[float] = mapped_column(Float)
    day: Mapped[str] = mapped_column(String(10))  # YYYY-MM-DD
    hour: Mapped[int] = mapped_column(Integer)
