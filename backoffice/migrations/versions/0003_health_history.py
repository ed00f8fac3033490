"""Health samples (full resolution, then hourly) and kiosk changes (births, states) for the timeline.

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "health_samples",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kiosk_id", sa.String(32), sa.ForeignKey("kiosks.id"), nullable=False),
        sa.Column("resolution", sa.Integer, nullable=False),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("n", sa.Integer, nullable=False),
        sa.Column("session_seq", sa.Integer, nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("mode", sa.String(24), nullable=False),
        sa.Column("uptime_s", sa.Float),
        sa.Column("mem_available_mib", sa.Float),
        sa.Column("rss_mib", sa.Float),
        sa.Column("disk_free_mib", sa.Float),
        sa.Column("load1", sa.Float),
        sa.Column("latency_ms", sa.Float),
        sa.Column("restarts", sa.Integer, nullable=False),
        sa.Column("visits", sa.Integer, nullable=False),
        sa.Column("items", sa.JSON, nullable=False),
        sa.Column("paper", sa.JSON, nullable=False),
        sa.UniqueConstraint("kiosk_id", "resolution", "at", name="uq_health_samples_at"),
    )
    op.create_index("ix_health_samples_res_at", "health_samples", ["resolution", "at"])
    op.create_table(
        "kiosk_changes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kiosk_id", sa.String(32), sa.ForeignKey("kiosks.id"), nullable=False),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("session_seq", sa.Integer, nullable=False),
        sa.Column("value", sa.String(64), nullable=False),
        sa.Column("detail", sa.JSON, nullable=False),
    )
    op.create_index("ix_kiosk_changes_kiosk_at", "kiosk_changes", ["kiosk_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_kiosk_changes_kiosk_at", "kiosk_changes")
    op.drop_table("kiosk_changes")
    op.drop_index("ix_health_samples_res_at", "health_samples")
    op.drop_table("health_samples")
