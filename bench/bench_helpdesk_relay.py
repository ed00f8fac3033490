"""Help-desk signaling latency: a kiosk's frame to the agent's socket, both on one `backoffice serve` (the
baseline) and on two processes sharing one SQLite file (the relay through the database).

Run: PYTHONPATH=. python -m bench.bench_helpdesk_relay [N]. Starts a Mosquitto and two back offices on
loopback; each sample is one `ice.candidate` from the kiosk timed until the agent's socket has it.
Goal: the cross-process median within poll_interval_s (100 ms) of the baseline.
"""
from __future__ import annotations

import asyncio
import json
import re
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

from bench._util import report
from tests.backoffice.console import Console
from tests.fleet.mqtt_helpers import Broker, free_port
from wire import signaling as sig

PW = "agent-passphrase-1"


async def until(ws, kind: str) -> dict:
    async with asyncio.timeout(15):
        while True:
            frame = json.loads((await ws.receive()).data)
            if frame["kind"] == kind:
                return frame


async def samples(kiosk_on: Console, agent_on: Console, credential: str, n: int) -> list[float]:
    http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    page = await (await http.get(f"{agent_on.url}/login")).text()
    nonce = re.search(r'name="csrf" value="([^"]*)"', page).group(1)
    await http.post(f"{agent_on.url}/login", data={"name": "li", "password": PW, "csrf": nonce, "next": "/"})
    out = []
    async with http.ws_connect(f"{agent_on.url}/ws/agent", headers={"Origin": agent_on.url}) as staff, \
            http.ws_connect(f"{kiosk_on.url}/ws/kiosk") as kiosk:
        await staff.send_str(sig.make("", sig.AgentState("available"), time.time()))
        await kiosk.send_str(sig.make("", sig.Hello("K-0001", credential), time.time()))
        await kiosk.send_str(sig.make("", sig.HelpRequest("item", "step", "zh-CN"), time.time()))
        call = (await until(staff, "call.ring"))["call_id"]
        await staff.send_str(sig.make(call, sig.CallAccept(), time.time()))
        await until(kiosk, "call.assigned")
        for i in range(n):
            t0 = time.perf_counter()
            await kiosk.send_str(sig.make(call, sig.IceCandidate(f"candidate:{i} 1 udp 1 127.0.0.1 9 typ host"),
                                          time.time()))
            await until(staff, "ice.candidate")
            out.append(time.perf_counter() - t0)
        await kiosk.send_str(sig.make(call, sig.Hangup(), time.time()))
        await until(staff, "call.ended")
        await staff.send_str(sig.make(call, sig.WrapupDone("resolved"), time.time()))
    await http.close()
    return out


def main(n: int = 50) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "mqtt").mkdir()
        broker = Broker(root / "mqtt").start()
        shared = f'\n[database]\nurl = "sqlite:///{root / "shared.db"}"\n'
        consoles = []
        try:
            for name in ("a", "b"):
                (root / name).mkdir()
                consoles.append(Console(root / name, free_port(), broker.port, shared).start())
            a, b = consoles
            a.add_user("li", "agent", PW)
            credential = a.cli("kiosks", "credential", "K-0001").strip()
            same = asyncio.run(samples(a, a, credential, n))
            cross = asyncio.run(samples(a, b, credential, n))
            base = report("kiosk frame -> agent, one process (baseline)", same)
            report("kiosk frame -> agent, two processes via SQLite", cross, goal_ms=base + 100)
        finally:
            for c in consoles:
                c.stop()
            broker.stop()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50)
