"""`kiosk devices ...`: the technician's tools for the configured hardware."""
from __future__ import annotations

import json
import sys

from kiosk.commands import load_config


def list_(args) -> int:
    cfg = load_config(args)
    if cfg is None:
        return 2
    for role, dc in sorted(cfg.devices.items()):
        opts = ", ".join(f"{k}={v}" for k, v in sorted(dc.options().items()))
        print(f"{role:<18} {dc.driver:<10} {opts}")
    return 0


def status(args) -> int:
    import asyncio

    from devices import registry

    cfg = load_config(args)
    if cfg is None:
        return 2
    devs = cfg.devices

    async def probe():
        out = {}
        for role, dc in sorted(devs.items()):
            try:
                dev = registry.build(role, role, dc.driver, **dc.options())
                await dev.open()
                await dev.check_health()
                out[role] = dev.describe()
                await dev.close()
            except Exception as exc:  # the technician needs every device's answer, whatever one does
                out[role] = {"name": role, "status": {"state": "offline", "reasons": ["no_device"], "detail": str(exc)}}
        return out

    result = asyncio.run(probe())
    if args.json:
        json.dump(result, sys.stdout, ensure_ascii=False, indent=1, default=str)
        sys.stdout.write("\n")
    else:
        for role, d in result.items():
            st = d["status"]
            print(f"{role:<18} {st['state']:<8} {', '.join(st['reasons'])}")
    return 0 if all(d["status"]["state"] in ("ok", "warning") for d in result.values()) else 1


def idcard(args) -> int:
    from devices.id_reader.cli import run_idcard

    return run_idcard(args.port, args.baud, args.timeout)


def test_print(args) -> int:
    kiosk_id = args.kiosk_id
    if kiosk_id is None:
        try:
            from kiosk import config

            kiosk_id = config.load(args.config).kiosk.id
        except Exception:  # the technician may have no configuration yet; the page says so
            kiosk_id = "UNCONFIGURED"
    if args.kind == "receipt":
        from devices.receipt_printer.cli import run_test_print_receipt

        return run_test_print_receipt(args.uri, kiosk_id)
    from devices.document_printer.cli import run_test_print_a4

    return run_test_print_a4(args.uri, kiosk_id)


def scan(args) -> int:
    """Print codes as they are scanned (one JSON line each) until Ctrl-C or SIGTERM."""
    from devices.code_scanner.cli import run_scan
    from kiosk import config, startup

    cfg = load_config(args)
    if cfg is None:
        return 2
    dc = cfg.devices.get("code_scanner")
    if dc is None:
        print("error: no code_scanner configured", file=sys.stderr)
        return 3
    try:
        scanner = startup.build_device("code_scanner", dc)
    except startup.StartupError as exc:
        print(f"{args.config or config.DEFAULT_PATH}: {exc}", file=sys.stderr)
        return 2
    return run_scan([scanner])


def register(sub) -> None:
    p = sub.add_parser("devices", help="list, probe and exercise devices")
    ds = p.add_subparsers(dest="devices_cmd", required=True)
    ls = ds.add_parser("list", help="configured devices")
    ls.set_defaults(func=list_)
    st = ds.add_parser("status", help="ask every configured device now")
    st.add_argument("--json", action="store_true")
    st.set_defaults(func=status)
    ic = ds.add_parser("idcard", help="read one ID card and print it as JSON (exit 2: no card, 3: device error)")
    ic.add_argument("--port", required=True, help="serial port, e.g. /dev/kiosk/idreader")
    ic.add_argument("--baud", type=int, default=115200)
    ic.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for a card")
    ic.add_argument("--json", action="store_true", help="JSON output (the only format)")
    ic.set_defaults(func=idcard)
    tp = ds.add_parser("test-print", help="print a Chinese test page (exit 2: printer problem, 3: unreachable)")
    tp.add_argument("kind", choices=["receipt", "a4"])
    tp.add_argument("--uri", required=True, help="tcp://HOST:PORT, serial:///dev/ttyUSB0?baud=115200, usb://VID:PID, "
                    "ipp://HOST:PORT/PATH, cups://QUEUE")
    tp.add_argument("--kiosk-id", default=None, help="default: from the configuration")
    tp.set_defaults(func=test_print)
    sc = ds.add_parser("scan", help="print codes as they are scanned (Ctrl-C to stop)")
    sc.set_defaults(func=scan)
