"""Child process of bench_ui.py: either a bare Kivy window or the kiosk, reporting timings as JSON.

The kiosk is the process `kiosk run` builds (see bench_ui.py's docstring); BENCH_MODULES=<path> also writes
its loaded modules there and its /proc/self/smaps beside them (<path>.smaps), to see where memory went.
"""
import asyncio
import json
import os
import sys
import time
from pathlib import Path

STARTED = float(os.environ["BENCH_T0"])
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._util import rss_kib  # noqa: E402


def rss_mib() -> float:
    return rss_kib() / 1024


def bare() -> None:
    from kiosk.ui import env

    env.prepare(1080, 1920)
    from kivy.app import App
    from kivy.uix.label import Label

    class Bare(App):
        def build(self):
            return Label(text="kiosk")

        def on_start(self):
            from kivy.core.window import Window

            flips = []

            def on_flip(*_):
                flips.append(time.perf_counter())
                if len(flips) == 1:
                    self.first = time.time() - STARTED
                if len(flips) < 12:
                    Window.canvas.ask_update()  # keep drawing to time a frame of this window
                else:
                    gaps = [b - a for a, b in zip(flips[1:], flips[2:])]
                    print("RESULT" + json.dumps({"first_frame_s": self.first, "frame_s": sorted(gaps)[len(gaps) // 2],
                                                 "rss_mib": rss_mib()}))
                    self.stop()

            Window.bind(on_flip=on_flip)

    Bare().run()


# Taps per sample. kiosk: into an item (its first step plays the guide video), cancel, done: home again.
# video: on a step whose guide video keeps playing, switch the language, which redraws the whole screen
# around the running video (the idle banner and elderly mode redraw the same way).
# still: the same taps on the same step with its media area off, the baseline of video.
# A citizen taps once the new screen is seen: a reaction to a new screen takes 0.2 s at the fastest, and the
# kiosk does its housekeeping 0.1 s after a screen appears (kiosk.ui.collector). Tapping at once,
# faster than anyone can, timed that housekeeping as part of the next tap.
REACTION_S = 0.2
SETTLE_S = 1.0
# call: the kiosk's taps with a video-help call connected (the real driver, staff's video drawn) over the screen.
CYCLES = {"kiosk": ("tile:queue-ticket", "nav:cancel", "option:5", "action:done"), "video": ("toggle:locale",),
          "still": ("toggle:locale",), "call": ("tile:queue-ticket", "nav:cancel", "option:5", "action:done")}


async def loop_lag(out: list) -> None:
    """How late the UI loop wakes a 20 ms sleeper: what also delays the call's packets and heartbeats."""
    while True:
        t0 = time.perf_counter()
        await asyncio.sleep(0.02)
        out.append(time.perf_counter() - t0 - 0.02)


async def call_connected(win, panel, ui) -> None:
    """The citizen taps 视频求助 on the home screen; back once staff's picture has been drawn a second long."""
    assert win.tap("home:help")
    deadline = time.monotonic() + 60
    while ui.call_panel is None or ui.call_panel.remote.frames_drawn < 15:  # a second of staff's video drawn
        if time.monotonic() > deadline:
            raise SystemExit(f"no call: {panel.call_state}")
        await win.frame()


ROLES = ("id_reader", "code_scanner", "receipt_printer", "document_printer", "ticket_dispenser", "help_panel")


def configuration(var: Path, desk: dict | None = None):
    """A kiosk.toml as a hall's would be: every device role (simulated; in call mode the help panel is the real
    driver calling the desk of `bench_call.py desk`), the services, fleet reporting to the broker bench_ui.py
    started (with the back office's command key), the journal in ``var``."""
    import yaml

    from kiosk import config

    services = yaml.safe_load((ROOT / "flows" / "services.yaml").read_text(encoding="utf-8"))["services"]
    devices = {role: {"driver": "sim", **({"hall_name": "示例政务服务中心"} if role == "ticket_dispenser" else {})}
               for role in ROLES}
    if desk is not None:
        from bench.callrig import panel_options

        devices["help_panel"] = {"driver": "webrtc", **panel_options(desk["url"], desk["credential"])}
    return config.parse({
        "kiosk": {"id": "BENCH-01", "name": "基准测试机", "hall": "示例政务服务中心"},
        "flows": {"path": str(ROOT / "flows")}, "var_dir": str(var),
        "devices": devices,
        # no item the taps open calls a service; a closed port, so a stray call would fail visibly, not hang
        "services": {name: {"base_url": "http://127.0.0.1:9", "timeout_s": 5} for name in services},
        "telemetry": {"host": "127.0.0.1", "port": int(os.environ["BENCH_MQTT_PORT"]),
                      "command_key_file": os.environ["BENCH_COMMAND_KEY"]}})


async def kiosk(taps: int, mode: str = "kiosk", desk: dict | None = None) -> None:
    """The kiosk as `kiosk run` assembles it: runtime.build, start (devices, fleet reporting to a real broker,
    watchdog), open_window; only the window is not fullscreen and the voice is off (espeak-ng is a child process)."""
    from kiosk import runtime
    from kiosk.system import logs
    from kiosk.ui.widgets import walk

    logs.setup("console", "warning")
    if mode == "still":
        import kiosk.engine.render

        kiosk.engine.render.guidance = lambda *args: None  # no media area: what the video adds is the difference
    k = runtime.build(configuration(Path(os.environ["BENCH_VAR"]), desk))
    await runtime.start(k)
    win = await runtime.open_window(k, fullscreen=False, voice=False)
    runtime.ready(k)
    await win.frame()
    home_s = time.time() - STARTED
    home_rss = rss_mib()
    # A citizen searches first (by initials, on the keyboard): the search index and its readings stay loaded.
    k.controller.home_ui(searching=True, query="sbcb")
    await win.frame()
    k.controller.home_ui(searching=False)
    await win.frame()
    await asyncio.sleep(REACTION_S)
    samples = []
    if mode == "call":
        await call_connected(win, k.devices["help_panel"], win.live)
        drawn = win.live.call_panel.remote.frames_drawn
        phases = []
        k.devices["help_panel"].on_call(lambda state: phases.append(state.phase))  # a drop shows as "reconnecting"
    if mode in ("video", "still"):
        assert win.tap("tile:queue-ticket")
        await win.frame()
        await asyncio.sleep(REACTION_S)
    lags, skipped = [], 0
    watch = asyncio.ensure_future(loop_lag(lags))
    for _ in range(taps):
        for kid in CYCLES[mode]:
            for _ in range(100):  # a call's state change may rebuild the screen: the finger lands once it is laid out
                if kid in win.kids():
                    break
                await win.frame()
            else:
                if mode == "call":  # a stalled loop let the ending screen time out (home again): not this tap's fault
                    skipped += 1
                    continue
            t0 = time.perf_counter()
            assert win.tap(kid), (kid, sorted(getattr(w, "kid", "") for w in walk(win.app.root) if getattr(w, "kid", "")))
            await win.frame(pending_callbacks=False)  # the UI redraws synchronously on the tap
            samples.append(time.perf_counter() - t0)
            await asyncio.sleep(REACTION_S)
    watch.cancel()
    video = next((w for w in walk(win.app.root) if getattr(w, "kid", "") == "media:video"), None)
    call = {}
    if mode == "call":
        panel = k.devices["help_panel"]
        call = {"call_phase": panel.call_state.phase, "skipped": skipped, "dropped": "reconnecting" in phases,
                "drawn_during_taps": win.live.call_panel.remote.frames_drawn - drawn if win.live.call_panel else 0}
        if win.tap("call:end"):  # hung up as the citizen does, so the desk's side ends too
            while panel.call_state.phase != "ended":
                await win.frame()
    rss_after = rss_mib()
    # The same screen a second later, nobody tapping (a citizen reading it): under load the collection due
    # 0.1 s after the last screen was drawn can come after the figure above; this one has it behind it.
    await asyncio.sleep(SETTLE_S)
    print("RESULT" + json.dumps({"home_drawn_s": home_s, "taps": samples, "rss_mib": rss_after,
                                 "settled_rss_mib": rss_mib(), "home_rss_mib": home_rss, **call,
                                 "loop_lag_max_s": max(lags, default=0.0),
                                 "video_playing": bool(video is not None and video.loaded and video.state == "play"),
                                 "video_position": video.position if video is not None else 0.0,
                                 "fleet_connected": bool(k.reporter is not None and k.reporter.client.is_connected()),
                                 "modules": len(sys.modules)}))
    if os.environ.get("BENCH_MODULES"):
        Path(os.environ["BENCH_MODULES"]).write_text("\n".join(sorted(sys.modules)))
        Path(os.environ["BENCH_MODULES"] + ".smaps").write_text(Path("/proc/self/smaps").read_text())
    await win.stop()
    await runtime.stop(k)


if __name__ == "__main__":
    if sys.argv[1] == "bare":
        bare()
    elif sys.argv[1] == "call":
        from devices.testing.agent_peer import loopback_ice

        with loopback_ice():
            asyncio.run(kiosk(int(sys.argv[2]), "call", json.loads(sys.argv[3])))
        sys.stdout.flush()
        os._exit(0)  # a codec thread of aiortc's left waiting on its queue would keep the process from ending
    else:
        asyncio.run(kiosk(int(sys.argv[2]), sys.argv[1]))
