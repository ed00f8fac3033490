"""What an IPP printer's state says, in the normalized vocabulary: printer-state-reasons to Reasons,
and the typed error for a printer that cannot take a job or a job that stopped moving. Pure: no I/O.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from devices.errors import Cancelled, ConfigError, DeviceError, DeviceOffline, DeviceTimeout, MediaError, ProtocolError
from devices.status import Reason

COMPLETED, CANCELED, ABORTED = 9, 7, 8  # job-state values (RFC 8011 §5.3.7)

CONDITIONS: dict[str, Reason] = {  # keyword with its -report/-warning/-error suffix stripped
    "media-empty": Reason.PAPER_OUT, "media-needed": Reason.PAPER_OUT,
    "input-tray-missing": Reason.PAPER_OUT,  # nothing can be fed; staff fix it like an empty tray
    "media-low": Reason.PAPER_LOW, "media-jam": Reason.JAM,
    "door-open": Reason.COVER_OPEN, "cover-open": Reason.COVER_OPEN, "interlock-open": Reason.COVER_OPEN,
    "toner-low": Reason.TONER_LOW, "marker-supply-low": Reason.TONER_LOW,
    "toner-empty": Reason.TONER_OUT, "marker-supply-empty": Reason.TONER_OUT,
    "offline": Reason.NO_DEVICE, "shutdown": Reason.NO_DEVICE, "connecting-to-device": Reason.NO_DEVICE,
    "paused": Reason.STOPPED, "moving-to-paused": Reason.STOPPED,
    "cups-missing-filter": Reason.NOT_CONFIGURED,  # the queue cannot convert PDF for this printer
}
INFORMATIONAL = frozenset({  # suffix-less keywords that RFC 8011 would otherwise read as errors
    "none", "cups-waiting-for-job-completed", "cups-insecure-filter", "cups-remote-pending",
    "identify-printer-requested", "com.apple.print.recoverable", "printer-restarted",
})
MEDIA_FIRST = (Reason.COVER_OPEN, Reason.JAM, Reason.PAPER_OUT, Reason.TONER_OUT)  # the order to fix them in
PRINTER_STATES = {3: "idle", 4: "processing", 5: "stopped"}
CUPS_UNREACHABLE = "may not exist or is unavailable"  # cupsd's printer-state-message when the device is gone


@dataclass(frozen=True)
class PrinterReport:
    state: int | None
    reasons: frozenset[Reason]
    detail: str  # technician-facing: conditions and message, never personal data


def split_keyword(keyword: str) -> tuple[str, str]:
    """("media-empty", "warning") from "media-empty-warning"; no suffix means error (RFC 8011 §5.4.12)."""
    for severity in ("report", "warning", "error"):
        if keyword.endswith("-" + severity):
            return keyword[: -len(severity) - 1], severity
    return keyword, "error"


def normalize(state: Any, keywords: list[Any], message: Any = "", accepting: Any = True) -> PrinterReport:
    """Known conditions count whatever their severity: ippeveprinter says media-empty-report while idle.
    Unknown ones: -error is a hardware error, -warning goes to the detail, -report is ignored.

    The detail names conditions without their suffix and the message only when something is
    wrong, so that it stays the same through a normal job and status changes stay rare.
    """
    reasons: set[Reason] = set()
    shown: list[str] = []
    for keyword in (k for k in keywords if isinstance(k, str)):
        condition, severity = split_keyword(keyword)
        if condition in CONDITIONS:
            reasons.add(CONDITIONS[condition])
        elif condition in INFORMATIONAL or keyword in INFORMATIONAL or severity == "report":
            continue
        elif severity == "error":
            reasons.add(Reason.HARDWARE_ERROR)
        condition = printable(condition, 40)  # keywords come off the network: no newlines into logs
        shown.append(condition if severity != "warning" or condition in CONDITIONS else f"{condition} (warning)")
    if state == 5:
        reasons.add(Reason.STOPPED)
        shown.append("printer-state stopped")
    if accepting is False:
        reasons.add(Reason.STOPPED)
        shown.append("not accepting jobs")
    message = printable(message, 80) if isinstance(message, str) else ""
    if CUPS_UNREACHABLE in message:
        reasons.add(Reason.NO_DEVICE)
    if message and (reasons or shown):
        shown.append(f"message: {message}")
    return PrinterReport(state if isinstance(state, int) else None, frozenset(reasons),
                         "; ".join(sorted(set(shown), key=shown.index)))


def job_failure(job_id: int, state: int, job_reasons: list[Any], message: Any,
                printer_reasons: frozenset[Reason]) -> DeviceError:
    """The typed error for a job that ended canceled (7) or aborted (8)."""
    what = f"job {job_id} {'canceled' if state == CANCELED else 'aborted'} " \
           f"({printable(','.join(str(r) for r in job_reasons), 120) or 'no reason given'}"
    message = printable(message, 80) if isinstance(message, str) else ""
    what += f"; {message})" if message else ")"
    for reason in MEDIA_FIRST:
        if reason in printer_reasons:
            return MediaError(f"{what}: {reason}; not printed", reason=reason)
    if any(str(r).startswith("job-canceled-") for r in job_reasons):
        return Cancelled(f"{what}; not printed")  # by a person at the printer or the queue's admin
    if any(str(r).startswith("document-") for r in job_reasons):
        return ProtocolError(f"{what}: the printer could not read the document; not printed")
    return DeviceError(f"{what}; not printed", reason=Reason.HARDWARE_ERROR)


def refuse_unless_usable(report: PrinterReport) -> None:
    """Before sending: a printer that cannot print gets no document (it would sit in its memory)."""
    reasons = report.reasons
    for reason in MEDIA_FIRST:
        if reason in reasons:
            raise MediaError(f"{reason} before the job ({report.detail})", reason=reason)
    if Reason.NOT_CONFIGURED in reasons:
        raise ConfigError(f"the queue cannot print ({report.detail})")
    if reasons & {Reason.NO_DEVICE, Reason.NO_REPLY}:
        raise DeviceOffline(f"the printer is offline ({report.detail})")
    for reason in (Reason.STOPPED, Reason.HARDWARE_ERROR):
        if reason in reasons:
            raise DeviceError(f"{reason} before the job ({report.detail})", reason=reason)


def stalled_error(job_id: int, silent_for: float, report: PrinterReport) -> DeviceError:
    for reason in MEDIA_FIRST:
        if reason in report.reasons:
            return MediaError(f"job {job_id} stopped by {reason} for {silent_for:.1f}s ({report.detail}); "
                              "not printed", reason=reason)
    return DeviceTimeout(f"job {job_id} made no progress for {silent_for:.1f}s ({report.detail}); not printed",
                         reason=Reason.HARDWARE_ERROR)


def printable(text: str, limit: int) -> str:
    """One line of printable characters at most ``limit`` long: printer text goes into status and logs."""
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())[:limit]
