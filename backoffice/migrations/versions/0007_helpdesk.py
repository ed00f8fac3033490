"""The help desk: calls, agents, the signal relay, the event log, callbacks, kiosk credentials.

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "helpdesk_calls",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("kiosk_id", sa.String(32), nullable=False),
        sa.Column("kiosk_conn", sa.String(32), nullable=False),
        sa.Column("kiosk_seen_at", sa.Float, nullable=False),
        sa.Column("item", sa.String(200), nullable=False),
        sa.Column("step", sa.String(200), nullable=False),
        sa.Column("locale", sa.String(20), nullable=False),
        sa.Column("skill", sa.String(40), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("entered_at", sa.Float, nullable=False),
        sa.Column("queued_at", sa.Float, nullable=False),
        sa.Column("agent", sa.String(64)),
        sa.Column("target_agent", sa.String(64)),
        sa.Column("declined", sa.JSON, nullable=False),
        sa.Column("ring_deadline", sa.Float),
        sa.Column("answered_at", sa.Float),
        sa.Column("ended_at", sa.Float),
        sa.Column("end_reason", sa.String(30)),
        sa.Column("note", sa.String(1000), nullable=False),
        sa.Column("outcome", sa.String(30)),
        sa.Column("callback_offered", sa.Boolean, nullable=False),
        sa.Column("told", sa.String(60), nullable=False),
        sa.Column("resume_hash", sa.String(64), nullable=False),
    )
    op.create_index("ix_helpdesk_calls_kiosk_id", "helpdesk_calls", ["kiosk_id"])
    op.create_index("ix_helpdesk_calls_state", "helpdesk_calls", ["state", "queued_at"])
    op.create_table(
        "helpdesk_agents",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("since", sa.Float, nullable=False),
        sa.Column("idle_since", sa.Float, nullable=False),
        sa.Column("call_id", sa.String(32)),
        sa.Column("conn", sa.String(32), nullable=False),
        sa.Column("seen_at", sa.Float, nullable=False),
    )
    op.create_table(
        "helpdesk_signals",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("to_kind", sa.String(10), nullable=False),
        sa.Column("to_id", sa.String(64), nullable=False),
        sa.Column("call_id", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("body", sa.JSON, nullable=False),
        sa.Column("at", sa.Float, nullable=False),
    )
    op.create_index("ix_helpdesk_signals_to", "helpdesk_signals", ["to_kind", "to_id"])
    op.create_table(
        "helpdesk_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("call_id", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("agent", sa.String(64), nullable=False),
        sa.Column("kiosk_id", sa.String(32), nullable=False),
        sa.Column("skill", sa.String(40), nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
    )
    op.create_index("ix_helpdesk_events_at", "helpdesk_events", ["at"])
    op.create_index("ix_helpdesk_events_call", "helpdesk_events", ["call_id"])
    op.create_table(
        "helpdesk_callbacks",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("call_id", sa.String(32), nullable=False),
        sa.Column("kiosk_id", sa.String(32), nullable=False),
        sa.Column("item", sa.String(200), nullable=False),
        sa.Column("skill", sa.String(40), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("phone_sealed", sa.String(200), nullable=False),
        sa.Column("phone_masked", sa.String(40), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("target_at", sa.Float, nullable=False),
        sa.Column("assigned_to", sa.String(64)),
        sa.Column("closed_at", sa.Float),
    )
    op.create_table(
        "helpdesk_kiosk_credentials",
        sa.Column("kiosk_id", sa.String(32), primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )


def downgrade() -> None:
    for table in ("helpdesk_kiosk_credentials", "helpdesk_callbacks", "helpdesk_events", "helpdesk_signals",
                  "helpdesk_agents", "helpdesk_calls"):
        op.drop_table(table)
