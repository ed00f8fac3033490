"""Video help on loopback: call setup, glass-to-glass latency and the kiosk's CPU, each beside a bare aiortc baseline.

    PYTHONPATH=. .venv/bin/python bench/bench_call.py [setup|latency|cpu ...] [--n N] [--seconds S]

- setup: from the citizen's tap (HelpCall.start, what 视频求助 calls) to the first picture and the first sound
  from staff, through the real driver and a help desk on 127.0.0.1 whose staff member answers at once (the
  desk's ring and an agent's reaction are not in it); N calls. Baseline: two RTCPeerConnections in one process,
  offer and answer handed over directly, from createOffer to the first picture and sound. Goal: under 1 s.
- latency: the time stamped into each frame (bench/callrig.py) read back from the picture the receiver hands
  its screen, kiosk to staff and staff to kiosk, over S seconds of a call at 640x480 and 15 fps. Baseline: the
  same stamp through the bare pair. Goal: median under 100 ms.
- cpu: the kiosk's side in its own process (this file's `kiosk` mode), its CPU time over S seconds of a
  two-way call at 640x480 and 15 fps against a staff peer in this process, as % of one core. Baselines: the
  same process with the driver open and no call, and a bare aiortc peer sending and receiving the same media.
  Goal: under 25%.

`desk` mode serves the help desk alone, for bench_ui.py --call (the kiosk's screen with a call connected).
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription  # noqa: E402
from aiortc.contrib.media import MediaPlayer  # noqa: E402
from aiortc.mediastreams import MediaStreamError  # noqa: E402

from bench import callrig  # noqa: E402
from bench._util import report  # noqa: E402
from devices.testing import agent_peer  # noqa: E402
from devices.testing.agent_peer import AgentPeer, loopback_ice  # noqa: E402
from kiosk.engine.clock import LoopClock  # noqa: E402
from kiosk.helpcall import HelpCall  # noqa: E402
from kiosk.system import logs  # noqa: E402

WARMUP_S = 1.0  # the encoders' first second (key frames, bitrate ramp) is left out of the latency figures


def cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)  # every thread of the process: the codecs run in their own
    return r.ru_utime + r.ru_stime


async def call_up(tmp: str, stamped: bool):
    """A help desk, the kiosk's driver and a call placed as the citizen's tap places it."""
    desk = await callrig.open_desk(tmp, stamped)
    panel = callrig.kiosk_panel(desk.url, f"{tmp}/credential")
    await panel.open()
    return desk, panel, HelpCall(panel, LoopClock(), lambda state: None)


async def hang_up(call: HelpCall, panel) -> None:
    call.act("call_end", None, "zh-CN")
    # the call's task, not `busy`: the panel reports "ended" before it has released the socket and the camera,
    # and a call placed in that gap ends at once as lost
    await asyncio.wait_for(call._task, 15)


# setup -------------------------------------------------------------------------------------------
async def setup_driver(n: int, tmp: str) -> tuple[list[float], list[float]]:
    desk, panel, call = await call_up(tmp, stamped=False)
    seen, heard = [], []
    try:
        for _ in range(n):
            panel.remote_video = pictures = callrig.StampLog()
            sounds = panel.drains.audio_frames
            t0 = time.monotonic()
            call.start(None, "zh-CN")
            sound = await callrig.until(lambda: panel.drains.audio_frames > sounds)
            await callrig.until(lambda: pictures.first_at is not None)
            seen.append(pictures.first_at - t0)
            heard.append(sound - t0)
            await hang_up(call, panel)
    finally:
        await panel.close()
        await desk.stop()
    return seen, heard


async def setup_bare(n: int) -> tuple[list[float], list[float]]:
    seen, heard = [], []
    for _ in range(n):
        pair = callrig.BarePair(stamped=False)
        try:
            t0 = await pair.connect()
            sound = await callrig.until(lambda: "a" in pair.audio_at)
            await callrig.until(lambda: pair.received["a"].first_at is not None)
            seen.append(pair.received["a"].first_at - t0)
            heard.append(pair.audio_at["a"] - t0)
            del sound
        finally:
            await pair.close()
    return seen, heard


def run_setup(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, loopback_ice():
        bare_v, bare_a = asyncio.run(setup_bare(n))
        v, a = asyncio.run(setup_driver(n, tmp))
    print(f"call setup on loopback, {n} calls each (staff answer at once)")
    report("baseline: bare aiortc pair, createOffer to picture", bare_v)
    report("baseline: bare aiortc pair, createOffer to sound", bare_a)
    report("kiosk: tap to staff's first picture", v)
    report("kiosk: tap to staff's first sound", a)
    report("kiosk: tap to picture and sound both", [max(x, y) for x, y in zip(v, a)], goal_ms=1000)


# latency ------------------------------------------------------------------------------------------
async def latency_driver(seconds: float, tmp: str) -> tuple[callrig.StampLog, callrig.StampLog]:
    with callrig.stamped_camera():
        desk, panel, call = await call_up(tmp, stamped=True)
        try:
            panel.remote_video = to_kiosk = callrig.StampLog()
            call.start(None, "zh-CN")
            await callrig.until(lambda: to_kiosk.first_at and desk.agents and desk.agents[-1].pictures.first_at)
            to_agent = desk.agents[-1].pictures
            await asyncio.sleep(WARMUP_S)  # the call runs on its own meanwhile: this is the measuring window
            to_kiosk.delays.clear(), to_agent.delays.clear()
            await asyncio.sleep(seconds)
            await hang_up(call, panel)
        finally:
            await panel.close()
            await desk.stop()
    return to_agent, to_kiosk


async def latency_bare(seconds: float) -> tuple[callrig.StampLog, callrig.StampLog]:
    pair = callrig.BarePair(stamped=True)
    try:
        await pair.connect()
        await callrig.until(lambda: pair.received["a"].first_at and pair.received["b"].first_at)
        await asyncio.sleep(WARMUP_S)
        for log in pair.received.values():
            log.delays.clear()
        await asyncio.sleep(seconds)
    finally:
        await pair.close()
    return pair.received["b"], pair.received["a"]


def run_latency(seconds: float) -> None:
    with tempfile.TemporaryDirectory() as tmp, loopback_ice():
        bare = asyncio.run(latency_bare(seconds))
        driver = asyncio.run(latency_driver(seconds, tmp))
    print(f"glass to glass on loopback: stamp in the frame to the picture ready for the screen, {seconds:g} s "
          f"at {callrig.WIDTH}x{callrig.HEIGHT} {callrig.FPS} fps")
    for who, (out, back) in (("baseline: bare aiortc pair", bare), ("kiosk", driver)):
        for way, log in (("kiosk -> staff", out), ("staff -> kiosk", back)):
            goal = 100 if who == "kiosk" else None
            report(f"{who}, {way}", log.delays, goal_ms=goal)
            if log.unreadable:
                print(f"  ({log.unreadable} pictures without a readable stamp)")


# cpu ----------------------------------------------------------------------------------------------
async def kiosk_child(mode: str, url: str, credential: str, seconds: float) -> None:
    """The kiosk's side alone in this process; prints MEASURING when its window opens and RESULT at the end."""
    panel = call = pc = None
    if mode in ("idle", "call"):
        panel = callrig.kiosk_panel(url, credential)
        await panel.open()
    if mode == "call":
        call = HelpCall(panel, LoopClock(), lambda state: None)
        call.start(None, "zh-CN")
        await callrig.until(lambda: panel.drains.video_frames > 0 and panel.drains.audio_frames > 0)
    elif mode == "bare":
        pc, frames = await bare_kiosk()
    await asyncio.sleep(WARMUP_S)
    got = panel.drains.video_frames if panel else frames[0]
    print("MEASURING", flush=True)
    c0, t0 = cpu_s(), time.monotonic()
    await asyncio.sleep(seconds)  # the process goes on with its call meanwhile: this is the measuring window
    c1, t1 = cpu_s(), time.monotonic()
    got = (panel.drains.video_frames if panel else frames[0]) - got
    print("RESULT" + json.dumps({"cpu": (c1 - c0) / (t1 - t0), "fps_in": got / (t1 - t0)}), flush=True)
    if call is not None:
        await hang_up(call, panel)
    if panel is not None:
        await panel.close()
    if pc is not None:
        await pc.close()


async def bare_kiosk():
    """A bare aiortc peer with the kiosk's media: offers on stdout, takes the answer on stdin, receives."""
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    for spec in (agent_peer.VIDEO, agent_peer.AUDIO):
        player = MediaPlayer(spec, format="lavfi")
        pc.addTrack(player.video or player.audio)
    frames = [0]

    async def drain(track):
        with contextlib.suppress(MediaStreamError):
            while True:
                await track.recv()
                frames[0] += track.kind == "video"

    pc.on("track", lambda track: asyncio.ensure_future(drain(track)))
    await pc.setLocalDescription(await pc.createOffer())
    print("OFFER" + json.dumps(pc.localDescription.sdp), flush=True)
    answer = json.loads((await asyncio.to_thread(sys.stdin.readline))[6:])
    await pc.setRemoteDescription(RTCSessionDescription(answer, "answer"))
    await callrig.until(lambda: frames[0] > 0)
    return pc, frames


async def cpu_parent(seconds: float, tmp: str) -> dict:
    desk = await callrig.open_desk(tmp, stamped=False)
    out = {}
    try:
        for mode in ("idle", "bare", "call"):
            proc = await asyncio.create_subprocess_exec(
                sys.executable, __file__, "kiosk", mode, desk.url, f"{tmp}/credential", str(seconds),
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
            agent, at_start, result = None, 0, None
            async with asyncio.timeout(seconds + 60):
                while (line := (await proc.stdout.readline()).decode()):
                    if line.startswith("OFFER"):
                        agent = AgentPeer()
                        answer = await agent.answer(json.loads(line[5:]))
                        proc.stdin.write(("ANSWER" + json.dumps(answer) + "\n").encode())
                        await proc.stdin.drain()
                    elif line.startswith("MEASURING"):
                        agent = agent or (desk.agents[-1] if mode == "call" else None)
                        at_start, t0 = (agent.drains.video_frames if agent else 0), time.monotonic()
                    elif line.startswith("RESULT"):
                        result = json.loads(line[6:])
                        if agent is not None:
                            result["fps_out"] = (agent.drains.video_frames - at_start) / (time.monotonic() - t0)
                            pic = agent.pictures[-1]
                            result["size_out"] = f"{pic.width}x{pic.height}"
                await proc.wait()
            if agent is not None and mode == "bare":
                await agent.close()
            if result is None:
                raise SystemExit(f"the kiosk process ({mode}) gave no result")
            out[mode] = result
    finally:
        await desk.stop()
    return out


def run_cpu(seconds: float, runs: int) -> None:
    results = []
    with tempfile.TemporaryDirectory() as tmp, loopback_ice():
        for _ in range(runs):
            results.append(asyncio.run(cpu_parent(seconds, tmp)))
    med = statistics.median
    print(f"kiosk CPU, % of one core over {seconds:g} s, {runs} run(s), the kiosk's side in its own process")
    for mode, name in (("idle", "baseline: the driver open, no call"),
                       ("bare", "baseline: bare aiortc peer, two-way 640x480 15 fps"),
                       ("call", "kiosk: the driver in a two-way call")):
        cpu = med(r[mode]["cpu"] for r in results) * 100
        each = ", ".join(f"{r[mode]['cpu'] * 100:.1f}" for r in results)
        goal = f"  goal < 25%: {'met' if cpu < 25 else 'MISSED'}" if mode == "call" else ""
        media_line = ""
        if mode != "idle":
            r = results[-1][mode]
            media_line = f"  sent {r['size_out']} at {r['fps_out']:.1f} fps, received {r['fps_in']:.1f} fps"
        print(f"{name:<52} {cpu:6.1f}%  ({each}){media_line}{goal}")


# the desk alone, for bench_ui.py --call ----------------------------------------------------------------
async def desk_only(tmp: str) -> None:
    desk = await callrig.open_desk(tmp, stamped=False)
    print("DESK " + json.dumps({"url": desk.url, "credential": f"{tmp}/credential"}), flush=True)
    await asyncio.to_thread(sys.stdin.read)  # until the benchmark closes our stdin
    await desk.stop()


def main(argv: list[str]) -> None:
    logs.setup("console", "warning")
    if argv and argv[0] == "kiosk":
        with loopback_ice():
            asyncio.run(kiosk_child(argv[1], argv[2], argv[3], float(argv[4])))
        return
    if argv and argv[0] == "desk":
        with tempfile.TemporaryDirectory() as tmp, loopback_ice():
            asyncio.run(desk_only(tmp))
        return
    opts = {"--n": 10, "--seconds": 20.0, "--runs": 3}
    words = []
    it = iter(argv)
    for word in it:
        if word in opts:
            opts[word] = type(opts[word])(next(it))
        else:
            words.append(word)
    sections = words or ["setup", "latency", "cpu"]
    if "setup" in sections:
        run_setup(opts["--n"])
    if "latency" in sections:
        run_latency(opts["--seconds"])
    if "cpu" in sections:
        run_cpu(opts["--seconds"], opts["--runs"])


if __name__ == "__main__":
    main(sys.argv[1:])
