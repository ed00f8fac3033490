"""The driver against the fake TCP printer: what was sent, what was reported, how fast."""
from __future__ import annotations

import socket
import time

import pytest

from devices import registry
from devices.contracts import ReceiptPrinter
from devices.errors import ConfigError, DeviceOffline, DeviceTimeout, MediaError, ProtocolError
from devices.receipt_printer.encode import UnprintableText
from devices.receipt_printer.escpos import EscposReceiptPrinter
from devices.receipt_printer.serial import SerialTransport
from devices.receipt_printer.tcp import TcpTransport
from devices.receipt_printer.uri import open_transport
from devices.receipt_printer.usb import UsbTransport
from devices.records import Cut, Feed, QrCode, Receipt, Text
from devices.status import Reason, State
from devices.testing.escpos_decode import decode
from devices.testing.fake_escpos import FakeEscposPrinter
from tests.devices.receipt_printer.test_encode import SMALL_RECEIPT, load_hex

GS_R1 = b"\x1d\x72\x01"
FAST = {"status_timeout": 0.2, "poll_interval": 0.05, "connect_timeout": 1.0}
RECEIPT = Receipt(
    (Text("自助终端", align="center", scale=2, bold=True), Text("标点：（），。：¥"), QrCode("A023 自助"), Feed(1), Cut()),
    job_id="r1",
)
BIG_RECEIPT = Receipt(tuple(Text(f"第{i}行：社保缴费证明，金额￥{i}.00") for i in range(200)) + (Cut(),), job_id="big")


@pytest.fixture
def fake():
    with FakeEscposPrinter() as f:
        yield f


@pytest.fixture
async def printer(fake):
    p = EscposReceiptPrinter("receipt", uri=fake.uri, **FAST)
    yield p
    await p.close()


async def test_golden_bytes_on_the_wire(fake, printer):
    result = await printer.print_receipt(SMALL_RECEIPT)
    assert result.printed and result.job_id == "golden"
    assert fake.jobs() == [load_hex("small_receipt.hex") + GS_R1]  # job, then the end-of-job barrier
    assert fake.realtime_requests == [1, 2, 3, 4, 1, 2, 3, 4]  # status before and after
    assert printer.status.state is State.OK


async def test_chinese_and_qr_round_trip_through_the_fake(fake, printer):
    assert (await printer.print_receipt(RECEIPT)).printed
    decoded = decode(fake.jobs()[0])
    assert decoded.text() == "自助终端\n标点：（），。：￥"
    assert all(line.chinese for line in decoded.lines())
    assert [q.data for q in decoded.qr_codes()] == ["A023 自助"]
    assert decoded.issues == []


async def test_paper_out_before_the_job_sends_nothing(fake, printer):
    fake.set_state("paper_out")
    with pytest.raises(MediaError) as info:
        await printer.print_receipt(RECEIPT)
    assert info.value.reason is Reason.PAPER_OUT
    assert fake.jobs() == []
    assert printer.status.state is State.ERROR and Reason.PAPER_OUT in printer.status.reasons


async def test_cover_open_and_cutter_error(fake, printer):
    fake.set_state("cover_open")
    with pytest.raises(MediaError) as info:
        await printer.print_receipt(RECEIPT)
    assert info.value.reason is Reason.COVER_OPEN
    fake.set_state("cutter_error")
    with pytest.raises(MediaError) as info:
        await printer.print_receipt(RECEIPT)
    assert info.value.reason is Reason.CUTTER_ERROR
    assert fake.jobs() == []


async def test_silent_printer_is_offline_within_the_declared_timeout(fake):
    fake.set_state("silent")
    # a long per-reply timeout must still be cut short by the call's own timeout
    p = EscposReceiptPrinter("receipt", uri=fake.uri, status_timeout=5.0, poll_interval=0.05)
    try:
        start = time.monotonic()
        with pytest.raises((DeviceOffline, DeviceTimeout)) as info:
            await p.print_receipt(RECEIPT, timeout=0.6)
        assert time.monotonic() - start < 0.6 + 0.3
        assert info.value.reason is Reason.NO_REPLY
        assert p.status.state is State.OFFLINE and p.status.reasons == {Reason.NO_REPLY}
        assert fake.jobs() == []
    finally:
        await p.close()


async def test_printer_that_goes_silent_during_the_job_is_never_printed(fake, printer):
    fake.after_bytes(50, "silent")
    start = time.monotonic()
    with pytest.raises(DeviceTimeout):
        await printer.print_receipt(RECEIPT, timeout=2.0)
    assert time.monotonic() - start < 2.0
    assert printer.status.state is State.OFFLINE


async def test_garbage_reply_is_a_protocol_error(fake, printer):
    fake.set_state("garbage")
    with pytest.raises(ProtocolError):
        await printer.print_receipt(RECEIPT)
    assert printer.status.reasons == {Reason.PROTOCOL_ERROR}
    assert fake.jobs() == []


async def test_unreachable_printer_open_does_not_raise():
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    p = EscposReceiptPrinter("receipt", uri=f"tcp://127.0.0.1:{port}", **FAST)
    try:
        await p.open()
        assert p.status.state is State.OFFLINE and p.status.reasons == {Reason.NO_DEVICE}
        with pytest.raises(DeviceOffline) as info:
            await p.print_receipt(RECEIPT)
        assert info.value.reason is Reason.NO_DEVICE
    finally:
        await p.close()


async def test_health_publishes_each_change_once_down_then_up(fake, printer):
    events = []
    printer.on_status(events.append)
    assert (await printer.check_health()).state is State.OK
    fake.set_state("paper_out")
    await printer.check_health()
    await printer.check_health()  # no change, no event
    fake.set_state("ok")
    await printer.check_health()
    assert [e.new.state for e in events] == [State.OK, State.ERROR, State.OK]


async def test_reconnects_after_the_printer_closed_the_connection(fake, printer):
    assert (await printer.print_receipt(RECEIPT)).printed
    fake.drop_connections()
    assert fake.wait_until(lambda f: all(c.closed for c in f.connections), timeout=2.0)
    await printer.check_health()  # notices the closed connection
    assert (await printer.print_receipt(RECEIPT)).printed
    assert len(fake.jobs()) == 2


async def test_unprintable_receipt_sends_nothing_and_keeps_status(fake):
    p = EscposReceiptPrinter("receipt", uri=fake.uri, unprintable="fail", **FAST)
    try:
        await p.check_health()
        with pytest.raises(UnprintableText):
            await p.print_receipt(Receipt((Text("张㐀"),)))
        assert fake.jobs() == [] and p.status.state is State.OK
    finally:
        await p.close()


async def test_serial_transport_against_the_fake(fake):
    p = EscposReceiptPrinter("receipt", uri=fake.uri, **FAST)
    p._transport = SerialTransport(f"socket://127.0.0.1:{fake.port}", 9600, False, False)  # pyserial URL
    try:
        assert (await p.print_receipt(SMALL_RECEIPT)).printed
        assert fake.jobs() == [load_hex("small_receipt.hex") + GS_R1]
    finally:
        await p.close()


def test_capabilities_report_the_profile():
    p = EscposReceiptPrinter("receipt", uri="tcp://192.0.2.1", profile="generic-raster")
    caps = p.capabilities()
    assert caps["cjk_encoding"] is None and caps["native_qr"] is False and caps["dots_per_line"] == 576
    assert EscposReceiptPrinter("r", uri="tcp://h").capabilities()["cjk_encoding"] == "gb18030"


def test_options_are_validated_at_construction():
    with pytest.raises(ConfigError, match="'baudrate'"):
        EscposReceiptPrinter("r", uri="tcp://h", baudrate=9600)
    with pytest.raises(ConfigError, match="uri"):
        EscposReceiptPrinter("r")
    with pytest.raises(ConfigError):
        EscposReceiptPrinter("r", uri="tcp://h", status_timeout=0)


def test_uris():
    tcp = open_transport("tcp://10.0.0.5")
    assert isinstance(tcp, TcpTransport) and (tcp.host, tcp.port) == ("10.0.0.5", 9100)
    ser = open_transport("serial:///dev/ttyUSB0?baud=115200&rtscts=1")
    assert isinstance(ser, SerialTransport) and (ser.port, ser.baud, ser.rtscts) == ("/dev/ttyUSB0", 115200, True)
    usb = open_transport("usb://0416:5011")
    assert isinstance(usb, UsbTransport) and (usb.vid, usb.pid) == (0x0416, 0x5011)
    for bad in ("http://x", "tcp://", "tcp://h:99999", "serial:///dev/ttyS0?speed=9600", "serial:///dev/ttyS0?baud=x",
                "usb://zz:1", "usb://0416"):
        with pytest.raises(ConfigError):
            open_transport(bad)


def test_registry_builds_the_driver(monkeypatch):
    monkeypatch.setitem(registry.DRIVERS, ("receipt_printer", "escpos"), "devices.receipt_printer.escpos:EscposReceiptPrinter")
    device = registry.build("receipt", "receipt_printer", "escpos", uri="tcp://192.0.2.1:9100")
    assert isinstance(device, ReceiptPrinter)


async def test_wire_log_has_status_traffic_but_never_receipt_text(fake, printer, caplog, capsys):
    caplog.set_level("DEBUG", logger="devices.escpos.wire")
    name = "张三丰"
    assert (await printer.print_receipt(Receipt((Text(f"姓名：{name}"),), job_id="p1"))).printed
    logged = caplog.text + capsys.readouterr().out  # stdlib wire log + structlog events
    assert "tx 10 04 01" in logged and "bytes=" in logged
    for secret in (name, name.encode("gb18030").hex(), name.encode("gb18030").hex(" ")):
        assert secret not in logged
