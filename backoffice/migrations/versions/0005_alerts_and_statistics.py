"""Alerts, maintenance windows, kiosk births (restart loops) and visit facts (statistics).

Revision ID: 0005
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kiosk_id", sa.String(32), nullable=False),
        sa.Column("hall", sa.String(120)),
        sa.Column("region", sa.String(120)),
        sa.Column("rule", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("severity", sa.String(12), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("active_key", sa.String(64), unique=True),
        sa.Column("detail", sa.JSON, nullable=False),
        sa.Column("raised_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.Column("cleared_at", sa.Float),
        sa.Column("acked_at", sa.Float),
        sa.Column("acked_by", sa.String(64)),
        sa.Column("notified", sa.Boolean, nullable=False),
    )
    op.create_index("ix_alerts_updated", "alerts", ["updated_at"])
    op.create_index("ix_alerts_kiosk", "alerts", ["kiosk_id"])
    op.create_table(
        "maintenance_windows",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kiosk_id", sa.String(32)),
        sa.Column("hall", sa.String(120)),
        sa.Column("starts_at", sa.Float, nullable=False),
        sa.Column("ends_at", sa.Float, nullable=False),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
    )
    op.create_index("ix_maintenance_windows_ends_at", "maintenance_windows", ["ends_at"])
    op.create_table(
        "kiosk_births",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kiosk_id", sa.String(32), nullable=False),
        sa.Column("session_seq", sa.Integer, nullable=False),
        sa.Column("received_at", sa.Float, nullable=False),
        sa.UniqueConstraint("kiosk_id", "session_seq", name="uq_kiosk_births"),
    )
    op.create_index("ix_kiosk_births_received_at", "kiosk_births", ["received_at"])
    op.create_table(
        "visit_facts",
        sa.Column("event_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("kiosk_id", sa.String(32), nullable=False),
        sa.Column("hall", sa.String(120), nullable=False),
        sa.Column("flow", sa.String(64), nullable=False),
        sa.Column("result", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(80), nullable=False),
        sa.Column("pages", sa.Integer, nullable=False),
        sa.Column("tickets", sa.Integer, nullable=False),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("hour", sa.Integer, nullable=False),
    )
    op.create_index("ix_visit_facts_day_hall", "visit_facts", ["day", "hall"])


def downgrade() -> None:
    op.drop_table("visit_facts")
    op.drop_table("kiosk_births")
    op.drop_table("maintenance_windows")
    op.drop_table("alerts")
