"""The A4 printer over IPP against CUPS's real ippeveprinter on 127.0.0.1."""
import shutil
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devices.errors import DeviceOffline, DeviceTimeout, MediaError, ProtocolError
from devices.ipp_codec import decode, encode_request
from devices.ipp_printer import IppDocumentPrinter, normalize
from devices.status import Reason, State
from devices.testing.ipp_server import BINARY, IppPrinter
from kiosk.render_pdf import render_pdf

needs_ipp = pytest.mark.skipif(not shutil.which(BINARY), reason="ippeveprinter not installed (cups-ipp-utils)")
PDF = render_pdf("<h1>自助终端打印测试</h1><p>终端 K-01</p>")


@pytest.fixture
def ipp(tmp_path):
    try:
        printer = IppPrinter(tmp_path).start()
    except RuntimeError as exc:
        pytest.skip(str(exc))
    yield printer
    printer.stop()


def driver(ipp, **kw):
    return IppDocumentPrinter("a4", uri=ipp.uri, poll_interval=0.1, **kw)


@needs_ipp
async def test_a_pdf_prints_and_the_job_is_followed_to_completion(ipp):
    p = driver(ipp)
    await p.open()
    assert p.status.state == State.OK
    result = await p.print_pdf(PDF, title="cert-001", timeout=30)
    assert result.printed
    out = ipp.out / "cert-001.pdf"
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True).stdout
    assert "自助终端打印测试" in text


@needs_ipp
async def test_no_paper_refuses_before_sending_and_says_why(ipp):
    ipp.paper(0)
    p = driver(ipp)
    with pytest.raises(MediaError) as exc:
        await p.print_pdf(PDF, title="cert-002")
    assert exc.value.reason == Reason.PAPER_OUT and Reason.PAPER_OUT in p.status.reasons
    assert not list(ipp.out.glob("*.pdf"))
    ipp.paper(10)
    await p.check_health()
    assert p.status.state == State.WARNING and p.status.reasons == {Reason.PAPER_LOW}


@needs_ipp
async def test_a_jam_mid_job_is_a_failure_not_a_printout(ipp):
    p = driver(ipp)
    with pytest.raises(MediaError) as exc:
        await p.print_pdf(PDF, title="cert-jam", timeout=30)
    assert exc.value.reason == Reason.JAM


@needs_ipp
async def test_a_job_without_progress_is_abandoned_by_the_watchdog(ipp):
    p = driver(ipp, stall_s=1.0)
    with pytest.raises((DeviceTimeout, MediaError)):
        await p.print_pdf(PDF, title="cert-stall", timeout=30)


@needs_ipp
async def test_a_printer_that_vanishes_mid_job_is_offline(ipp):
    p = driver(ipp, stall_s=30.0, request_timeout=1.0)
    import asyncio

    task = asyncio.ensure_future(p.print_pdf(PDF, title="cert-stall-gone", timeout=30))
    while not list(ipp.spool.glob("*")):
        await asyncio.sleep(0.05)  # until the job is on the printer, bounded by the test timeout
    ipp.kill()
    with pytest.raises((DeviceOffline, DeviceTimeout)):
        await asyncio.wait_for(task, 20)
    assert p.status.state == State.OFFLINE


async def test_an_unreachable_printer_is_offline_at_once():
    p = IppDocumentPrinter("a4", uri="ipp://127.0.0.1:9/ipp/print", request_timeout=1)
    await p.open()
    assert p.status.state == State.OFFLINE
    with pytest.raises(DeviceOffline):
        await p.print_pdf(PDF, title="x")


def test_reason_keywords_map_with_their_suffixes_stripped():
    assert normalize(["media-empty-warning", "media-needed-warning"], 4) == {Reason.PAPER_OUT}
    assert normalize(["toner-low-report"], 3) == {Reason.TONER_LOW}
    assert normalize(["none"], 3) == set()
    assert normalize(["none"], 5) == {Reason.STOPPED}
    assert normalize(["something-new-error"], 3) == {Reason.HARDWARE_ERROR}


def test_codec_round_trip():
    raw = encode_request("get-printer-attributes", 7, [(0x47, "attributes-charset", "utf-8"),
                                                       (0x44, "requested-attributes", ["a", "b"])])
    msg = decode(raw)
    assert msg.code == 0x000B and msg.request_id == 7
    assert msg.attrs("operation")["requested-attributes"] == ["a", "b"]


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_garbage_replies_only_raise_protocol_errors(data):
    try:
        decode(data)
    except ProtocolError:
        pass


@needs_ipp
def test_the_technician_test_page_and_its_exit_codes(ipp, tmp_path):
    import os
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]

    def cli(uri):
        return subprocess.run([sys.executable, "-m", "kiosk.cli", "devices", "test-print", "a4", "--uri", uri,
                               "--kiosk-id", "K-TEST"], cwd=root, capture_output=True, text=True, timeout=120,
                              env={**os.environ, "PYTHONPATH": str(root)})

    ok = cli(ipp.uri)
    assert ok.returncode == 0, ok.stderr
    text = subprocess.run(["pdftotext", str(ipp.out / "kiosk-test-page.pdf"), "-"], capture_output=True, text=True).stdout
    assert "自助终端打印测试" in text and "K-TEST" in text
    ipp.paper(0)
    empty = cli(ipp.uri)
    assert empty.returncode == 2 and "paper_out" in empty.stderr and len(empty.stderr.strip().splitlines()) == 1
    ipp.kill()
    gone = cli(ipp.uri)
    assert gone.returncode == 3 and "unreachable" in gone.stderr
