"""``kiosk devices scan``: JSON lines on stdout, state changes on stderr, real signals in a real process."""
from __future__ import annotations

import asyncio
import io
import json
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from devices.code_scanner import cli as scan_cli
from devices.code_scanner.cli import EXIT_DEVICE, EXIT_OK, scan_until
from devices.contracts import CodeScanner
from devices.errors import DeviceOffline
from devices.records import Scan
from devices.status import Reason

ROOT = Path(__file__).resolve().parents[3]

CHILD = """
import sys
from devices.code_scanner.cli import run_scan
from devices.code_scanner.wedge import EvdevCodeScanner
from devices.testing.fake_evdev import FakeEvdev

bus = FakeEvdev()
node = bus.add() if sys.argv[1] == "present" else None
scanner = EvdevCodeScanner("scanner", backend=bus, path="/dev/input/event5")
if node is not None:
    scanner.on_status(lambda ev: ev.new.usable and node.type(sys.argv[2]))  # scan as soon as it is open
sys.exit(run_scan([scanner]))
"""


def child(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", CHILD, *args], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def read_line(stream, timeout: float = 10.0) -> str:
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        if select.select([stream], [], [], left)[0]:
            return stream.readline()
    raise AssertionError("no output from the scan command")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_prints_each_scan_as_one_json_line_until_a_signal(sig):
    code = "https://zwfw.example.gov.cn/v?a=1\n01095\x1d10AB"  # a newline and a GS1 separator inside
    proc = child("present", code)
    try:
        line = read_line(proc.stdout)
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=10)
    finally:
        proc.kill()
    assert proc.returncode == EXIT_OK, err
    assert json.loads(line) == {"device": "scanner", "symbology": "unknown", "length": len(code), "data": code}
    assert out == ""  # nothing but scans on stdout
    assert "scanner scanner: 就绪 / ready" in err


def test_exit_3_when_no_scanner_can_be_opened():
    proc = child("absent")
    out, err = proc.communicate(timeout=10)
    assert proc.returncode == EXIT_DEVICE
    assert out == "" and err.strip() == "scanner scanner: 扫码器不可用 / scanner unavailable: /dev/input/event5 not present"


class Scripted(CodeScanner):
    """Hands out a script of scans and failures; sets ``done`` when it runs out."""

    def __init__(self, name: str, script: list, *, present: bool = True, health: list[bool] | None = None):
        super().__init__(name)
        self.script, self.present, self.health = list(script), present, list(health or [])
        self.done = asyncio.Event()
        self.closed = False

    async def open(self) -> None:
        self._set_reasons(set() if self.present else {Reason.NO_DEVICE}, "scripted")

    async def check_health(self):
        if self.health:
            self._set_reasons(set() if self.health.pop(0) else {Reason.NO_DEVICE}, "scripted")
        return self.status

    async def read_code(self, *, timeout=None) -> Scan:
        if not self.script:
            self.done.set()
            await asyncio.Event().wait()
        item = self.script.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    async def close(self) -> None:
        self.closed = True


async def run(scanners, stop=None):
    out, err = io.StringIO(), io.StringIO()
    stop = stop or asyncio.Event()
    for s in scanners:  # stop once every script ran out
        s.done = asyncio.Event()

    async def stopper():
        await asyncio.gather(*(s.done.wait() for s in scanners if s.present or s.health))
        stop.set()

    helper = asyncio.create_task(stopper())
    code = await asyncio.wait_for(scan_until(scanners, stop, out, err), 5)
    helper.cancel()
    return code, [json.loads(line) for line in out.getvalue().splitlines()], err.getvalue().splitlines()


async def test_several_scanners_one_missing(monkeypatch):
    monkeypatch.setattr(scan_cli, "RETRY", 0.001)
    a = Scripted("wedge", [Scan("A-1"), Scan("健康码", "qr")])
    b = Scripted("serial", [], present=False)
    code, lines, err = await run([a, b])
    assert code == EXIT_OK
    assert [(x["device"], x["data"], x["symbology"]) for x in lines] == [("wedge", "A-1", "unknown"),
                                                                         ("wedge", "健康码", "qr")]
    assert "scanner serial: 扫码器不可用 / scanner unavailable: scripted" in err
    assert a.closed and b.closed


async def test_an_unplugged_scanner_is_reported_and_followed_back(monkeypatch):
    monkeypatch.setattr(scan_cli, "RETRY", 0.001)
    s = Scripted("scanner", [Scan("before"), DeviceOffline("scanner: ENODEV"), Scan("after")],
                 health=[False, False, True])
    code, lines, err = await run([s])
    assert code == EXIT_OK and [x["data"] for x in lines] == ["before", "after"]
    assert err == ["scanner scanner: 就绪 / ready: scripted", "scanner scanner: 已断开 / offline: scanner: ENODEV",
                   "scanner scanner: 已恢复 / back: scripted"]


async def test_a_driver_bug_is_not_reported_as_a_clean_stop():
    s = Scripted("scanner", [RuntimeError("bug")])
    code, _, err = await run([s])
    assert code == EXIT_DEVICE and err[-1] == "scanner scanner: 内部错误 / internal error: RuntimeError: bug"


async def test_nothing_to_open_is_exit_3():
    code, lines, err = await run([])
    assert code == EXIT_DEVICE and lines == [] and err == []

