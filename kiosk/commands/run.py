"""`kiosk run`: the kiosk itself, full screen, on the configured devices."""
from __future__ import annotations

import sys


def run(args) -> int:
    import asyncio

    from kiosk import config, logs, runtime

    try:
        cfg = config.load(args.config)
    except config.ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    logs.setup(args.log_format or cfg.logging.format, args.log_level or cfg.logging.level)
    width, height = (int(x) for x in args.size.split("x"))
    return asyncio.run(runtime.run(cfg, width=width, height=height, low_reach=args.low_reach,
                                   fullscreen=not args.windowed))


def register(sub) -> None:
    p = sub.add_parser("run", help="run the kiosk")
    p.add_argument("--size", default="1080x1920", help="screen size: 1080x1920 (portrait) or 1920x1080")
    p.add_argument("--low-reach", action="store_true", help="every control in the lower half (wheelchair users)")
    p.add_argument("--windowed", action="store_true", help="a window instead of full screen (development)")
    p.set_defaults(func=run)
