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
import itertools
import logging
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import structlog

from devices.base import driver_options
from devices.contracts import DocumentPrinter
from devices.document_printer.ipp_codec import Attribute, GroupTag, Message, Op, Tag, decode, is_success, request, status_name
from devices.document_printer.ipp_status import (ABORTED, CANCELED, COMPLETED, PrinterReport, job_failure, normalize,
                                                 printable, refuse_unless_usable, stalled_error)
from devices.errors import ConfigError, DeviceError, DeviceOffline, DeviceTimeout, ProtocolError
from devices.records import PrintResult
from devices.status import Reason, Status

log = structlog.get_logger("devices.ipp")
wire = logging.getLogger("devices.ipp.wire")  # operation, status, sizes; never attribute values or documents

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
MAX_REPLY = 1 << 20  # our requests ask for a handful of attributes; more is a broken or hostile peer
JOB_NAME_OCTETS = 255  # nameWithoutLanguage limit (RFC 8011 §5.1.3)
STATUS_BUSY, STATUS_NOT_ACCEPTING = 0x0507, 0x0506


@dataclass(frozen=True)
class Endpoint:
    url: str  # where the HTTP POST goes
    printer_uri: str  # the printer-uri attribute inside each request
    tls: bool


def parse_uri(uri: str) -> Endpoint:
    """Validate a printer URI without any I/O; ConfigError names what is wrong."""
    parts = urlsplit(uri)
    if parts.scheme == "cups":
        queue = parts.netloc if parts.path in ("", "/") else ""  # cups://QUEUE, nothing after it
        if not queue or any(c in queue for c in "/#\\ ?@:") or parts.query or parts.fragment:
            raise ConfigError(f"{uri}: cups:// needs a queue name, e.g. cups://KioskA4")
        return Endpoint(f"http://localhost:631/printers/{queue}", f"ipp://localhost:631/printers/{queue}", False)
    if parts.scheme not in ("ipp", "ipps"):
        raise ConfigError(f"{uri}: unsupported scheme {parts.scheme!r}; use ipp://, ipps:// or cups://")
    try:
        port = parts.port or 631  # IANA port for both ipp and ipps (RFC 8010 §8.1, RFC 7472)
    except ValueError as exc:
        raise ConfigError(f"{uri}: bad port") from exc
    if not parts.hostname or not parts.path or parts.path == "/":
        raise ConfigError(f"{uri}: needs a host and a path, e.g. ipp://192.168.1.60/ipp/print")
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    http = "https" if parts.scheme == "ipps" else "http"
    return Endpoint(f"{http}://{host}:{port}{parts.path}", f"{parts.scheme}://{host}:{port}{parts.path}",
                    parts.scheme == "ipps")


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
        self.endpoint = parse_uri(cfg["uri"])
        self._request_timeout = float(cfg["request_timeout"])
        self._poll_interval = float(cfg["poll_interval"])
        self._stall_timeout = float(cfg["stall_timeout"])
        self._offline_after = float(cfg["offline_after"])
        self._media: str = cfg["media"] or ""
        self._cancel_on_failure = bool(cfg["cancel_on_failure"])
        self._tls_verify = bool(cfg["tls_verify"])
        self._tls_pin = _fingerprint(name, cfg["tls_fingerprint"])
        self._user: str = cfg["user"]
        self._ids = itertools.count(1)
        self._caps: dict[str, Any] = {}

    # contract -----------------------------------------------------------------
    def capabilities(self) -> dict[str, Any]:
        return {"uri": self.endpoint.printer_uri, "media": self._media or "printer default",
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
        try:
            before = await self._printer_report(deadline)
        except DeviceError as exc:
            self._set_reasons({exc.reason}, _short(exc))
            raise
        refuse_unless_usable(before)
        try:
            job_id = await self._submit(pdf, title, copies, deadline)
        except (DeviceOffline, ProtocolError) as exc:  # gone or garbled since the check: that is status
            self._set_reasons({exc.reason}, _short(exc))
            raise
        started = time.monotonic()
        log.info("ipp.job_submitted", device=self.name, job_id=job_id, bytes=len(pdf), copies=copies)
        try:
            result = await self._follow(job_id, deadline)
        except BaseException as exc:  # includes the flow cancelling us: the job must not print later
            log.warning("ipp.job_failed", device=self.name, job_id=job_id, error=type(exc).__name__,
                        reason=str(exc.reason) if isinstance(exc, DeviceError) else "-",
                        seconds=round(time.monotonic() - started, 2))
            if self._cancel_on_failure and not getattr(exc, "job_ended", False):
                await self._cancel_quietly(job_id)
            raise
        log.info("ipp.job_printed", device=self.name, job_id=job_id, pages=result.pages,
                 seconds=round(time.monotonic() - started, 2))
        return result

    # job ------------------------------------------------------------------------
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
                reply = await self._call(Op.PRINT_JOB, op_attrs, tuple(job_attrs), data=pdf, deadline=deadline,
                                         extra=upload)
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
                job = await self._call(Op.GET_JOB_ATTRIBUTES, _job_query(job_id, self._user), deadline=deadline)
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

    async def _cancel_quietly(self, job_id: int) -> None:
        """Best effort, short: the job has failed either way and the printer may be gone."""
        try:
            reply = await self._call(Op.CANCEL_JOB, _job_query(job_id, self._user, attrs=False),
                                     deadline=time.monotonic() + min(self._request_timeout, 2.0))
            log.info("ipp.job_cancelled", device=self.name, job_id=job_id, status=status_name(reply.code))
        except DeviceError as exc:
            log.warning("ipp.cancel_failed", device=self.name, job_id=job_id, error=type(exc).__name__)

    # printer ----------------------------------------------------------------------
    async def _printer_report(self, deadline: float) -> PrinterReport:
        """Get-Printer-Attributes, normalized and published as status."""
        reply = await self._call(Op.GET_PRINTER_ATTRIBUTES,
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

    # transport ----------------------------------------------------------------------
    async def _call(self, op: Op, op_attrs: tuple[Attribute, ...], job_attrs: tuple[Attribute, ...] = (), *,
                    deadline: float, data: bytes = b"", extra: float = 0.0) -> Message:
        """One IPP request over HTTP. Transport failures become DeviceOffline/DeviceTimeout/ProtocolError."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise DeviceTimeout(f"no time left for {op.name}", reason=Reason.NO_REPLY)
        request_id = next(self._ids) & 0x7FFFFFFF or 1
        body = request(op, request_id, self.endpoint.printer_uri, operation=op_attrs, job=job_attrs).encode() + data
        timeout = aiohttp.ClientTimeout(total=min(remaining, self._request_timeout + extra))
        try:
            async with self._http() as http, http.post(self.endpoint.url, data=body, timeout=timeout,
                                                       headers={"Content-Type": "application/ipp"}) as resp:
                raw = await _read_reply(resp)
        except asyncio.TimeoutError as exc:
            raise DeviceTimeout(f"no answer to {op.name} within {timeout.total:.1f}s",
                                reason=Reason.NO_REPLY) from exc
        except (aiohttp.ClientSSLError, aiohttp.ServerFingerprintMismatch) as exc:
            raise ConfigError(f"TLS to the printer failed ({exc.__class__.__name__}); "
                              "see options tls_verify and tls_fingerprint") from exc
        except (aiohttp.ClientError, OSError) as exc:
            raise DeviceOffline(f"printer unreachable ({_short(exc) or type(exc).__name__})") from exc
        reply = decode(raw)
        wire.debug("%s id=%d sent=%d status=%s received=%d", op.name, request_id, len(body),
                   status_name(reply.code), len(raw))
        if reply.request_id != request_id:
            raise ProtocolError(f"reply to {op.name} carries request-id {reply.request_id}, not {request_id}")
        return reply

    def _http(self) -> aiohttp.ClientSession:
        """A session per request, a connection per request: a keep-alive socket the printer dropped
        while idle is never mistaken for the printer vanishing, and there is nothing to leak when a
        caller forgets close(). Two small requests a poll are nothing next to a page. No proxies
        from the environment: the printer is on the kiosk's LAN."""
        ssl_arg: bool | aiohttp.Fingerprint = True
        if self.endpoint.tls and self._tls_pin is not None:
            ssl_arg = aiohttp.Fingerprint(self._tls_pin)
        elif self.endpoint.tls and not self._tls_verify:
            ssl_arg = False
        return aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True, ssl=ssl_arg), trust_env=False)


async def _read_reply(resp: aiohttp.ClientResponse) -> bytes:
    if resp.status in (401, 403):
        raise ConfigError(f"the printer wants authentication (HTTP {resp.status})")
    if resp.status == 404:
        raise ConfigError("no printer at this path (HTTP 404); check the URI")
    if resp.status == 426:
        raise ConfigError("the printer requires TLS (HTTP 426); use ipps://")
    if resp.status != 200:
        raise ProtocolError(f"HTTP {resp.status} instead of an IPP reply")
    raw = bytearray()
    async for chunk in resp.content.iter_chunked(65536):
        raw += chunk
        if len(raw) > MAX_REPLY:
            raise ProtocolError(f"IPP reply larger than {MAX_REPLY} bytes")
    return bytes(raw)


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


def _fingerprint(name: str, text: Any) -> bytes | None:
    if not text:
        return None
    try:
        digest = bytes.fromhex(str(text).replace(":", ""))
    except ValueError:
        digest = b""
    if len(digest) != 32:
        raise ConfigError(f"{name}: option 'tls_fingerprint' must be a SHA-256 in hex (64 digits, colons allowed)")
    return digest


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
