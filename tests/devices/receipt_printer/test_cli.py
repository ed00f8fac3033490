"""``kiosk devices test-print receipt``: the page, the exit codes, one clear line on stderr."""
from __future__ import annotations

import socket

import pytest

from devices.receipt_printer.cli import EXIT_OK, EXIT_PRINTER, EXIT_UNREACHABLE, run_test_print_receipt
from devices.testing.escpos_decode import decode
from devices.testing.fake_escpos import FakeEscposPrinter


def stderr_line(capsys) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err  # exactly one line
    return err


def test_prints_the_chinese_test_page(capsys):
    with FakeEscposPrinter() as fake:
        assert run_test_print_receipt(fake.uri, "KIOSK-BJ-0042") == EXIT_OK
        decoded = decode(fake.jobs()[0])
    text = decoded.text()
    assert "自助终端打印测试" in text
    assert "终端编号：KIOSK-BJ-0042" in text
    assert "标点：（），。：￥" in text
    assert "本地时间：20" in text
    assert [q.data for q in decoded.qr_codes()] == ["KIOSK-BJ-0042"]
    assert decoded.issues == [] and len(decoded.cuts()) == 1
    assert "test page printed" in capsys.readouterr().out


@pytest.mark.parametrize("state,words", [("paper_out", "out of paper"), ("cover_open", "cover open"),
                                         ("cutter_error", "cutter error")])
def test_printer_problems_exit_2(capsys, state, words):
    with FakeEscposPrinter(state) as fake:
        assert run_test_print_receipt(fake.uri, "K1") == EXIT_PRINTER
        assert fake.jobs() == []
    assert words in stderr_line(capsys)


def test_unreachable_exits_3(capsys):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    assert run_test_print_receipt(f"tcp://127.0.0.1:{port}", "K1") == EXIT_UNREACHABLE
    assert "unreachable" in stderr_line(capsys)


@pytest.mark.parametrize("state,words", [("silent", "unreachable"), ("garbage", "protocol")])
def test_silent_or_garbled_printer_exits_3(capsys, state, words):
    with FakeEscposPrinter(state) as fake:
        assert run_test_print_receipt(fake.uri, "K1", timeout=2.0) == EXIT_UNREACHABLE
    assert words in stderr_line(capsys)


def test_bad_uri_exits_3_with_the_reason(capsys):
    assert run_test_print_receipt("lpt://printer", "K1") == EXIT_UNREACHABLE
    assert "unsupported scheme" in stderr_line(capsys)
