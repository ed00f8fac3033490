"""``kiosk devices test-print a4``: the page on real (virtual) paper, the exit codes, one line on stderr."""
from __future__ import annotations

import shutil
import subprocess

import pytest

from devices.document_printer.cli import EXIT_OK, EXIT_PRINTER, EXIT_UNREACHABLE, run_test_print_a4
from devices.document_printer.ipp_codec import Op, Tag
from devices.testing.ipp_server import ScriptedIppServer, reply
from tests.devices.document_printer.ipp_fixtures import FAST, ippeve, needs_ippeve, printer  # noqa: F401 (fixtures)


def stderr_line(capsys) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err  # exactly one line
    return err


def qr_payloads(pdf_path, tmp_path) -> list[str]:
    """Rasterise the printed page and decode its QR codes: what a phone would read."""
    subprocess.run(["pdftoppm", "-r", "100", "-png", "-singlefile", str(pdf_path), str(tmp_path / "page")],
                   check=True, timeout=20)
    out = subprocess.run(["zbarimg", "-q", "--raw", str(tmp_path / "page.png")], capture_output=True, text=True,
                         timeout=20).stdout
    return out.split()


@needs_ippeve
def test_prints_the_chinese_test_page(printer, capsys, tmp_path):
    before = set(printer.started_jobs())
    assert run_test_print_a4(printer.uri, "KIOSK-BJ-0042", options=FAST) == EXIT_OK
    [job_id] = sorted(set(printer.started_jobs()) - before)
    text = printer.captured_text(job_id)
    for expected in ("自助终端打印测试", "终端编号：KIOSK-BJ-0042", "本地时间：20", "（），。：；“”￥"):
        assert expected in text
    assert "test page printed" in capsys.readouterr().out
    if shutil.which("zbarimg") and shutil.which("pdftoppm"):
        assert qr_payloads(printer.captured()[job_id], tmp_path) == ["KIOSK-BJ-0042"]


@needs_ippeve
@pytest.mark.parametrize("setup,words", [
    (lambda p: p.set_media(main=0, bypass=0), "out of paper"),
    (lambda p: p.set_reasons("+cover-open"), "cover open"),
    (lambda p: p.set_supplies(toner=0), "toner empty"),
], ids=["paper", "cover", "toner"])
def test_printer_problems_exit_2_and_send_nothing(printer, capsys, setup, words):
    setup(printer)
    before = set(printer.started_jobs())
    assert run_test_print_a4(printer.uri, "K1", options=FAST) == EXIT_PRINTER
    assert set(printer.started_jobs()) == before
    assert words in stderr_line(capsys)


@needs_ippeve
def test_a_jam_during_the_job_exits_2(printer, capsys, monkeypatch):
    monkeypatch.setattr("devices.document_printer.cli.JOB_TITLE", "test-page-jam")  # the fake jams jobs named *jam*
    assert run_test_print_a4(printer.uri, "K1", options=FAST) == EXIT_PRINTER
    assert "paper jam" in stderr_line(capsys)


def test_a_stopped_queue_exits_2(capsys):
    def stopped(req):
        return reply(req, printer={"printer-state": (Tag.ENUM, 5), "printer-state-reasons": (Tag.KEYWORD, "paused"),
                                   "printer-is-accepting-jobs": (Tag.BOOLEAN, False)})

    with ScriptedIppServer(stopped) as fake:
        assert run_test_print_a4(fake.uri, "K1", options=FAST) == EXIT_PRINTER
    assert [r.code for r in fake.requests] == [Op.GET_PRINTER_ATTRIBUTES]
    assert "printer stopped" in stderr_line(capsys)


def test_unreachable_exits_3(capsys, unused_tcp_port):
    assert run_test_print_a4(f"ipp://127.0.0.1:{unused_tcp_port}/ipp/print", "K1", options=FAST) == EXIT_UNREACHABLE
    assert "unreachable" in stderr_line(capsys)


def test_garbage_exits_3(capsys):
    with ScriptedIppServer(lambda req: b"<html>captive portal</html>") as fake:
        assert run_test_print_a4(fake.uri, "K1", options=FAST) == EXIT_UNREACHABLE
    assert "protocol error" in stderr_line(capsys)


def test_bad_uri_exits_3_with_the_reason(capsys):
    assert run_test_print_a4("lpd://printer/queue", "K1") == EXIT_UNREACHABLE
    assert "unsupported scheme" in stderr_line(capsys)
