"""The `backoffice` command: serve, db upgrade, users, tokens, kiosks."""
from __future__ import annotations

import argparse
import asyncio
import sys

from backoffice import config, db
from backoffice.auth import commands as auth_commands
from backoffice.auth.accounts import StartRefused
from backoffice.broker import BrokerError
from backoffice.helpdesk import commands as helpdesk_commands


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="backoffice", description="The kiosk fleet's back office.")
    parser.add_argument("--config", help="backoffice.toml (default: embedded defaults in the current directory)")
    sub = parser.add_subparsers(dest="cmd", required=True)
    serve = sub.add_parser("serve", help="ingest the fleet's reports and serve the API")
    serve.add_argument("--port", type=int, help="HTTP port (default: server.port)")
    serve.add_argument("--config", dest="sub_config", help=argparse.SUPPRESS)
    dbp = sub.add_parser("db", help="the database")
    dbsub = dbp.add_subparsers(dest="db_cmd", required=True)
    up = dbsub.add_parser("upgrade", help="create or upgrade the schema")
    up.add_argument("--config", dest="sub_config", help=argparse.SUPPRESS)
    auth_commands.add_parsers(sub)
    helpdesk_commands.add_parsers(sub)
    args = parser.parse_args(argv)
    try:
        cfg = config.load(getattr(args, "sub_config", None) or args.config)
    except config.ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    if args.cmd in auth_commands.COMMANDS:
        return auth_commands.run(args, cfg)
    if args.cmd in helpdesk_commands.COMMANDS:
        return helpdesk_commands.run(args, cfg)
    if args.cmd == "db":
        engine = db.engine(cfg.database.url)
        db.upgrade(engine)
        engine.dispose()
        print(f"schema current: {engine.url.render_as_string(hide_password=True)}")
        return 0
    try:
        asyncio.run(_serve(cfg, args.port))
    except (BrokerError, StartRefused) as exc:
        print(f"backoffice: {exc}", file=sys.stderr)
        return 1
    return 0


async def _serve(cfg: config.Config, port: int | None) -> None:
    from backoffice.server import serve  # aiohttp and paho only for serve, not for `db upgrade`
    await serve(cfg, port)


if __name__ == "__main__":
    sys.exit(main())
