"""Technician command: ``kiosk devices test-print receipt --uri URI``.

Why a test page in Chinese with full-width punctuation and ￥: those are the
characters that silently become '?' with a wrong encoding or without FS &, so
a technician sees at a glance whether the profile fits the printer. The exit
code tells scripts what to do next: 2 = go to the printer (paper, cover,
cutter), 3 = check the cable, address or profile.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import sys

from devices.errors import ConfigError, DeviceError, MediaError
from devices.records import Cut, Feed, QrCode, Receipt, Text
from devices.status import Reason

EXIT_OK, EXIT_PRINTER, EXIT_UNREACHABLE = 0, 2, 3
PRINTER_PROBLEMS = {  # reasons a person at the printer can fix
    Reason.PAPER_OUT: "打印机缺纸 / out of paper",
    Reason.COVER_OPEN: "打印机盖未关 / cover open",
    Reason.JAM: "卡纸 / paper jam",
    Reason.CUTTER_ERROR: "切刀故障 / cutter error",
    Reason.HARDWARE_ERROR: "打印机故障 / printer error",
    Reason.BUSY: "打印机离线 / printer offline (feed button?)",
}


def build_test_page(kiosk_id: str, now: dt.datetime | None = None, profile: str = "") -> Receipt:
    now = now or dt.datetime.now().astimezone()  # wall clock on purpose: it is printed, not timed
    lines = [
        Text("自助终端打印测试", align="center", scale=2, bold=True),
        Text(""),
        Text(f"终端编号：{kiosk_id}"),
        Text(f"本地时间：{now:%Y-%m-%d %H:%M:%S}"),
        Text("标点：（），。：￥"),
        Text("ASCII: 0123456789 ABCDEFG abcdefg"),
    ]
    if profile:
        lines.append(Text(f"profile: {profile}"))
    return Receipt((*lines, QrCode(kiosk_id, size=6, align="center"), Feed(2), Cut()), job_id="test-print")


def run_test_print_receipt(uri: str, kiosk_id: str, *, profile: str = "generic-gb18030",
                           timeout: float = 30.0) -> int:
    """Print the test page; 0 printed, 2 printer needs a person, 3 unreachable or protocol/config problem."""
    from devices.receipt_printer.escpos import EscposReceiptPrinter  # imported on use: the CLI stays light

    try:
        printer = EscposReceiptPrinter("test-print", uri=uri, profile=profile)
    except ConfigError as exc:
        print(f"receipt printer: 配置错误 / invalid configuration: {exc}", file=sys.stderr)
        return EXIT_UNREACHABLE
    return asyncio.run(_print(printer, build_test_page(kiosk_id, profile=profile), uri, timeout))


async def _print(printer, receipt: Receipt, uri: str, timeout: float) -> int:
    return await report_test_print(printer, printer.print_receipt(receipt, timeout=timeout),
                                   f"receipt printer {uri}", classify)


async def report_test_print(printer, job, label: str, classify) -> int:
    """Await a test print and report it the technician's way, for every printer class.

    Printed: one line on stdout, exit 0. Failed: one line on stderr, and the
    exit code `classify` gives (2 go to the printer, 3 check cable, address or
    configuration). The printer is closed either way.
    """
    try:
        result = await job
    except DeviceError as exc:
        code, what = classify(exc)
        print(f"{label}: {what}: {one_line(exc)}", file=sys.stderr)
        return code
    finally:
        await printer.close()
    note = f", {result.detail}" if result.detail else ""
    print(f"{label}: 测试页已打印 / test page printed (job {result.job_id}{note})")
    return EXIT_OK


def classify(exc: DeviceError) -> tuple[int, str]:
    """Exit code and a short bilingual label for a failed test print."""
    if isinstance(exc, MediaError) or (type(exc) is DeviceError and exc.reason in PRINTER_PROBLEMS) \
            or (exc.reason is Reason.BUSY):
        return EXIT_PRINTER, PRINTER_PROBLEMS.get(exc.reason, "打印机故障 / printer problem")
    if exc.reason in (Reason.NO_DEVICE, Reason.NO_REPLY):
        return EXIT_UNREACHABLE, "无法连接 / unreachable"
    return EXIT_UNREACHABLE, "通信错误 / protocol or configuration error"


def one_line(exc: Exception) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
