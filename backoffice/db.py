"""The database: an engine (SQLite in WAL mode by default) and schema upgrades through Alembic."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Engine, create_engine, event

MIGRATIONS = Path(__file__).with_name("migrations")


def engine(url: str) -> Engine:
    """WAL lets the console read while ingest writes; busy_timeout rides over a writer's short lock."""
    eng = create_engine(url)
    if eng.dialect.name == "sqlite":
        @event.listens_for(eng, "connect")
        def _pragmas(dbapi_conn, _record):
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=5000")
            cur.close()
    return eng


def upgrade(eng: Engine, revision: str = "heads") -> None:
    """Bring the schema to `revision`; run at every start, a no-op when it is current. "heads": parts merged
    side by side may each add a branch off the same revision until the lead chains them."""
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with eng.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
