"""Technician command: ``kiosk devices test-print a4 --uri URI``.

Prints the A4 test page (devices.document_printer.testpage) through the IPP driver and
follows the job to the end, so "printed" means the printer said
job-completed. The exit code tells scripts what to do next: 2 = go to the
printer (paper, cover, jam, toner, stopped queue), 3 = check the network,
the URI or the queue. Failures are one line on stderr, in Chinese and
English, because the technician may be either.
"""
from __future__ import annotations

import asyncio
import sys
from typing import Any

from devices.errors import Cancelled, ConfigError, DeviceError, DeviceOffline, ProtocolError
from devices.receipt_printer.cli import EXIT_OK, EXIT_PRINTER, EXIT_UNREACHABLE, one_line, report_test_print
from devices.status import Reason

__all__ = ["EXIT_OK", "EXIT_PRINTER", "EXIT_UNREACHABLE", "run_test_print_a4", "classify"]
PRINTER_PROBLEMS = {  # reasons a person at the printer can fix
    Reason.PAPER_OUT: "打印机缺纸 / out of paper",
    Reason.COVER_OPEN: "打印机盖未关 / cover open",
    Reason.JAM: "卡纸 / paper jam",
    Reason.TONER_OUT: "墨粉用尽 / toner empty",
    Reason.STOPPED: "打印机已暂停或不接受作业 / printer stopped or not accepting jobs",
    Reason.HARDWARE_ERROR: "打印机故障 / printer error",
    Reason.BUSY: "打印机忙或作业超时 / printer busy or job too slow",
}
JOB_TITLE = "kiosk-test-page"  # no personal data: the page carries only the kiosk id


def run_test_print_a4(uri: str, kiosk_id: str, *, timeout: float = 180.0,
                      options: dict[str, Any] | None = None) -> int:
    """Print the test page; 0 printed, 2 the printer needs a person, 3 unreachable or protocol/config problem.

    ``options`` are extra IppDocumentPrinter options (tests shorten its poll and stall times).
    """
    from devices.document_printer.testpage import build_test_page  # imported on use: the CLI stays light
    from devices.document_printer.ipp import IppDocumentPrinter

    try:
        printer = IppDocumentPrinter("test-print-a4", uri=uri, **(options or {}))
    except ConfigError as exc:
        _fail(uri, "配置错误 / invalid configuration", exc)
        return EXIT_UNREACHABLE
    return asyncio.run(_print(printer, build_test_page(kiosk_id), uri, timeout))


async def _print(printer, pdf: bytes, uri: str, timeout: float) -> int:
    return await report_test_print(printer, printer.print_pdf(pdf, title=JOB_TITLE, timeout=timeout),
                                   f"A4 printer {uri}", classify)


def classify(exc: DeviceError) -> tuple[int, str]:
    """Exit code and a short bilingual label for a failed test print."""
    if isinstance(exc, ConfigError):
        return EXIT_UNREACHABLE, "配置错误 / configuration problem"
    if isinstance(exc, DeviceOffline) or exc.reason in (Reason.NO_DEVICE, Reason.NO_REPLY):
        return EXIT_UNREACHABLE, "无法连接 / unreachable"
    if isinstance(exc, ProtocolError):
        return EXIT_UNREACHABLE, "通信错误 / protocol error"
    if isinstance(exc, Cancelled):
        return EXIT_PRINTER, "作业在打印机上被取消 / job cancelled at the printer"
    return EXIT_PRINTER, PRINTER_PROBLEMS.get(exc.reason, "打印机故障 / printer problem")


def _fail(uri: str, label: str, exc: Exception) -> None:
    print(f"A4 printer {uri}: {label}: {one_line(exc)}", file=sys.stderr)
