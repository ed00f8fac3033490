"""`backoffice demo prepare`: a back office for `make demo`, in a directory of its own.

The kiosk's demo cannot import the back office (the kiosk image does not carry it), so it runs this command
and reads the one JSON line it prints: where the configuration is, which public key the demo kiosk must
trust, the console's address and the demo accounts. Everything the back office knows about itself stays here.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import structlog

from backoffice import config, db
from backoffice.auth.demo import ensure_demo_accounts
from backoffice.commands import ensure_key, key_path, public_pem

log = structlog.get_logger("backoffice.demo")
def prepare(directory: Path, port: int) -> dict:
    """A fresh demo each time: the last run's fleet (its store and its broker's retained messages) is
    forgotten, the signing key kept, so a kiosk configured with its public key stays valid."""
    directory.mkdir(parents=True, exist_ok=True)
    for stale in ("backoffice.db", "backoffice.db-wal", "backoffice.db-shm"):
        (directory / stale).unlink(missing_ok=True)
    shutil.rmtree(directory / "mosquitto", ignore_errors=True)
    path = directory / "backoffice.toml"
    path.write_text(f"# Written by `make demo` (backoffice demo prepare); remade at every demo start.\n"
                    f'var_dir = "."\n\n[server]\nhost = "127.0.0.1"\nport = {port}\n\n'
                    f'[database]\nurl = "sqlite:///backoffice.db"\n\n[auth]\nmode = "demo"\n', encoding="utf-8")
    cfg = config.load(path)
    key = ensure_key(key_path(cfg.commands.key_file, cfg.var_dir))
    public = directory / "command-signing.pub"
    public.write_bytes(public_pem(key))
    engine = db.engine(cfg.database.url)
    try:
        db.upgrade(engine)
        accounts = [{"name": n, "role": r, "password": p} for n, r, p in ensure_demo_accounts(engine)]
    finally:
        engine.dispose()
    return {"config": str(path), "public_key": str(public), "console": f"http://127.0.0.1:{port}/",
            "accounts": accounts}
