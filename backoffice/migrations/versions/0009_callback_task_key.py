"""Call-back tasks are kept once per key: the call they were booked from, or a dead-end request's key, so a
request delivered twice makes one task (backoffice/callbacks_inbox.py).

Revision ID: 0009
Revises: 0008
"""
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("uq_helpdesk_callbacks_call_id", "helpdesk_callbacks", ["call_id"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_helpdesk_callbacks_call_id", "helpdesk_callbacks")
