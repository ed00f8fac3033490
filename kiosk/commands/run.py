"""`kiosk run`: the kiosk itself, full screen (or with no display), on the configured devices."""
from __future__ import annotations

import sys


def _source(args) -> str:
    from kiosk import config

    return str(args.config or config.DEFAULT_PATH)


def _checked(args):
    """(configuration, what the start-up checks built), or None after one located line per problem on stderr."""
    from kiosk import startup
    from kiosk.commands import load_config

    cfg = load_config(args)
    if cfg is None:
        return None
    try:
        return cfg, startup.prepare(cfg, _source(args))
    except startup.StartupError as exc:
        print(exc, file=sys.stderr)
        return None


def run(args) -> int:
    import asyncio

    from kiosk import runtime, startup
    from kiosk.system import logs

    checked = _checked(args)  # before any device is opened or the window starts: a problem never reaches "ready"
    if checked is None:
        return 2
    cfg, prepared = checked
    logs.setup(args.log_format or cfg.logging.format, args.log_level or cfg.logging.level)
    width, height = (int(x) for x in args.size.split("x"))
    try:
        if args.headless:
            return asyncio.run(runtime.run_headless(cfg, prepared=prepared))
        return asyncio.run(runtime.run(cfg, width=width, height=height, low_reach=args.low_reach,
                                       fullscreen=not args.windowed, prepared=prepared))
    except startup.StartupError as exc:  # the bundle went bad between the checks and the start
        print(f"{_source(args)}: {exc}", file=sys.stderr)
        return 2


def check_config(args) -> int:
    """`kiosk run`'s start-up checks alone, without a display: for the installer and the technician."""
    checked = _checked(args)
    if checked is None:
        return 2
    cfg, prepared = checked
    print(f"{_source(args)}: ok: {prepared.flows} flow(s), {len(prepared.devices)} device(s), "
          f"{len(cfg.services)} service(s)")
    return 0


def out_of_service(args) -> int:
    """The static screen kiosk-out-of-service.service shows after repeated failures."""
    import asyncio

    from kiosk.commands import load_config
    from kiosk.system import logs

    cfg = load_config(args)
    locale = cfg.kiosk.default_locale if cfg else "zh-CN"
    logs.setup(args.log_format or "json", args.log_level or "warning")

    async def main():
        from kiosk.ui.app import KioskWindow
        from kiosk.ui.theme import Theme

        window = KioskWindow(Theme(), fullscreen=True)
        await window.start()
        from kiosk.ui.screens import out_of_service_screen

        window.render(out_of_service_screen(locale, window.theme))
        await window.task

    asyncio.run(main())
    return 0


def hash_pin(args) -> int:
    import getpass

    from kiosk.maintenance import hash_pin as make_hash

    pin = getpass.getpass("maintenance PIN (6-12 digits): ")
    if not (pin.isdigit() and 6 <= len(pin) <= 12) or getpass.getpass("again: ") != pin:
        print("error: the PIN must be 6-12 digits, typed the same twice", file=sys.stderr)
        return 2
    print(f'[maintenance]\npin_hash = "{make_hash(pin)}"')
    return 0


def register(sub) -> None:
    o = sub.add_parser("out-of-service", help="show only the out-of-service screen")
    o.set_defaults(func=out_of_service)
    m = sub.add_parser("maintenance", help="technician access")
    ms = m.add_subparsers(dest="maintenance_cmd", required=True)
    h = ms.add_parser("hash-pin", help="print the configuration line for a maintenance PIN")
    h.set_defaults(func=hash_pin)
    c = sub.add_parser("check-config", help="check the configuration and what it names, as `run` does at start")
    c.set_defaults(func=check_config)
    p = sub.add_parser("run", help="run the kiosk")
    p.add_argument("--size", default="1080x1920", help="screen size: 1080x1920 (portrait) or 1920x1080")
    p.add_argument("--low-reach", action="store_true", help="every control in the lower half (wheelchair users)")
    p.add_argument("--windowed", action="store_true", help="a window instead of full screen (development)")
    p.add_argument("--headless", action="store_true",
                   help="no display: devices, flows, backend, journal, fleet reporting and watchdog only, until SIGTERM")
    p.set_defaults(func=run)
