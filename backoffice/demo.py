"""`backoffice demo prepare`: a back office for `make demo`, in a directory of its own.

The kiosk's demo cannot import the back office (the kiosk image does not carry it), so it runs this command
and reads the one JSON line it prints: where the configuration is, which public key the demo kiosk must
trust, the console's address and the demo accounts. Everything the back office knows about itself stays here.
"""
from __future__ import annotations

import importlib
import shutil
from pathlib import Path

import structlog

from backoffice import config, db
from backoffice.commands import ensure_key, key_path, public_pem

log = structlog.get_logger("backoffice.demo")
# The accounts the demo is meant to have, shown until the accounts part provides ensure_demo_accounts.
PLANNED_ACCOUNTS = ({"name": "admin", "role": "admin"}, {"name": "operator", "role": "operator"},
                    {"name": "viewer", "role": "viewer"})


def prepare(directory: Path, port: int) -> dict:
    """A fresh demo each time: the last run's fleet (its store and its broker's retained messages) is
    forgotten, the signing key kept, so a kiosk configured with its public key stays valid."""
    directory.mkdir(parents=True, exist_ok=True)
    for stale in ("backoffice.db", "backoffice.db-wal", "backoffice.db-shm"):
        (directory / stale).unlink(missing_ok=True)
    shutil.rmtree(directory / "mosquitto", ignore_errors=True)
    path = directory / "backoffice.toml"
    mode = 'mode = "demo"\n' if "mode" in config.Config.model_fields else ""
    path.write_text(f"# Written by `make demo` (backoffice demo prepare); remade at every demo start.\n{mode}"
                    f'var_dir = "."\n\n[server]\nhost = "127.0.0.1"\nport = {port}\n\n'
                    f'[database]\nurl = "sqlite:///backoffice.db"\n', encoding="utf-8")
    cfg = config.load(path)
    key = ensure_key(key_path(cfg.commands.key_file, cfg.var_dir))
    public = directory / "command-signing.pub"
    public.write_bytes(public_pem(key))
    engine = db.engine(cfg.database.url)
    try:
        db.upgrade(engine)
        accounts, ready = _accounts(engine)
    finally:
        engine.dispose()
    return {"config": str(path), "public_key": str(public), "console": f"http://127.0.0.1:{port}/",
            "accounts": accounts, "accounts_ready": ready}


def _accounts(engine) -> tuple[list[dict], bool]:
    """The demo accounts from the accounts part when it is there; else the planned names, marked not ready."""
    try:
        accounts = importlib.import_module("backoffice.accounts")
    except ModuleNotFoundError:
        accounts = None
    ensure = getattr(accounts, "ensure_demo_accounts", None)
    if ensure is None:  # TODO(accounts): remove once backoffice.accounts.ensure_demo_accounts exists
        log.warning("demo.accounts_missing", detail="backoffice.accounts.ensure_demo_accounts is not there yet")
        return [dict(a) for a in PLANNED_ACCOUNTS], False
    made = ensure(engine)
    return [_plain(a) for a in made] if isinstance(made, (list, tuple)) else [dict(a) for a in PLANNED_ACCOUNTS], True


def _plain(account) -> dict:
    if isinstance(account, dict):
        return {k: str(v) for k, v in account.items()}
    if isinstance(account, (list, tuple)):
        return dict(zip(("name", "password", "role"), map(str, account)))
    return {"name": str(getattr(account, "name", account)), "role": str(getattr(account, "role", ""))}
