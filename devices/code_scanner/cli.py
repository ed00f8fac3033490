"""Technician command: ``kiosk devices scan`` prints every code scanned until Ctrl-C or SIGTERM.

Why it prints the code: the technician checks a scanner with a test code
and must see that every character came through (GB18030 vs UTF-8, a
keyboard-wedge scanner on the wrong layout). Like ``kiosk devices idcard``,
this is the one place scanned content is written out: to stdout, on
request. Logs still never get it.

stdout has one JSON object per scan, ``{"device", "symbology", "length",
"data"}``. A QR payload can hold newlines, tabs and GS separators, and JSON
keeps each scan on one line anyway. stderr has one line per scanner state
change: ready, offline, back. A scanner that goes away is retried every
``RETRY`` seconds, so unplugging and replugging is part of the check. Exit
codes: 0 after Ctrl-C or SIGTERM, 3 when no scanner could be opened.
"""
from __future__ import annotations

import asyncio
import json
import signal
import sys
from typing import TextIO

from devices.contracts import CodeScanner
from devices.errors import DeviceError, DeviceOffline
from devices.records import Scan

EXIT_OK, EXIT_DEVICE = 0, 3
RETRY = 1.0  # seconds between reopen attempts of a scanner that went away


def run_scan(scanners: list[CodeScanner], *, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Open ``scanners`` (already built from configuration) and print scans until stopped; see the module doc."""
    err = err or sys.stderr
    _logs_to_stderr(err)
    return asyncio.run(_main(scanners, out or sys.stdout, err))


async def _main(scanners: list[CodeScanner], out: TextIO, err: TextIO) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    installed = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
            installed.append(sig)
        except (NotImplementedError, RuntimeError, ValueError):
            pass  # not the main thread: Ctrl-C then arrives as KeyboardInterrupt
    try:
        return await scan_until(scanners, stop, out, err)
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)


async def scan_until(scanners: list[CodeScanner], stop: asyncio.Event, out: TextIO, err: TextIO) -> int:
    """The command's body, for callers that own the loop and the stop signal."""
    try:
        ready = []
        for scanner in scanners:
            ready.append(await _open(scanner, err))
        if not any(ready):
            return EXIT_DEVICE
        tasks = [asyncio.create_task(_follow(s, up, out, err)) for s, up in zip(scanners, ready)]
        waiter = asyncio.create_task(stop.wait())
        await asyncio.wait([waiter, *tasks], return_when=asyncio.FIRST_COMPLETED)
        for task in (waiter, *tasks):
            task.cancel()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        for scanner, result in zip(scanners, results):
            if isinstance(result, Exception):  # a bug in a driver: say so, do not pretend it was Ctrl-C
                _say(err, scanner, "内部错误 / internal error", f"{type(result).__name__}: {result}")
                return EXIT_DEVICE
        return EXIT_OK
    finally:
        for scanner in scanners:
            try:
                await scanner.close()
            except DeviceError:
                pass  # closing what is already gone


async def _open(scanner: CodeScanner, err: TextIO) -> bool:
    try:
        await scanner.open()
    except DeviceError as exc:
        _say(err, scanner, "扫码器不可用 / scanner unavailable", exc)
        return False
    if not scanner.status.usable:
        _say(err, scanner, "扫码器不可用 / scanner unavailable", scanner.status.detail or scanner.status.state)
        return False
    _say(err, scanner, "就绪 / ready", scanner.status.detail)
    return True


async def _follow(scanner: CodeScanner, up: bool, out: TextIO, err: TextIO) -> None:
    while True:
        if not up:
            up = await _wait_back(scanner, err)
        try:
            scan = await scanner.read_code(timeout=None)
        except DeviceOffline as exc:
            _say(err, scanner, "已断开 / offline", exc)
            up = False
            continue
        except DeviceError as exc:
            _say(err, scanner, "读取失败 / read failed", exc)
            await asyncio.sleep(RETRY)
            continue
        out.write(json.dumps(scan_json(scan, scanner.name), ensure_ascii=False) + "\n")
        out.flush()


async def _wait_back(scanner: CodeScanner, err: TextIO) -> bool:
    while True:
        try:
            if (await scanner.check_health()).usable:
                _say(err, scanner, "已恢复 / back", scanner.status.detail)
                return True
        except DeviceError:
            pass  # still away
        await asyncio.sleep(RETRY)  # the retry schedule while a technician replugs


def scan_json(scan: Scan, device: str) -> dict:
    return {"device": device, "symbology": scan.symbology, "length": len(scan.data), "data": scan.data}


def _say(err: TextIO, scanner: CodeScanner, what: str, detail: object) -> None:
    text = " ".join(str(detail).split())
    err.write(f"scanner {scanner.name}: {what}" + (f": {text}" if text else "") + "\n")
    err.flush()


def _logs_to_stderr(err: TextIO) -> None:
    """stdout carries only scans; structlog's default would print there (same rule as the idcard command)."""
    import logging

    import structlog

    if not structlog.is_configured():
        structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.ERROR),
                            logger_factory=structlog.PrintLoggerFactory(err))
