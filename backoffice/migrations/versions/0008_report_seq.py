"""Reports numbered by the kiosk (wire: seq): each stored once on (kiosk, seq); the newest health kept.

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable: reports from kiosks that do not number them keep the digest key of 0001. Both engines let a
    # unique index hold many NULLs, so those rows never collide on it.
    op.add_column("events", sa.Column("seq", sa.BigInteger))
    op.create_index("uq_events_kiosk_seq", "events", ["kiosk_id", "seq"], unique=True)
    op.add_column("kiosks", sa.Column("health_seq", sa.BigInteger))


def downgrade() -> None:
    op.drop_column("kiosks", "health_seq")
    op.drop_index("uq_events_kiosk_seq", "events")
    op.drop_column("events", "seq")
