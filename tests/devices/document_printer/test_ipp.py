"""The IPP A4 driver against CUPS's real ippeveprinter on 127.0.0.1, and a scripted fake for the rest.

Every failure path asserts two things: the typed error, and that the job
was not reported printed (nothing captured, or the job cancelled on the
printer). Waits poll a condition with a deadline; nothing sleeps to sync.
"""
from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest
import structlog

from devices.document_printer.ipp import IppDocumentPrinter
from devices.document_printer.ipp_client import parse_uri
from devices.document_printer.ipp_codec import GroupTag, Op, Tag
from devices.document_printer.ipp_status import normalize
from devices.document_printer.testpage import TITLE, build_test_page
from devices.errors import Cancelled, ConfigError, DeviceError, DeviceOffline, DeviceTimeout, MediaError, ProtocolError
from devices.registry import build
from devices.status import Reason, State
from devices.testing.ipp_server import IppEvePrinter, ScriptedIppServer, reply
from tests.devices.document_printer.ipp_fixtures import FAST, ippeve, needs_ippeve, printer  # noqa: F401 (fixtures)

PDF = build_test_page("KIOSK-T-01")


@pytest.fixture
async def drivers():
    made: list[IppDocumentPrinter] = []

    def make(uri: str, **options) -> IppDocumentPrinter:
        made.append(IppDocumentPrinter("a4", uri=uri, **{**FAST, **options}))
        return made[-1]

    yield make
    for d in made:
        await d.close()


def new_jobs(printer: IppEvePrinter, before: set[int]) -> list[int]:
    """Jobs started on the shared printer since ``before`` (reset() runs jobs of its own)."""
    return sorted(set(printer.started_jobs()) - before)


async def until(condition: Callable[[], object], timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout}s for {what}")
        await asyncio.sleep(0.02)
    return value


# real printer -----------------------------------------------------------------------------

@needs_ippeve
async def test_a_pdf_prints_and_the_paper_carries_the_chinese_title(printer, drivers):
    d = drivers(printer.uri)
    await d.open()
    assert d.status.state == State.OK
    with structlog.testing.capture_logs() as logs:
        result = await d.print_pdf(PDF, title="身份证明-张三-110101199003071234", timeout=10)
    assert result.printed and result.pages == 1
    text = printer.captured_text(int(result.job_id))
    assert TITLE in text and "KIOSK-T-01" in text
    assert "张三" not in repr(logs) and "1101011990" not in repr(logs)  # the job name is never logged
    assert [e["event"] for e in logs if e["event"].startswith("ipp.")] == ["ipp.job_submitted", "ipp.job_printed"]


@needs_ippeve
async def test_media_empty_before_the_job_refuses_it_and_says_paper_out(printer, drivers):
    printer.set_media(main=0, bypass=0)
    before = set(printer.started_jobs())
    d = drivers(printer.uri)
    with pytest.raises(MediaError) as exc:
        await d.print_pdf(PDF, title="cert", timeout=10)
    assert exc.value.reason == Reason.PAPER_OUT
    assert d.status.state == State.ERROR and d.status.reasons == {Reason.PAPER_OUT}
    assert new_jobs(printer, before) == []  # nothing was sent
    assert "media-empty" in d.status.detail


@needs_ippeve
@pytest.mark.parametrize("setup,reason", [
    (lambda p: p.set_reasons("+cover-open"), Reason.COVER_OPEN),
    (lambda p: p.set_supplies(toner=0), Reason.TONER_OUT),
    (lambda p: p.set_reasons("+paused"), Reason.STOPPED),
], ids=["cover-open", "toner-empty", "paused"])
async def test_blocking_conditions_refuse_the_job(printer, drivers, setup, reason):
    setup(printer)
    before = set(printer.started_jobs())
    d = drivers(printer.uri)
    with pytest.raises(DeviceError) as exc:
        await d.print_pdf(PDF, title="cert", timeout=10)
    assert exc.value.reason == reason and reason in d.status.reasons
    assert new_jobs(printer, before) == []


@needs_ippeve
async def test_a_jam_aborts_the_job_and_it_is_not_printed(printer, drivers):
    before = set(printer.started_jobs())
    d = drivers(printer.uri)
    with pytest.raises(MediaError) as exc:
        await d.print_pdf(PDF, title="cert-jam", timeout=10)
    assert exc.value.reason == Reason.JAM and "aborted" in str(exc.value)
    assert Reason.JAM in d.status.reasons and d.status.state == State.ERROR
    [job_id] = new_jobs(printer, before)
    assert printer.job_state(job_id) == "aborted" and job_id not in printer.captured()


@needs_ippeve
async def test_paper_running_out_mid_job_fails_it_after_the_stall_limit_and_cancels_it(printer, drivers):
    before = set(printer.started_jobs())
    d = drivers(printer.uri, stall_timeout=0.6)
    task = asyncio.ensure_future(d.print_pdf(PDF, title="cert-hold", timeout=10))
    [job_id] = await until(lambda: new_jobs(printer, before), 5, "the job to start")
    printer.set_media(main=0, bypass=0)
    started = time.monotonic()
    with pytest.raises(MediaError) as exc:
        await task
    assert time.monotonic() - started < 0.6 + 0.5
    assert exc.value.reason == Reason.PAPER_OUT and Reason.PAPER_OUT in d.status.reasons
    printer.release()  # ippeveprinter applies the cancel when the job's command returns
    await until(lambda: printer.job_state(job_id) == "canceled", 5, "the job to be cancelled")
    assert job_id not in printer.captured()


@needs_ippeve
async def test_a_job_without_progress_times_out_within_the_stall_limit(printer, drivers):
    before = set(printer.started_jobs())
    d = drivers(printer.uri, stall_timeout=0.5)
    started = time.monotonic()
    with pytest.raises(DeviceTimeout) as exc:
        await d.print_pdf(PDF, title="cert-hold", timeout=10)
    assert 0.5 <= time.monotonic() - started < 0.5 + 1.0
    assert "no progress" in str(exc.value) and "not printed" in str(exc.value)
    [job_id] = new_jobs(printer, before)
    printer.release()
    await until(lambda: printer.job_state(job_id) == "canceled", 5, "the job to be cancelled")


@needs_ippeve
async def test_progress_keeps_a_long_job_alive(printer, drivers):
    """0.75 s of work, an impression every 0.15 s: longer than the stall limit, never quiet that long."""
    d = drivers(printer.uri, stall_timeout=0.6)
    result = await d.print_pdf(PDF, title="cert-slow", timeout=10)
    assert result.printed and result.pages == 5


@needs_ippeve
async def test_a_flow_that_gives_up_cancels_the_job_on_the_printer(printer, drivers):
    before = set(printer.started_jobs())
    d = drivers(printer.uri)
    task = asyncio.ensure_future(d.print_pdf(PDF, title="cert-hold", timeout=10))
    [job_id] = await until(lambda: new_jobs(printer, before), 5, "the job to start")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    printer.release()
    await until(lambda: printer.job_state(job_id) == "canceled", 5, "the job to be cancelled")


@needs_ippeve
async def test_a_busy_printer_is_retried_until_the_deadline_then_not_printed(printer, drivers):
    before = set(printer.started_jobs())
    first = asyncio.ensure_future(drivers(printer.uri).print_pdf(PDF, title="cert-hold", timeout=10))
    await until(lambda: new_jobs(printer, before), 5, "the first job to start")
    with pytest.raises(DeviceTimeout, match="busy"):
        await drivers(printer.uri).print_pdf(PDF, title="second", timeout=0.5)
    assert len(new_jobs(printer, before)) == 1
    printer.release()
    assert (await first).printed


@needs_ippeve
async def test_ipps_refuses_an_unknown_certificate_and_prints_when_it_is_pinned(printer, drivers):
    d = drivers(printer.ipps_uri)
    await d.open()  # ippeveprinter creates its self-signed certificate on this first TLS connection
    assert d.status.reasons == {Reason.NOT_CONFIGURED} and "tls_fingerprint" in d.status.detail
    pinned = drivers(printer.ipps_uri, tls_fingerprint=printer.certificate_sha256())
    result = await pinned.print_pdf(PDF, title="cert", timeout=10)
    assert result.printed and TITLE in printer.captured_text(int(result.job_id))
    wrong = drivers(printer.ipps_uri, tls_fingerprint="00" * 32)
    with pytest.raises(ConfigError):
        await wrong.print_pdf(PDF, title="cert", timeout=10)


@needs_ippeve
async def test_the_codec_reads_what_ipptool_reads(printer, drivers):
    """ipptool is the independent oracle: the same printer's attributes, names and syntaxes."""
    import re
    import subprocess

    out = subprocess.run(["ipptool", "-tv", printer.uri, "get-printer-attributes.test"], capture_output=True,
                         text=True, timeout=10).stdout
    theirs = dict(re.findall(r"^\s{8}([a-z0-9-]+) \((?:1setOf )?([A-Za-z]+)\) = ", out, re.M))
    d = drivers(printer.uri)
    msg = await d.client.call(Op.GET_PRINTER_ATTRIBUTES, (), deadline=time.monotonic() + 5)
    syntax = {Tag.INTEGER: "integer", Tag.BOOLEAN: "boolean", Tag.ENUM: "enum", Tag.OCTET_STRING: "octetString",
              Tag.DATE_TIME: "dateTime", Tag.RESOLUTION: "resolution", Tag.RANGE: "rangeOfInteger",
              Tag.BEG_COLLECTION: "collection", Tag.TEXT: "textWithoutLanguage",
              Tag.NAME: "nameWithoutLanguage", Tag.KEYWORD: "keyword", Tag.URI: "uri", Tag.URI_SCHEME: "uriScheme",
              Tag.CHARSET: "charset", Tag.LANGUAGE: "naturalLanguage", Tag.MIME_TYPE: "mimeMediaType",
              Tag.NO_VALUE: "noValue", Tag.UNKNOWN: "unknown", Tag.UNSUPPORTED: "unsupported"}
    ours = {a.name: syntax.get(a.values[0].tag, "?") for g in msg.groups if g.tag == GroupTag.PRINTER
            for a in g.attributes}
    common = set(ours) & set(theirs)
    assert len(common) > 80 and {k: ours[k] for k in common} == {k: theirs[k] for k in common}


# unreachable, misconfigured, scripted replies ------------------------------------------------

async def test_an_unreachable_printer_is_offline_at_once(drivers, unused_tcp_port):
    d = drivers(f"ipp://127.0.0.1:{unused_tcp_port}/ipp/print")
    started = time.monotonic()
    await d.open()
    assert d.status.state == State.OFFLINE and d.status.reasons == {Reason.NO_DEVICE}
    with pytest.raises(DeviceOffline):
        await d.print_pdf(PDF, title="cert", timeout=10)
    assert time.monotonic() - started < 1.0


def printer_attrs(state=3, reasons=("none",), accepting=True, message="Idle."):
    return {"printer-state": (Tag.ENUM, state), "printer-state-reasons": (Tag.KEYWORD, list(reasons)),
            "printer-is-accepting-jobs": (Tag.BOOLEAN, accepting), "printer-state-message": (Tag.TEXT, message)}


def scripted(job_states=(5, 9), **printer):
    """A printer whose jobs walk through ``job_states``; it records what the driver sent."""
    states = list(job_states)

    def respond(req):
        if req.code == Op.GET_PRINTER_ATTRIBUTES:
            return reply(req, printer=printer_attrs(**printer))
        if req.code == Op.PRINT_JOB:
            return reply(req, job={"job-id": (Tag.INTEGER, 7), "job-state": (Tag.ENUM, 3)})
        if req.code == Op.GET_JOB_ATTRIBUTES:
            state = states.pop(0) if len(states) > 1 else states[0]
            why = "job-canceled-at-device" if state == 7 else "none"
            return reply(req, job={"job-state": (Tag.ENUM, state), "job-state-reasons": (Tag.KEYWORD, why)})
        return reply(req)

    return ScriptedIppServer(respond)


async def test_what_the_driver_sends(drivers):
    with scripted() as fake:
        result = await drivers(fake.uri).print_pdf(PDF, title="证明" * 200, copies=2, timeout=5)
    assert result.printed
    ops = [r.code for r in fake.requests]
    assert ops[:2] == [Op.GET_PRINTER_ATTRIBUTES, Op.PRINT_JOB] and set(ops[2:]) <= {Op.GET_JOB_ATTRIBUTES,
                                                                                    Op.GET_PRINTER_ATTRIBUTES}
    job = fake.requests[1]
    first = [a.name for a in job.groups[0].attributes][:3]
    assert first == ["attributes-charset", "attributes-natural-language", "printer-uri"]  # RFC 8011 order
    assert job.get("document-format") == "application/pdf" and job.data == PDF
    assert len(job.get("job-name").encode()) <= 255 and job.get("job-name").startswith("证明")
    assert job.get("copies", group=GroupTag.JOB) == 2 and job.get("media", group=GroupTag.JOB) == "iso_a4_210x297mm"


async def test_a_job_the_printer_accepts_after_an_unplug_is_cancelled_once_it_has_an_id(drivers):
    """udev said the printer went while the PDF was uploading; the printer took the job anyway."""
    import threading

    accept = threading.Event()
    with scripted() as fake:
        respond = fake.responder
        fake.responder = lambda req: (req.code != Op.PRINT_JOB or accept.wait(5)) and respond(req)
        d = drivers(fake.uri)
        job = asyncio.ensure_future(d.print_pdf(PDF, title="cert", timeout=10))
        await until(lambda: Op.PRINT_JOB in [r.code for r in fake.requests], 5, "the upload")
        await d.device_removed("removed (udev usb)")
        with pytest.raises(DeviceOffline):  # at once: the caller does not wait for the upload's answer
            await asyncio.wait_for(job, 5)
        accept.set()
        await d.close()  # lets the cancel the driver sends in the background finish
    assert [r.get("job-id") for r in fake.requests if r.code == Op.CANCEL_JOB] == [7]


async def test_a_stopped_printer_refuses_before_sending(drivers):
    with scripted(state=5, reasons=("paused",), message="Paused by admin") as fake:
        d = drivers(fake.uri)
        with pytest.raises(DeviceError) as exc:
            await d.print_pdf(PDF, title="cert", timeout=5)
    assert exc.value.reason == Reason.STOPPED and d.status.reasons == {Reason.STOPPED}
    assert "Paused by admin" in d.status.detail
    assert [r.code for r in fake.requests] == [Op.GET_PRINTER_ATTRIBUTES]


async def test_cups_reports_a_vanished_device_only_in_its_message(drivers):
    with scripted(state=4, message="The printer may not exist or is unavailable at this time.") as fake:
        d = drivers(fake.uri)
        await d.open()
    assert d.status.state == State.OFFLINE and Reason.NO_DEVICE in d.status.reasons


async def test_a_job_cancelled_at_the_printer_is_not_printed(drivers):
    with scripted(job_states=(5, 7)) as fake:
        with pytest.raises(Cancelled):
            await drivers(fake.uri).print_pdf(PDF, title="cert", timeout=5)
    assert Op.CANCEL_JOB not in [r.code for r in fake.requests]  # already over: nothing to cancel


async def test_a_garbage_reply_is_a_protocol_error_and_a_status(drivers):
    with ScriptedIppServer(lambda req: b"\x00\x00garbage") as fake:
        d = drivers(fake.uri)
        with pytest.raises(ProtocolError):
            await d.print_pdf(PDF, title="cert", timeout=5)
        assert d.status.reasons == {Reason.PROTOCOL_ERROR}


async def test_a_reply_to_another_request_is_a_protocol_error(drivers):
    with ScriptedIppServer(lambda req: reply(req.__class__(0, req.request_id + 1))) as fake:
        with pytest.raises(ProtocolError, match="request-id"):
            await drivers(fake.uri).print_pdf(PDF, title="cert", timeout=5)


@pytest.mark.parametrize("timeout", [0.2, 0.23, 0.27])  # the deadline lands between or inside polls
async def test_a_job_slower_than_the_callers_timeout_is_too_slow_not_unreachable(drivers, timeout):
    import threading

    def slow(req):  # each answer takes 40 ms; the job runs forever, its counter always moving
        threading.Event().wait(0.04)
        if req.code == Op.GET_JOB_ATTRIBUTES:
            slow.pages += 1
            return reply(req, job={"job-state": (Tag.ENUM, 5), "job-impressions-completed": (Tag.INTEGER, slow.pages)})
        if req.code == Op.PRINT_JOB:
            return reply(req, job={"job-id": (Tag.INTEGER, 3)})
        return reply(req, printer=printer_attrs())

    slow.pages = 0
    with ScriptedIppServer(slow) as fake:
        with pytest.raises(DeviceTimeout) as exc:
            await drivers(fake.uri).print_pdf(PDF, title="cert", timeout=timeout)
        assert exc.value.reason == Reason.BUSY and "did not finish in time" in str(exc.value)
        assert fake.requests[-1].code == Op.CANCEL_JOB


async def test_a_wrong_path_is_a_configuration_error(drivers):
    with ScriptedIppServer(lambda req: (404, b"not here")) as fake:
        d = drivers(fake.uri)
        await d.check_health()
        assert d.status.reasons == {Reason.NOT_CONFIGURED}
        with pytest.raises(ConfigError):
            await d.print_pdf(PDF, title="cert", timeout=5)


async def test_a_printer_that_accepts_but_never_answers_times_out(drivers):
    import threading

    hold = threading.Event()
    with ScriptedIppServer(lambda req: hold.wait(5) and b"") as fake:
        d = drivers(fake.uri, request_timeout=0.3)
        started = time.monotonic()
        with pytest.raises(DeviceTimeout):
            await d.print_pdf(PDF, title="cert", timeout=5)
        assert time.monotonic() - started < 1.0 and d.status.reasons == {Reason.NO_REPLY}
        hold.set()


# configuration and mapping -----------------------------------------------------------------

def test_uris_map_to_http_endpoints():
    cups = parse_uri("cups://KioskA4")
    assert (cups.url, cups.printer_uri) == ("http://localhost:631/printers/KioskA4",
                                            "ipp://localhost:631/printers/KioskA4")
    direct = parse_uri("ipp://192.168.1.60/ipp/print")
    assert (direct.url, direct.printer_uri) == ("http://192.168.1.60:631/ipp/print", "ipp://192.168.1.60:631/ipp/print")
    assert parse_uri("ipps://[fe80::1]:8443/ipp/print").url == "https://[fe80::1]:8443/ipp/print"


@pytest.mark.parametrize("uri", ["lpd://x/q", "ipp://host", "ipp:///ipp/print", "cups://", "cups://a/b",
                                 "ipp://h:99999/p"])
def test_bad_uris_are_configuration_errors(uri):
    with pytest.raises(ConfigError):
        parse_uri(uri)


def test_the_registry_builds_the_driver_without_any_io():
    started = time.monotonic()
    d = build("a4", "document_printer", "ipp", uri="ipp://192.0.2.1/ipp/print")  # TEST-NET: never reached
    assert isinstance(d, IppDocumentPrinter) and d.status.state == State.UNKNOWN
    assert time.monotonic() - started < 0.5
    with pytest.raises(ConfigError, match="stall_timeout"):
        IppDocumentPrinter("a4", uri="cups://A4", stall_timeout=0)
    with pytest.raises(ConfigError, match="unknown option 'stall'"):
        IppDocumentPrinter("a4", uri="cups://A4", stall=5)
    with pytest.raises(ConfigError, match="tls_fingerprint"):
        IppDocumentPrinter("a4", uri="ipps://p/ipp/print", tls_fingerprint="abc")


@pytest.mark.parametrize("keywords,state,expected", [
    (["media-empty-warning", "media-needed-warning"], 4, {Reason.PAPER_OUT}),
    (["media-empty-report"], 3, {Reason.PAPER_OUT}),  # ippeveprinter idle: still no paper
    (["media-low-report", "toner-low-report"], 3, {Reason.PAPER_LOW, Reason.TONER_LOW}),
    (["media-jam-error", "door-open-error"], 5, {Reason.JAM, Reason.COVER_OPEN, Reason.STOPPED}),
    (["marker-supply-empty-error"], 3, {Reason.TONER_OUT}),
    (["offline-report"], 4, {Reason.NO_DEVICE}),
    (["shutdown"], 3, {Reason.NO_DEVICE}),
    (["connecting-to-device"], 4, {Reason.NO_DEVICE}),
    (["none"], 5, {Reason.STOPPED}),
    (["none"], 3, set()),
    (["cups-waiting-for-job-completed"], 4, set()),  # suffix-less but informational
    (["vendor-fault-error"], 3, {Reason.HARDWARE_ERROR}),
    (["vendor-thing"], 3, {Reason.HARDWARE_ERROR}),  # RFC 8011: no suffix means error
    (["vendor-note-warning"], 3, set()),  # no normalized reason exists for it: detail only
    (["vendor-note-report"], 3, set()),
])
def test_reason_keywords_map_with_their_severity(keywords, state, expected):
    assert normalize(state, keywords).reasons == expected


def test_unknown_warnings_and_messages_reach_the_detail():
    report = normalize(4, ["vendor-note-warning", "media-low-warning"], "Tray 2 almost empty")
    assert report.detail == "vendor-note (warning); media-low; message: Tray 2 almost empty"
    assert normalize(4, ["none"], "Printing page 3").detail == ""  # a normal job does not churn the status
