"""Commands from the console to kiosks, with their state and the kiosk's answer.

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "commands",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("kiosk_id", sa.String(32), nullable=False),
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("args", sa.JSON, nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("created", sa.Float, nullable=False),
        sa.Column("expires", sa.Float, nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("sends", sa.Integer, nullable=False),
        sa.Column("sent_at", sa.Float),
        sa.Column("answered_at", sa.Float),
        sa.Column("result", sa.JSON),
    )
    op.create_index("ix_commands_kiosk_created", "commands", ["kiosk_id", "created"])
    op.create_index("ix_commands_state", "commands", ["state"])


def downgrade() -> None:
    op.drop_index("ix_commands_state", "commands")
    op.drop_index("ix_commands_kiosk_created", "commands")
    op.drop_table("commands")
