"""Serial (USB-COM) scanner: the pure line assembler, and the driver against a pty peer.

The pty is a real tty: pyserial opens it, locks it, and reads EIO from it
when the master side closes, as from a USB scanner that is unplugged. The
kiosk side opens a symlink that is repointed on replug, as /dev/kiosk/scanner is.
"""
from __future__ import annotations

import asyncio

import pytest
import structlog
from hypothesis import given, settings
from hypothesis import strategies as st

from devices.code_scanner.serial import LineAssembler, SerialCodeScanner, decode_scan
from devices.errors import ConfigError, DeviceOffline, DeviceTimeout
from devices.records import Scan
from devices.status import Reason, State
from devices.testing.device_events import Events
from devices.testing.serial_peer import Peer

FAST = {"char_gap": 0.1}


# pure: line assembly and decoding ---------------------------------------------------------------

def assemble(chunks, **kw):
    discards = []
    asm = LineAssembler(on_discard=lambda r, n: discards.append((r, n)), **kw)
    out = []
    for data, now in chunks:
        out += asm.feed(data, now) if data else asm.tick(now)
    return out, discards


def test_cr_lf_and_crlf_all_end_a_scan():
    out, discards = assemble([(b"A1\rB2\nC3\r\nD4\n\n\r", 0.0)])
    assert out == [b"A1", b"B2", b"C3", b"D4"] and discards == []


def test_a_line_split_across_reads():
    assert assemble([(b"HEL", 0.0), (b"LO\r", 0.01), (b"\n", 0.02)])[0] == [b"HELLO"]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.binary(min_size=1, max_size=40).filter(lambda b: b"\r" not in b and b"\n" not in b),
                min_size=1, max_size=8),
       st.sampled_from([b"\r", b"\n", b"\r\n"]), st.lists(st.integers(1, 30), min_size=1, max_size=20))
def test_any_chunking_gives_the_same_lines(lines, end, cuts):
    stream = b"".join(line + end for line in lines)
    chunks, pos = [], 0
    for cut in cuts * (len(stream) // max(1, sum(cuts)) + 1):
        if pos >= len(stream):
            break
        chunks.append((stream[pos:pos + cut], 0.0))
        pos += cut
    assert assemble(chunks)[0] == lines


def test_a_pause_discards_a_partial_line():
    out, discards = assemble([(b"12", 0.0), (b"", 0.1), (b"", 0.3), (b"OK\r", 0.4)], char_gap=0.2)
    assert out == [b"OK"] and discards == [("gap", 2)]


def test_a_pause_inside_bytes_also_discards():
    out, discards = assemble([(b"12", 0.0), (b"34\r", 0.5)], char_gap=0.2)
    assert out == [b"34"] and discards == [("gap", 2)]


def test_gap_mode_ends_a_scan_at_the_pause():
    out, discards = assemble([(b"NO", 0.0), (b"SUFFIX", 0.05), (b"", 0.3), (b"NEXT\r", 1.0)],
                             end="gap", char_gap=0.2)
    assert out == [b"NOSUFFIX", b"NEXT"] and discards == []


def test_too_long_is_discarded_whole():
    out, discards = assemble([(b"x" * 6, 0.0), (b"y" * 6 + b"\rok\r", 0.01)], max_length=10)
    assert out == [b"ok"] and discards == [("too_long", 12)]
    assert assemble([(b"z" * 10 + b"\r", 0.0)], max_length=10)[0] == [b"z" * 10]


def test_decoding():
    name = "张三 https://zwfw.example.gov.cn/?n=张三"
    assert decode_scan(name.encode(), "utf-8") == name
    assert decode_scan(name.encode("gb18030"), "gb18030") == name
    assert decode_scan(name.encode("gb18030"), "utf-8") is None  # never a silent "?"
    assert decode_scan(name.encode("gb18030"), "auto") == name
    assert decode_scan(name.encode(), "auto") == name
    assert decode_scan(b"\x80\xff", "auto") is None


# driver against a pty ---------------------------------------------------------------------------

@pytest.fixture
def peer(tmp_path):
    p = Peer(str(tmp_path / "scanner"))
    yield p
    p.unplug()


@pytest.fixture
async def scanner(peer):
    s = SerialCodeScanner("scanner", port=peer.link, **FAST)
    events = Events(s)
    await s.open()
    yield s, events
    await s.close()


async def test_reads_lines_as_scans(peer, scanner):
    s, _ = scanner
    assert s.status.state is State.OK
    peer.send(b"QR-0001\r\nQR-0002\r")
    assert await s.read_code(timeout=2) == Scan("QR-0001", "unknown", "scanner")
    assert (await s.read_code(timeout=2)).data == "QR-0002"


@pytest.mark.parametrize("encoding", ["gb18030", "auto"])
async def test_chinese_content_in_gb18030(peer, encoding):
    s = SerialCodeScanner("scanner", port=peer.link, encoding=encoding, **FAST)
    await s.open()
    peer.send("姓名:张三;证号:110105195506120022\r".encode("gb18030"))
    assert (await s.read_code(timeout=2)).data == "姓名:张三;证号:110105195506120022"
    await s.close()


async def test_bytes_in_the_wrong_encoding_are_discarded_not_mangled(peer, scanner):
    s, events = scanner
    peer.send("张三\r".encode("gb18030"))
    assert (await events.until("discarded"))[0] == {"reason": "not_utf-8", "length": 4}
    with pytest.raises(DeviceTimeout):
        await s.read_code(timeout=0)
    peer.send("张三\r".encode())
    assert (await s.read_code(timeout=2)).data == "张三"


async def test_gap_mode_for_scanners_without_a_suffix(peer):
    s = SerialCodeScanner("scanner", port=peer.link, end="gap", char_gap=0.03)
    await s.open()
    peer.send(b"NOSUFFIX")
    assert (await s.read_code(timeout=2)).data == "NOSUFFIX"
    await s.close()


async def test_aim_prefix(peer):
    s = SerialCodeScanner("scanner", port=peer.link, aim_prefix=True, **FAST)
    await s.open()
    peer.send("]Q1健康码:绿\r\n".encode())
    assert await s.read_code(timeout=2) == Scan("健康码:绿", "qr", "scanner")
    await s.close()


async def test_too_long_is_discarded_with_a_warning(peer):
    s = SerialCodeScanner("scanner", port=peer.link, max_length=16, **FAST)
    events = Events(s)
    await s.open()
    with structlog.testing.capture_logs() as logs:
        peer.send(b"A" * 40 + b"\r")
        await events.until("discarded")
    assert {"event": "scanner.discarded", "reason": "too_long", "length": 40}.items() <= logs[-1].items()
    await s.close()


async def test_scans_while_nobody_waits_are_queued(peer, scanner):
    s, events = scanner
    peer.send(b"one\rtwo\r")
    await events.until("scan", 2)
    assert [(await s.read_code(timeout=0)).data for _ in range(2)] == ["one", "two"]


async def test_missing_port_is_offline_not_an_exception_and_recovers(tmp_path):
    link = str(tmp_path / "scanner")
    s = SerialCodeScanner("scanner", port=link, **FAST)
    await s.open()
    assert s.status.state is State.OFFLINE and s.status.reasons == {Reason.NO_DEVICE}
    with pytest.raises(DeviceOffline):
        await s.read_code(timeout=1)
    peer = Peer(link)  # plugged in: the next health check opens it
    assert (await s.check_health()).state is State.OK
    peer.send(b"BACK\r")
    assert (await s.read_code(timeout=2)).data == "BACK"
    await s.close()
    peer.unplug()


async def test_unplug_while_reading_raises_offline_and_replug_recovers(peer, scanner):
    s, _ = scanner
    changes = []
    s.on_status(lambda ev: changes.append(ev.new.state))
    reading = asyncio.ensure_future(s.read_code(timeout=None))
    await asyncio.sleep(0)
    peer.unplug()
    with pytest.raises(DeviceOffline, match="lost"):
        await reading
    assert s.status.reasons == {Reason.NO_DEVICE}
    peer.plug()
    await s.reconnect()
    peer.send(b"AGAIN\n")
    assert (await s.read_code(timeout=2)).data == "AGAIN"
    assert changes == [State.OFFLINE, State.OK]


async def test_device_removed_releases_the_port(peer, scanner):
    """The contract suite holds the pending read and the status; this is the serial driver's own part."""
    s, _ = scanner
    await s.device_removed("removed (udev tty /dev/ttyACM0)")
    other = SerialCodeScanner("other", port=peer.link, **FAST)  # the lock is gone with the port
    await other.open()
    assert other.status.state is State.OK
    await other.close()


async def test_a_port_owned_by_another_process_is_an_error(peer, scanner):
    other = SerialCodeScanner("other", port=peer.link, **FAST)
    await other.open()
    assert other.status.state is State.ERROR and "another process" in other.status.detail
    await other.close()


async def test_logs_lengths_never_content(peer):
    s = SerialCodeScanner("scanner", port=peer.link, **FAST)
    secret = "张三110105195506120022"
    with structlog.testing.capture_logs() as logs:
        await s.open()
        peer.send(secret.encode() + b"\r")
        await s.read_code(timeout=2)
        await s.close()
    assert secret not in repr(logs) and "110105" not in repr(logs)
    scan = next(e for e in logs if e["event"] == "scanner.scan")
    assert scan["length"] == len(secret)


@pytest.mark.parametrize("options, message", [
    ({}, "option 'port' is required"),
    ({"port": "/dev/x", "encoding": "big5"}, "'encoding' must be one of utf-8, gb18030, auto"),
    ({"port": "/dev/x", "end": "etx"}, "'end' must be one of newline, gap"),
    ({"port": "/dev/x", "baud": "fast"}, "'baud' must be a positive integer"),
    ({"port": "/dev/x", "char_gap": -1}, "'char_gap' must be a positive number"),
    ({"port": "/dev/x", "parity": "E"}, "unknown option 'parity'"),
])
def test_configuration_errors_name_the_option(options, message):
    with pytest.raises(ConfigError, match=message):
        SerialCodeScanner("scanner", **options)
