"""The A4 printer through IPP: CUPS queues (cups://QUEUE) or IPP printers (ipp://HOST:PORT/PATH).

A job is reported printed only when the printer says job-completed. The
job is followed with Get-Job-Attributes; if its state, its impressions and
its reasons all stop changing for the stall limit, or the printer stops
answering, the job fails with a typed error. printer-state-reasons are
mapped to the normalized reasons (media-empty -> paper_out, ...), keyword
suffixes (-report/-warning/-error) stripped before comparing.
"""
from __future__ import annotations

import asyncio
import itertools
import time
from typing import Any
from urllib.parse import urlparse

import aiohttp
import structlog

from devices.base import driver_options
from devices.contracts import DocumentPrinter
from devices.errors import DeviceError, DeviceOffline, DeviceTimeout, MediaError, ProtocolError
from devices.ipp_codec import INTEGER, decode, encode_request
from devices.records import PrintResult
from devices.status import Reason

log = structlog.get_logger("devices.ipp")
CHARSET, LANG, URI, NAME, KEYWORD, MIME = 0x47, 0x48, 0x45, 0x42, 0x44, 0x49
REASONS = {
    "media-empty": Reason.PAPER_OUT, "media-needed": Reason.PAPER_OUT, "media-low": Reason.PAPER_LOW,
    "media-jam": Reason.JAM, "door-open": Reason.COVER_OPEN, "cover-open": Reason.COVER_OPEN,
    "toner-low": Reason.TONER_LOW, "marker-supply-low": Reason.TONER_LOW, "toner-empty": Reason.TONER_OUT,
    "marker-supply-empty": Reason.TONER_OUT, "offline": Reason.NO_DEVICE, "shutdown": Reason.NO_DEVICE,
    "connecting-to-device": Reason.NO_DEVICE,
}
IGNORED = {"none", "paused", "moving-to-paused", "cups-waiting-for-job-completed", "spool-area-full",
           "marker-waste-almost-full"}
OPTIONS: dict[str, tuple[Any, str]] = {
    "uri": ("", "ipp://HOST:PORT/PATH, ipps://..., or cups://QUEUE (the local CUPS server)"),
    "poll_interval": (1.0, "seconds between job-state polls"),
    "stall_s": (60.0, "a job with no progress this long is abandoned as failed"),
    "request_timeout": (5.0, "seconds for any single IPP request"),
}
JOB_DONE, JOB_FAILED = {9}, {7, 8}  # completed; canceled, aborted


def http_url(uri: str) -> tuple[str, str]:
    """(HTTP URL to POST to, printer-uri attribute)."""
    u = urlparse(uri)
    if u.scheme == "cups":
        queue = (u.netloc + u.path).strip("/")
        return f"http://localhost:631/printers/{queue}", f"ipp://localhost:631/printers/{queue}"
    if u.scheme in ("ipp", "ipps"):
        port = u.port or 631
        scheme = "https" if u.scheme == "ipps" else "http"
        return f"{scheme}://{u.hostname}:{port}{u.path or '/'}", uri
    raise ValueError(f"{uri}: not an ipp://, ipps:// or cups:// URI")


def normalize(keywords: list[str], state: int | None) -> set[Reason]:
    out: set[Reason] = set()
    for kw in keywords:
        base = kw
        for suffix in ("-report", "-warning", "-error"):
            if kw.endswith(suffix):
                base = kw[: -len(suffix)]
        if base in IGNORED:
            continue
        if base in REASONS:
            out.add(REASONS[base])
        elif kw.endswith("-error"):
            out.add(Reason.HARDWARE_ERROR)
    if state == 5 and not out:
        out.add(Reason.STOPPED)
    return out


class IppDocumentPrinter(DocumentPrinter):
    def __init__(self, name: str, **options: Any):
        super().__init__(name, **options)
        cfg = driver_options(name, options, OPTIONS, required=("uri",))
        try:
            self.url, self.printer_uri = http_url(cfg["uri"])
        except ValueError as exc:
            from devices.errors import ConfigError

            raise ConfigError(f"{name}: {exc}") from exc
        self.poll_interval, self.stall_s, self.request_timeout = (float(cfg[k]) for k in
                                                                  ("poll_interval", "stall_s", "request_timeout"))
        self._ids = itertools.count(1)

    def capabilities(self) -> dict:
        return {"uri": self.printer_uri, "formats": ["application/pdf"]}

    async def _request(self, operation: str, attrs: list, job: list | None = None, data: bytes = b""):
        body = encode_request(operation, next(self._ids), [(CHARSET, "attributes-charset", "utf-8"),
                                                          (LANG, "attributes-natural-language", "en"),
                                                          (URI, "printer-uri", self.printer_uri)] + attrs, job, data)
        try:
            async with aiohttp.ClientSession() as http, asyncio.timeout(self.request_timeout + len(data) / 1e6):
                async with http.post(self.url, data=body, headers={"Content-Type": "application/ipp"}) as resp:
                    if resp.status != 200:
                        raise ProtocolError(f"{self.name}: HTTP {resp.status} from the printer")
                    return decode(await resp.content.read(1 << 20))
        except TimeoutError as exc:
            self._set_reasons({Reason.NO_REPLY}, "no IPP reply")
            raise DeviceTimeout(f"{self.name}: no reply within {self.request_timeout:g}s") from exc
        except aiohttp.ClientError as exc:
            self._set_reasons({Reason.NO_DEVICE}, type(exc).__name__)
            raise DeviceOffline(f"{self.name}: printer unreachable ({type(exc).__name__})") from exc

    async def open(self) -> None:
        try:
            await self.check_health()
        except DeviceError:
            pass  # offline is a status, not an exception, at open

    async def check_health(self):
        reply = await self._request("get-printer-attributes", [(KEYWORD, "requested-attributes",
                                                                ["printer-state", "printer-state-reasons"])])
        p = reply.attrs("printer")
        state = (p.get("printer-state") or [None])[0]
        self._set_reasons(normalize([str(k) for k in p.get("printer-state-reasons", [])], state),
                          f"printer-state {state}")
        return self.status

    async def print_pdf(self, pdf: bytes, *, title: str, copies: int = 1, timeout: float = 120.0) -> PrintResult:
        status = await self.check_health()
        blocking = status.reasons & {Reason.PAPER_OUT, Reason.JAM, Reason.COVER_OPEN, Reason.TONER_OUT,
                                     Reason.STOPPED, Reason.HARDWARE_ERROR}
        if blocking:
            reason = Reason.PAPER_OUT if Reason.PAPER_OUT in blocking else sorted(blocking)[0]
            raise MediaError(f"{self.name}: {reason}", reason)
        reply = await self._request("print-job", [(NAME, "requesting-user-name", "kiosk"),
                                                  (NAME, "job-name", title[:64] or "document"),
                                                  (MIME, "document-format", "application/pdf")],
                                    job=[(INTEGER, "copies", copies)] if copies > 1 else None, data=pdf)
        if not reply.ok:
            raise DeviceError(f"{self.name}: Print-Job refused with status 0x{reply.code:04x}")
        job_id = (reply.attrs("job").get("job-id") or [None])[0]
        if not isinstance(job_id, int):
            raise ProtocolError(f"{self.name}: Print-Job reply without a job-id")
        return await self._follow(job_id, title, timeout)

    async def _follow(self, job_id: int, title: str, timeout: float) -> PrintResult:
        """Poll until completed; fail on abort, on no progress for stall_s, or past the caller's timeout."""
        started = last_change = time.monotonic()
        last = None
        while True:
            reply = await self._request("get-job-attributes", [(INTEGER, "job-id", job_id), (KEYWORD, "requested-attributes",
                                        ["job-state", "job-state-reasons", "job-impressions-completed"])])
            j = reply.attrs("job")
            state = (j.get("job-state") or [None])[0]
            progress = (state, tuple(j.get("job-state-reasons", [])), tuple(j.get("job-impressions-completed", [])))
            now = time.monotonic()
            if progress != last:
                last, last_change = progress, now
            if state in JOB_DONE:
                await self._refresh()
                log.info("ipp.job_done", printer=self.name, job=job_id)
                return PrintResult(str(job_id), True, int((j.get("job-impressions-completed") or [1])[0] or 1))
            if state in JOB_FAILED:
                status = await self._refresh()
                reason = next(iter(status.reasons & {Reason.PAPER_OUT, Reason.JAM, Reason.COVER_OPEN}), None)
                raise MediaError(f"{self.name}: job {job_id} {'canceled' if state == 7 else 'aborted'}",
                                 reason or Reason.HARDWARE_ERROR)
            if now - last_change > self.stall_s or now - started > timeout:
                status = await self._refresh()
                await self._cancel(job_id)
                if status.reasons & {Reason.PAPER_OUT, Reason.JAM, Reason.COVER_OPEN}:
                    reason = sorted(status.reasons & {Reason.PAPER_OUT, Reason.JAM, Reason.COVER_OPEN})[0]
                    raise MediaError(f"{self.name}: job {job_id} stopped: {reason}", reason)
                raise DeviceTimeout(f"{self.name}: job {job_id} made no progress for {now - last_change:.0f}s")
            await asyncio.sleep(self.poll_interval)

    async def _refresh(self):
        try:
            return await self.check_health()
        except DeviceError:
            return self.status

    async def _cancel(self, job_id: int) -> None:
        try:
            await self._request("cancel-job", [(INTEGER, "job-id", job_id)])
        except DeviceError:
            pass  # the job is failed either way; the printer may be gone
