"""Kiosks (current facts) and events (kept once each).

Revision ID: 0001
Revises:
"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kiosks",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("hall", sa.String(120)),
        sa.Column("region", sa.String(120)),
        sa.Column("session_seq", sa.Integer, nullable=False),
        sa.Column("birth", sa.JSON),
        sa.Column("birth_at", sa.Float),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("state_at", sa.Float),
        sa.Column("health", sa.JSON),
        sa.Column("health_at", sa.Float),
        sa.Column("last_seen", sa.Float),
    )
    op.create_table(
        "events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kiosk_id", sa.String(32), sa.ForeignKey("kiosks.id"), nullable=False),
        sa.Column("session_seq", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("received_at", sa.Float, nullable=False),
        sa.UniqueConstraint("kiosk_id", "session_seq", "at", "digest", name="uq_events_report"),
    )
    op.create_index("ix_events_kiosk_at", "events", ["kiosk_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_events_kiosk_at", "events")
    op.drop_table("events")
    op.drop_table("kiosks")
