"""`kiosk demo`: the whole kiosk on simulated devices, with a simulator panel and the demo backend.

Without a display it falls back to a narrated headless run of every flow's
first scenario, so `make demo` shows something on any machine.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _narrate(sc, i):
    def show(view):
        line = f"  [{view.step}] {view.title or view.flow_title}"
        if view.text:
            line += f" — {view.text}"
        if view.options:
            line += "  (" + " / ".join(o.label for o in view.options) + ")"
        if view.items:
            line += "  " + "; ".join(f"{it.label}: {it.value}" for it in view.items)
        if view.busy:
            line += "  …"
        print(line)
    return show if i == 0 else None


def headless(flows: Path) -> int:
    from kiosk.scenario.runner import find_tests, run_file

    bundles: dict = {}
    status = 0
    for f in find_tests([flows]):
        print(f"== {f.parent.name}")
        for outcome in run_file(f, bundles, _narrate)[:1]:
            print(f"  => {'ok' if outcome.passed else 'FAILED: ' + outcome.message}")
            status |= not outcome.passed
    print("(no display: a narrated run on simulated devices; with a display `make demo` opens the kiosk)",
          file=sys.stderr)
    return status


def demo(args) -> int:
    if args.headless or not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return headless(Path(args.flows))
    import asyncio

    from kiosk import config, runtime, startup
    from kiosk.demo import backend as demo_backend
    from kiosk.demo.settings import demo_config, with_fleet
    from kiosk.system import logs

    source = args.config or ROOT / "etc" / "demo.toml"
    try:
        cfg = config.load(source)
    except config.ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    logs.setup(cfg.logging.format, args.log_level or "warning")
    fleet = start_fleet(cfg, args.fleet)

    async def main():
        backend, web_runner, port = await demo_backend.start("127.0.0.1", 0, cfg.flows.path)  # the kiosk's flows
        url = f"http://127.0.0.1:{port}"
        demo_cfg = demo_config(cfg, url, backend.catalog.services if backend.catalog else ())
        if fleet is not None:  # this kiosk is one of the fleet the console shows
            demo_cfg = with_fleet(demo_cfg, *fleet.broker, fleet.public_key)
        try:
            prepared = startup.prepare(demo_cfg, str(source))
        except startup.StartupError:
            await web_runner.cleanup()
            raise
        printed = {dc.options().get("output_dir") for dc in cfg.devices.values()} - {None}
        print(f"demo backend on {url}; simulated devices; printed documents land in: {', '.join(sorted(printed))}",
              file=sys.stderr)
        def panel(devices, changed):
            from kiosk.ui.simpanel import sim_panel  # Kivy is imported only after the window is configured

            return sim_panel(devices, url, changed)

        width, height = (int(x) for x in args.size.split("x"))
        try:
            return await runtime.run(demo_cfg, width=width, height=height, fullscreen=False,
                                     side=panel, side_width=320, prepared=prepared)
        finally:
            await web_runner.cleanup()

    try:
        return asyncio.run(main())
    except startup.StartupError as exc:  # the same located lines as `kiosk run`, never a traceback
        print(exc, file=sys.stderr)
        return 2
    except SystemExit as exc:
        if exc.code == RESTART_EXIT and fleet is not None:
            restart_in_place(fleet)  # does not return
        raise
    finally:
        if fleet is not None:
            fleet.stop()


RESTART_EXIT = 75  # kiosk.fleet.remote.exit_for_restart: "start me again" to systemd


def restart_in_place(fleet) -> None:
    """A restart command from the console: there is no systemd here, so the demo starts itself again in this
    process (exec), and the back office and the fleet, its children, carry on."""
    from kiosk.demo.fleet import HANDOVER_ENV

    print("demo: the kiosk restarts (a restart command from the console), the fleet carries on", file=sys.stderr)
    os.environ[HANDOVER_ENV] = fleet.handover()
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, [sys.executable, "-m", "kiosk.cli", *sys.argv[1:]])


def start_fleet(cfg, kiosks: int):
    """The back office and a simulated fleet beside the demo kiosk, or None (and why) when they cannot run."""
    from kiosk.demo import fleet as demo_fleet

    if os.environ.get(demo_fleet.HANDOVER_ENV):  # started again after a restart: the same fleet
        fleet = demo_fleet.DemoFleet.resume(os.environ.pop(demo_fleet.HANDOVER_ENV))
        print(fleet.banner(), flush=True)
        return fleet
    if kiosks <= 0:
        return None
    if not demo_fleet.available():
        print("demo: the back office is not installed here; the kiosk runs alone", file=sys.stderr)
        return None
    try:
        fleet = demo_fleet.DemoFleet(cfg.var_dir / "backoffice", kiosks=kiosks, halls=max(1, kiosks // 25)).start()
    except (demo_fleet.DemoFleetError, OSError, subprocess.SubprocessError) as exc:
        print(f"demo: the back office did not start ({exc}); the kiosk runs alone", file=sys.stderr)
        return None
    print(fleet.banner(), flush=True)
    return fleet


def demo_backend_cmd(args) -> int:
    from kiosk.demo import backend as demo_backend
    from kiosk.system import logs

    logs.setup("console", "info")
    return demo_backend.main(args)


def register(sub) -> None:
    p = sub.add_parser("demo", help="run the kiosk on simulated devices with the demo backend")
    p.add_argument("--flows", default=str(ROOT / "flows"))
    p.add_argument("--size", default="1080x1920")
    p.add_argument("--headless", action="store_true", help="narrate the flows in the terminal instead")
    p.add_argument("--fleet", type=int, default=300, metavar="N",
                   help="also start the back office and N simulated kiosks (0: the kiosk alone)")
    p.set_defaults(func=demo)
    b = sub.add_parser("demo-backend", help="the demo government backend (fictitious citizens) on 127.0.0.1")
    b.add_argument("--host", default="127.0.0.1")
    b.add_argument("--port", type=int, default=8700)
    b.add_argument("--flows", default=str(ROOT / "flows"), help="the bundle whose demo.yaml files it answers")
    b.set_defaults(func=demo_backend_cmd)
