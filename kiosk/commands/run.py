"""`kiosk run`: the runtime proper (headless until the touch UI lands)."""
from __future__ import annotations

import sys


def run(args) -> int:
    from kiosk import config, logs
    from kiosk.flow.registry import FlowRegistry

    try:
        cfg = config.load(args.config)
    except config.ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    logs.setup(cfg.logging.format, cfg.logging.level)
    registry = FlowRegistry(cfg.flows.path)
    registry.reload()
    print(f"kiosk {cfg.kiosk.id}: {len(registry.flows)} flow(s) active; the touch UI is not built yet", file=sys.stderr)
    return 0 if registry.active and registry.active.ok else 1


def register(sub) -> None:
    p = sub.add_parser("run", help="run the kiosk")
    p.set_defaults(func=run)
