"""The A4 document printer over IPP: a CUPS queue (cups://QUEUE) or a printer (ipp://, ipps://).

Why it watches so much: an IPP printer accepts a job long before paper
moves. A job counts as printed only at job-state completed (9). Before
sending, printer-state-reasons are checked, so an empty tray refuses the
job instead of queueing it. While the job runs, a progress watchdog
follows it: when job-state, job-state-reasons and the page counters stop
changing for ``stall_timeout``, the job has failed. When the printer stops
answering for ``offline_after``, it has vanished; CUPS then keeps reporting
"processing" and "none" forever (a4-printing-cups-ipp.md §5), so the
watchdog is the only signal. A job that failed is cancelled (option
``cancel_on_failure``), so that it cannot print hours later, with a
citizen's data, for nobody.

Nothing here logs document bytes or the job name: both carry personal data.
Registry entry: ("document_printer", "ipp") -> "devices.document_printer.ipp:IppDocumentPrinter".
"""
from __future__ import annotations

import asyncio
import time
from typing import Any

import structlog

from devices.base import driver_options
from devices.contracts import DocumentPrinter
from devices.document_printer.ipp_client import IppClient, fingerprint
from devices.document_printer.ipp_codec import Attribute, GroupTag, Message, Op, Tag, is_success, status_name
from devices.document_printer.ipp_status import (ABORTED, CANCELED, COMPLETED, PrinterReport, job_failure, normalize,
                                                 printable, refuse_unless_usable, stalled_error)
from devices.errors import ConfigError, DeviceError, DeviceOffline, DeviceTimeout, ProtocolError
from devices.records import PrintResult
from devices.status import Reason, Status

log = structlog.get_logger("devices.ipp")

OPTIONS: dict[str, tuple[Any, str]] = {
    "uri": (None, "ipp://HOST[:PORT]/PATH, ipps://HOST[:PORT]/PATH, or cups://QUEUE "
                  "(= ipp://localhost:631/printers/QUEUE)"),
    "request_timeout": (10.0, "seconds for one IPP request; Print-Job also gets 1 s per MB of PDF"),
    "poll_interval": (0.5, "seconds between polls while a job runs"),
    "stall_timeout": (90.0, "seconds a job may show no progress at all before it counts as failed"),
    "offline_after": (10.0, "seconds of unanswered polls during a job before the printer counts as gone"),
    "media": ("iso_a4_210x297mm", "PWG media keyword sent with each job; empty lets the printer choose"),
    "cancel_on_failure": (True, "cancel a failed or stalled job so that it cannot print later, unattended"),
    "tls_verify": (True, "ipps:// only: verify the printer's certificate against the system's CAs"),
    "tls_fingerprint": ("", "ipps:// only: SHA-256 of a self-signed printer's certificate (hex); pins it "
                            "instead of verifying, the safe alternative to tls_verify=false"),
    "user": ("kiosk", "requesting-user-name; never a citizen's name"),
}
PRINTER_ATTRS = ("printer-state", "printer-state-reasons", "printer-state-message", "printer-is-accepting-jobs",
                 "printer-make-and-model", "document-format-supported")
JOB_ATTRS = ("job-state", "job-state-reasons", "job-state-message", "job-impressions-completed",
             "job-media-sheets-completed")
JOB_NAME_OCTETS = 255  # nameWithoutLanguage limit (RFC 8011 §5.1.3)
STATUS_BUSY, STATUS_NOT_ACCEPTING = 0x0507, 0x0506
CANCEL_TIMEOUT = 2.0  # seconds for the best-effort Cancel-Job after a failure; the printer may be gone


class IppDocumentPrinter(DocumentPrinter):
    def __init__(self, name: str, **options: Any):
        super().__init__(name, **options)
        cfg = driver_options(name, options, OPTIONS, required=("uri",))
        for key in ("request_timeout", "poll_interval", "stall_timeout", "offline_after"):
            if isinstance(cfg[key], bool) or not isinstance(cfg[key], (int, float)) or cfg[key] <= 0:
                raise ConfigError(f"{name}: option {key!r} must be a positive number of seconds")
        for key in ("media", "user"):
            if not isinstance(cfg[key], str) or (key == "user" and not cfg[key]):
                raise ConfigError(f"{name}: option {key!r} must be a string ({OPTIONS[key][1]})")
        self.client = IppClient(cfg["uri"], float(cfg["request_timeout"]), tls_verify=bool(cfg["tls_verify"]),
                                tls_pin=fingerprint(name, cfg["tls_fingerprint"]))
        self._request_timeout = float(cfg["request_timeout"])
        self._poll_interval = float(cfg["poll_interval"])
        self._stall_timeout = float(cfg["stall_timeout"])
        self._offline_after = float(cfg["offline_after"])
        self._media: str = cfg["media"] or ""
        self._cancel_on_failure = bool(cfg["cancel_on_failure"])
        self._user: str = cfg["user"]
        self._caps: dict[str, Any] = {}
        self._tasks: set[asyncio.Task] = set()  # jobs and their Cancel-Jobs, which outlive an unplugged caller

    # contract -----------------------------------------------------------------
    def capabilities(self) -> dict[str, Any]:
        return {"uri": self.client.endpoint.printer_uri, "media": self._media or "printer default",
                "document_format": "application/pdf", **self._caps}

    async def open(self) -> None:
        """Ask once; an unreachable printer leaves status offline instead of raising."""
        await self.check_health()

    async def check_health(self) -> Status:
        """Get-Printer-Attributes: changes nothing on the printer, publishes what it says."""
        try:
            await self._printer_report(time.monotonic() + self._request_timeout)
        except DeviceError as exc:  # offline, no reply, garbage, misconfigured: all are status here
            self._set_reasons({exc.reason}, _short(exc))
        return self.status

    async def print_pdf(self, pdf: bytes, *, title: str, copies: int = 1, timeout: float = 120.0) -> PrintResult:
        """Check the printer, submit, follow the job; printed=True only at job-state completed."""
        if not isinstance(copies, int) or isinstance(copies, bool) or not 1 <= copies <= 99:
            raise ValueError(f"copies must be 1..99, got {copies!r}")
        if not isinstance(pdf, (bytes, bytearray)) or not pdf:
            raise ValueError("pdf must be non-empty bytes")
        deadline = time.monotonic() + timeout
        return await self._pending(self._spawn(self._job(pdf, title, copies, deadline)))

    async def close(self) -> None:
        """Fail a pending print at once, then give its Cancel-Job the moment it needs (bounded)."""
        await super().close()
        limit = time.monotonic() + 2 * CANCEL_TIMEOUT
        while self._tasks and (left := limit - time.monotonic()) > 0:
            await asyncio.wait(set(self._tasks), timeout=left)

    # job ------------------------------------------------------------------------
    async def _job(self, pdf: bytes, title: str, copies: int, deadline: float) -> PrintResult:
        """Submit and follow, as a task of its own: an unplug answers the caller at once (``_pending``)
        and cancels this task, and the Cancel-Job it then sends runs in a task of its own too."""
        try:
            before = await self._printer_report(deadline)
        except DeviceError as exc:
            self._set_reasons({exc.reason}, _short(exc))
            raise
        refuse_unless_usable(before)
        submit = self._spawn(self._submit(pdf, title, copies, deadline))
        try:
            job_id = await asyncio.shield(submit)  # the printer may accept the job after we gave up on it
        except asyncio.CancelledError:
            submit.add_done_callback(self._cancel_once_accepted)
            raise
        except (DeviceOffline, ProtocolError) as exc:  # gone or garbled since the check: that is status
            self._set_reasons({exc.reason}, _short(exc))
            raise
        started = time.monotonic()
        log.info("ipp.job_submitted", device=self.name, job_id=job_id, bytes=len(pdf), copies=copies)
        try:
            result = await self._follow(job_id, deadline)
        except BaseException as exc:  # includes an unplug or the flow cancelling us: the job must not print later
            log.warning("ipp.job_failed", device=self.name, job_id=job_id, error=type(exc).__name__,
                        reason=str(exc.reason) if isinstance(exc, DeviceError) else "-",
                        seconds=round(time.monotonic() - started, 2))
            cancel = None if getattr(exc, "job_ended", False) else self._cancel_later(job_id)
            if cancel is not None and not isinstance(exc, asyncio.CancelledError):
                await asyncio.shield(cancel)  # the caller hears of the failure once the job cannot print later
            raise
        log.info("ipp.job_printed", device=self.name, job_id=job_id, pages=result.pages,
                 seconds=round(time.monotonic() - started, 2))
        return result

    async def _submit(self, pdf: bytes, title: str, copies: int, deadline: float) -> int:
        """Print-Job; retried while a direct-IPP printer answers busy (it runs one job at a time)."""
        job_attrs = [Attribute.of("copies", Tag.INTEGER, copies)] if copies != 1 else []
        if self._media:
            job_attrs.append(Attribute.of("media", Tag.KEYWORD, self._media))
        op_attrs = (Attribute.of("requesting-user-name", Tag.NAME, self._user),
                    Attribute.of("job-name", Tag.NAME, _job_name(title)),
                    Attribute.of("document-format", Tag.MIME_TYPE, "application/pdf"))
        upload = len(pdf) / 1_000_000  # seconds: 1 MB/s is the slowest link a kiosk printer sits on
        busy = "the printer stayed busy with another job"
        was_busy = False
        while True:
            try:
                reply = await self.client.call(Op.PRINT_JOB, op_attrs, tuple(job_attrs), data=pdf,
                                               deadline=deadline, extra=upload)
            except DeviceTimeout as exc:
                if was_busy and time.monotonic() >= deadline:  # a retry cut short by the deadline
                    raise DeviceTimeout(f"{busy}; not printed", reason=Reason.BUSY) from exc
                raise
            if reply.code == STATUS_BUSY:
                was_busy = True
                await self._sleep_until_next_poll(deadline, busy)
                continue
            _raise_for_status(reply, "Print-Job")
            job_id = reply.get("job-id", group=GroupTag.JOB)
            if not isinstance(job_id, int) or job_id <= 0:
                raise ProtocolError("Print-Job succeeded without a job-id")
            return job_id

    async def _follow(self, job_id: int, deadline: float) -> PrintResult:
        """Poll job and printer until the job ends; the watchdog turns silence and stalls into errors."""
        now = time.monotonic()
        last_answer = last_progress = now
        progress: tuple | None = None
        seen: set[Reason] = set()  # printer reasons during the job: CUPS clears some at job end
        while True:
            try:
                job = await self.client.call(Op.GET_JOB_ATTRIBUTES, _job_query(job_id, self._user), deadline=deadline)
                if job.code == 0x0406:  # client-error-not-found
                    raise _ended(DeviceOffline(f"job {job_id} is no longer known to the printer (restarted?); "
                                               "not printed"))
                _raise_for_status(job, "Get-Job-Attributes")
                report = await self._printer_report(deadline)
            except (DeviceOffline, DeviceTimeout) as exc:
                if getattr(exc, "job_ended", False):
                    raise
                silent = time.monotonic() - last_answer
                if silent >= self._offline_after:
                    self._set_reasons({Reason.NO_DEVICE}, f"no answer for {silent:.1f}s during job {job_id}")
                    raise DeviceOffline(f"printer stopped answering during job {job_id} ({_short(exc)}); "
                                        "not printed") from exc
                if time.monotonic() >= deadline and silent < 2 * self._poll_interval + self._request_timeout:
                    # the last poll was cut short by the caller's deadline, not by a silent printer
                    raise DeviceTimeout(f"job {job_id} did not finish in time; not printed",
                                        reason=Reason.BUSY) from exc
                await self._sleep_until_next_poll(deadline, f"job {job_id} did not finish in time "
                                                  f"({_short(exc)})", Reason.NO_REPLY)
                continue
            now = last_answer = time.monotonic()
            seen |= report.reasons
            state = job.get("job-state", group=GroupTag.JOB)
            job_reasons = job.get_all("job-state-reasons", group=GroupTag.JOB)
            pages = _counter(job, "job-impressions-completed")
            if state == COMPLETED:
                return PrintResult(str(job_id), printed=True, pages=pages,
                                   detail="paper low" if Reason.PAPER_LOW in report.reasons else "")
            if state in (CANCELED, ABORTED):
                raise _ended(job_failure(job_id, state, job_reasons, job.get("job-state-message", ""),
                                         report.reasons | seen))
            if not isinstance(state, int) or not 3 <= state <= 6:
                raise ProtocolError(f"job {job_id} has no valid job-state ({state!r})")
            signature = (state, tuple(job_reasons), pages, _counter(job, "job-media-sheets-completed"))
            if signature != progress:
                progress, last_progress = signature, now
            elif now - last_progress >= self._stall_timeout:
                raise stalled_error(job_id, now - last_progress, report)
            await self._sleep_until_next_poll(deadline, f"job {job_id} did not finish in time")

    async def _sleep_until_next_poll(self, deadline: float, why: str, reason: Reason = Reason.BUSY) -> None:
        """Wait one poll interval, or raise ``why`` if the caller's deadline comes first."""
        remaining = deadline - time.monotonic()
        if remaining > 0:
            await asyncio.sleep(min(self._poll_interval, remaining))
        if time.monotonic() >= deadline:
            raise DeviceTimeout(f"{why}; not printed", reason=reason)

    def _cancel_later(self, job_id: int) -> asyncio.Task | None:
        """Cancel-Job in a task of its own, so that answering the caller (or being cancelled) never skips it."""
        return self._spawn(self._cancel_quietly(job_id)) if self._cancel_on_failure else None

    def _cancel_once_accepted(self, submit: asyncio.Task) -> None:
        """A Print-Job the caller gave up on while it was in flight: cancel the job if the printer took it."""
        if not submit.cancelled() and submit.exception() is None:
            self._cancel_later(submit.result())

    async def _cancel_quietly(self, job_id: int) -> None:
        """Best effort, short: the job has failed either way and the printer may be gone."""
        try:
            reply = await self.client.call(Op.CANCEL_JOB, _job_query(job_id, self._user, attrs=False),
                                           deadline=time.monotonic() + min(self._request_timeout, CANCEL_TIMEOUT))
            log.info("ipp.job_cancelled", device=self.name, job_id=job_id, status=status_name(reply.code))
        except DeviceError as exc:
            log.warning("ipp.cancel_failed", device=self.name, job_id=job_id, error=type(exc).__name__)

    def _spawn(self, coro) -> asyncio.Task:
        """A task the driver keeps (a task nobody references can vanish) and that close() lets finish."""
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # printer ----------------------------------------------------------------------
    async def _printer_report(self, deadline: float) -> PrinterReport:
        """Get-Printer-Attributes, normalized and published as status."""
        reply = await self.client.call(Op.GET_PRINTER_ATTRIBUTES,
                                       (Attribute.of("requested-attributes", Tag.KEYWORD, *PRINTER_ATTRS),),
                                       deadline=deadline)
        _raise_for_status(reply, "Get-Printer-Attributes")
        report = normalize(reply.get("printer-state", group=GroupTag.PRINTER),
                           reply.get_all("printer-state-reasons", group=GroupTag.PRINTER),
                           reply.get("printer-state-message", "", group=GroupTag.PRINTER),
                           reply.get("printer-is-accepting-jobs", True, group=GroupTag.PRINTER))
        self._caps = {k: v for k, v in (
            ("make_and_model", reply.get("printer-make-and-model", group=GroupTag.PRINTER)),
            ("formats", reply.get_all("document-format-supported", group=GroupTag.PRINTER))) if v}
        self._set_reasons(set(report.reasons), report.detail)
        return report

def _raise_for_status(reply: Message, what: str) -> None:
    if is_success(reply.code):
        return
    name = status_name(reply.code)
    if reply.code == STATUS_NOT_ACCEPTING:
        raise DeviceError(f"{what}: the printer is not accepting jobs ({name})", reason=Reason.STOPPED)
    if reply.code in (0x0401, 0x0402, 0x0403, 0x0406, 0x040A, 0x040B):  # auth, not found, format, media
        raise ConfigError(f"{what}: {name}")
    if reply.code >= 0x0500:
        raise DeviceError(f"{what}: {name}", reason=Reason.HARDWARE_ERROR)
    raise ProtocolError(f"{what}: {name}")


def _ended(exc: DeviceError) -> DeviceError:
    """Mark an error that means the job is over on the printer's side: nothing left to cancel."""
    exc.job_ended = True  # type: ignore[attr-defined]
    return exc


def _job_query(job_id: int, user: str, attrs: bool = True) -> tuple[Attribute, ...]:
    query = (Attribute.of("job-id", Tag.INTEGER, job_id), Attribute.of("requesting-user-name", Tag.NAME, user))
    if attrs:
        query += (Attribute.of("requested-attributes", Tag.KEYWORD, *JOB_ATTRS),)
    return query


def _counter(job: Message, name: str) -> int:
    value = job.get(name, 0, group=GroupTag.JOB)
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def _job_name(title: str) -> str:
    """The caller's title, cut to IPP's 255 octets on a character boundary."""
    name = (title or "document").encode()[:JOB_NAME_OCTETS].decode("utf-8", "ignore")
    return name or "document"


def _short(exc: BaseException) -> str:
    return printable(str(exc), 200)
