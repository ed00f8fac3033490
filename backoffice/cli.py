"""The `backoffice` command: serve, db upgrade, users, tokens, kiosks, keys, fleet simulate, demo prepare."""
from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

import structlog

from backoffice import config, db
from backoffice.auth import commands as auth_commands
from backoffice.auth.accounts import StartRefused
from backoffice.broker import BrokerError
from backoffice.helpdesk import commands as helpdesk_commands
from wire.signing import KeyFileError


def main(argv: list[str] | None = None) -> int:
    # Logs on stderr: stdout is the commands' answer (`keys export-public > kiosk.pub`, `demo prepare`'s JSON).
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))
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
    keys = sub.add_parser("keys", help="the key commands to kiosks are signed with")
    keysub = keys.add_subparsers(dest="keys_cmd", required=True)
    export = keysub.add_parser("export-public", help="print the public key (PEM) for kiosks' "
                               "telemetry.command_key_file; makes the key pair if there is none yet")
    export.add_argument("--config", dest="sub_config", help=argparse.SUPPRESS)
    fleet = sub.add_parser("fleet", help="the fleet")
    fleetsub = fleet.add_subparsers(dest="fleet_cmd", required=True)
    sim = fleetsub.add_parser("simulate", help="N simulated kiosks publishing over MQTT, for demos and load")
    sim.add_argument("n", type=int, help="how many kiosks")
    sim.add_argument("--halls", type=int, default=None, help="across this many halls (default: one per 25)")
    sim.add_argument("--broker", help="host:port (default: the broker `backoffice serve` started in var_dir)")
    sim.add_argument("--command-key", help="the public key the kiosks obey (default: this back office's)")
    sim.add_argument("--prefix", default="SIM", help="kiosk ids are PREFIX-0001, ...")
    sim.add_argument("--seed", type=int, default=12, help="visits and timings repeat for the same seed (the mix of states always does)")
    sim.add_argument("--interval", type=float, default=30.0, help="seconds between health reports")
    sim.add_argument("--config", dest="sub_config", help=argparse.SUPPRESS)
    demo = sub.add_parser("demo", help="for `make demo`: a demo back office in a directory of its own")
    demosub = demo.add_subparsers(dest="demo_cmd", required=True)
    prep = demosub.add_parser("prepare", help="write a demo back office into DIR; print its facts as JSON")
    prep.add_argument("dir")
    prep.add_argument("--port", type=int, default=8700)
    helpdesk_commands.add_parsers(sub)
    args = parser.parse_args(argv)
    if args.cmd == "demo":
        import json

        from backoffice import demo as demo_setup
        print(json.dumps(demo_setup.prepare(Path(args.dir).resolve(), args.port), ensure_ascii=False))
        return 0
    try:
        cfg = config.load(getattr(args, "sub_config", None) or args.config)
    except config.ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    if args.cmd in auth_commands.COMMANDS:
        return auth_commands.run(args, cfg)
    if args.cmd == "keys":
        return _export_public(cfg)
    if args.cmd == "fleet":
        from backoffice import simulator  # paho only for the simulator
        return simulator.main(cfg, args)
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
    except (BrokerError, StartRefused, KeyFileError, config.ConfigError) as exc:  # ConfigError: an env variable it names
        print(f"backoffice: {exc}", file=sys.stderr)
        return 1
    return 0


def _export_public(cfg: config.Config) -> int:
    from backoffice.commands import ensure_key, key_path, public_pem
    try:
        key = ensure_key(key_path(cfg.commands.key_file, cfg.var_dir))
    except KeyFileError as exc:
        print(f"backoffice: {exc}", file=sys.stderr)
        return 1
    sys.stdout.write(public_pem(key).decode())
    return 0


async def _serve(cfg: config.Config, port: int | None) -> None:
    from backoffice.server import serve  # aiohttp and paho only for serve, not for `db upgrade`
    await serve(cfg, port)


if __name__ == "__main__":
    sys.exit(main())
