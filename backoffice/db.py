"""The database: an engine (SQLite in WAL mode by default) and schema upgrades through Alembic."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Engine, create_engine, event

MIGRATIONS = Path(__file__).with_name("migrations")


def engine(url: str) -> Engine:
    """WAL lets the console read while ingest writes; busy_timeout rides over a writer's short lock. A
    server database is pinged before a pooled connection is reused: after a restart of the server, the
    first query after an outage must not fail on a connection that died with it."""
    eng = create_engine(url, pool_pre_ping=not url.startswith("sqlite"), json_deserializer=_loads)
    if eng.dialect.name == "sqlite":
        @event.listens_for(eng, "connect")
        def _pragmas(dbapi_conn, _record):
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=5000")
            cur.close()
    return eng


def _loads(text: str):
    """JSON columns as read back: keys and short values interned, so a fleet's 100,000 health reports share
    one "state", one "reasons", one "ok" instead of holding a copy each (a third of their memory)."""
    return json.loads(text, object_pairs_hook=_interned)


def _interned(pairs: list) -> dict:
    return {sys.intern(k): sys.intern(v) if type(v) is str and len(v) <= 40 else v for k, v in pairs}


def upgrade(eng: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision`; run at every start, a no-op when it is current."""
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with eng.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
