"""Alembic's entry: always handed a connection by backoffice.db.upgrade, never a URL of its own."""
from alembic import context

from backoffice.models import Base

context.configure(connection=context.config.attributes["connection"], target_metadata=Base.metadata,
                  render_as_batch=True)  # SQLite alters tables by copying them
with context.begin_transaction():
    context.run_migrations()
