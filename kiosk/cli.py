"""The `kiosk` command: one entry point for the runtime, the integrator and the technician."""
from __future__ import annotations

import argparse
import sys

from kiosk.system import logs


def build_parser() -> argparse.ArgumentParser:
    from kiosk.commands import demo, devices, flows, run, signing

    parser = argparse.ArgumentParser(prog="kiosk", description="24-hour government self-service kiosk runtime")
    parser.add_argument("--config", help="configuration file (default /etc/kiosk/kiosk.toml)")
    parser.add_argument("--log-format", choices=["console", "json"], default=None)
    parser.add_argument("--log-level", choices=["debug", "info", "warning", "error"], default=None)
    sub = parser.add_subparsers(dest="cmd", required=True)
    flows.register(sub)
    devices.register(sub)
    run.register(sub)
    demo.register(sub)
    signing.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    # The technician's commands promise one line on stderr per failure: only errors are logged by default.
    default_level = "error" if args.cmd == "devices" else "warning"
    logs.setup(args.log_format or "console", args.log_level or default_level)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
