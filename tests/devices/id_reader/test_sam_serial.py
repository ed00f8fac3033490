"""SerialIdCardReader against the pty fake: real bytes, real termios, real unplugs."""
from __future__ import annotations

import asyncio
import logging
import os
import time

import pytest
import structlog

from devices import registry
from devices.contracts import IdCardReader
from devices.errors import CardError, ConfigError, DeviceError, DeviceOffline, DeviceTimeout, NoCard, ProtocolError
from devices.id_reader.sam_serial import SerialIdCardReader
from devices.id_reader.sample_cards import CHEN_HMT, SAMPLE_CARDS, SAMPLE_PHOTO, ZHANG_SAN
from devices.status import Reason, State
from devices.testing.fake_idcard import FakeIdCardReader

FAST = {"poll_interval": 0.02, "reply_timeout": 0.15, "read_timeout": 0.5, "retries": 2}
READ = ["find", "select", "read"]


@pytest.fixture
def fake():
    with FakeIdCardReader(card=ZHANG_SAN) as f:
        yield f


@pytest.fixture
async def reader(fake):
    r = SerialIdCardReader("id_reader", port=fake.port, **FAST)
    await r.open()
    yield r
    await r.close()


def sent(fake, since: int = 0) -> list[str]:
    return [c for c in fake.commands[since:] if c not in ("sam_status", "sam_id")]


# happy paths --------------------------------------------------------------------------------

async def test_open_asks_the_sam(fake, reader):
    assert reader.status.state is State.OK
    assert fake.commands[:2] == ["sam_status", "sam_id"]
    assert reader.capabilities()["sam_id"] == "01.02-00000003-0000000004-0000000005"


@pytest.mark.parametrize("key", sorted(SAMPLE_CARDS))
async def test_reads_every_card_type(fake, reader, key):
    fake.insert(SAMPLE_CARDS[key])
    card = await reader.read_card(timeout=2.0)
    assert card == SAMPLE_CARDS[key] and card.photo == SAMPLE_PHOTO
    assert card.card_type is SAMPLE_CARDS[key].card_type
    assert sent(fake) == READ and reader.status.state is State.OK


async def test_find_and_select_are_resent_before_every_read(fake, reader):
    await reader.read_card(timeout=1.0)
    await reader.read_card(timeout=1.0)
    assert sent(fake) == READ + READ


async def test_fingerprint_read_and_fallback():
    with FakeIdCardReader(card=ZHANG_SAN, fingerprint=bytes(range(256)) * 2) as fake:
        r = SerialIdCardReader("id", port=fake.port, fingerprint=True, **FAST)
        card = await r.read_card(timeout=1.0)
        assert card == ZHANG_SAN and card.extra["fingerprint"] == bytes(range(256)) * 2
        fake.fingerprint = None  # a card without fingerprints: 30 10 answers 91
        card = await r.read_card(timeout=1.0)
        assert card == ZHANG_SAN and "fingerprint" not in card.extra
        assert sent(fake)[-6:] == ["find", "select", "read_fingerprint", "find", "select", "read"]
        await r.close()


# no card, card trouble ------------------------------------------------------------------------

async def test_no_card_raises_nocard_within_the_timeout(fake, reader):
    fake.remove()
    start = time.monotonic()
    with pytest.raises(NoCard):
        await reader.read_card(timeout=0.3)
    assert 0.28 <= time.monotonic() - start < 0.6
    assert set(sent(fake)) == {"find"} and reader.status.state is State.OK


async def test_card_removed_mid_read(fake, reader):
    fake.on_command("read", "remove_card")
    with pytest.raises(CardError, match="taken away"):
        await reader.read_card(timeout=1.0)
    assert sent(fake) == READ + ["find"]
    assert reader.status.state is State.OK  # the reader is fine; the citizen lifted the card


@pytest.mark.parametrize("command,code", [("read", 0x41), ("read", 0x47), ("select", 0x81)])
async def test_a_card_that_moved_once_is_read_again(fake, reader, command, code):
    fake.on_command(command, "sw3", code=code)
    assert await reader.read_card(timeout=1.0) == ZHANG_SAN


@pytest.mark.parametrize("command,code", [("read", 0x31), ("read", 0x32), ("read", 0x33), ("select", 0x31),
                                          ("find", 0x40)])
async def test_unreadable_cards_raise_card_error(fake, reader, command, code):
    fake.on_command(command, "sw3", code=code)
    with pytest.raises(CardError, match=f"{code:#04x}"):
        await reader.read_card(timeout=1.0)
    assert reader.status.state is State.OK


async def test_a_card_that_keeps_failing_gives_up_after_the_retries(fake, reader):
    for _ in range(3):
        fake.on_command("read", "sw3", code=0x41)
    with pytest.raises(CardError, match="0x41"):
        await reader.read_card(timeout=1.0)
    assert sent(fake) == READ * 3


# line faults ----------------------------------------------------------------------------------

async def test_garbage_before_every_frame_is_skipped(fake, reader, caplog):
    fake.inject("garbage")
    with caplog.at_level(logging.DEBUG, logger="devices.idcard.wire"):
        assert await reader.read_card(timeout=1.0) == ZHANG_SAN
    assert "BadLength" in caplog.text and "skipped=" in caplog.text
    assert sent(fake) == READ  # resynchronised without a single re-send


@pytest.mark.parametrize("command,fault,expected", [
    ("find", "bad_checksum", ["find"] + READ),  # find is simply sent again
    ("read", "bad_checksum", READ + READ),  # the SAM wants find and select again before a re-read
    ("read", "truncated", READ + READ),
    ("read", "silent", READ + READ),
])
async def test_one_damaged_reply_is_recovered(fake, reader, command, fault, expected):
    fake.on_command(command, fault, once=True)
    assert await reader.read_card(timeout=1.0) == ZHANG_SAN
    assert sent(fake) == expected and reader.status.state is State.OK


async def test_wrong_checksums_become_a_protocol_error_then_recover(fake, reader):
    fake.inject("bad_checksum")
    with pytest.raises(ProtocolError):
        await reader.read_card(timeout=1.0)
    assert sent(fake) == ["find"] * 3  # bounded: one send and two re-sends
    assert reader.status.state is State.ERROR and reader.status.reasons == {Reason.PROTOCOL_ERROR}
    fake.clear()
    assert await reader.read_card(timeout=1.0) == ZHANG_SAN
    assert reader.status.state is State.OK


async def test_silence_times_out_as_no_reply(fake, reader):
    fake.inject("silent")
    start = time.monotonic()
    with pytest.raises(DeviceTimeout):
        await reader.read_card(timeout=5.0)
    assert time.monotonic() - start < 0.15 * 3 + 0.3  # three unanswered finds, not the 5 s wait
    assert reader.status.state is State.OFFLINE and reader.status.reasons == {Reason.NO_REPLY}


@pytest.mark.parametrize("fault", ["sam_failure", "sam_unauthorized"])
async def test_sam_failure_sets_sam_error(fault):
    with FakeIdCardReader() as fake:
        fake.inject(fault)
        r = SerialIdCardReader("id", port=fake.port, **FAST)
        await r.open()  # no exception: the failure is status
        assert r.status.state is State.ERROR and r.status.reasons == {Reason.SAM_ERROR}
        with pytest.raises(DeviceError) as info:
            await r.read_card(timeout=1.0)
        assert info.value.reason is Reason.SAM_ERROR and not isinstance(info.value, CardError)
        fake.clear()
        assert (await r.check_health()).state is State.OK
        await r.close()


# unplug, missing port, cancel -------------------------------------------------------------------

async def test_unplug_mid_read_then_replug(fake, reader):
    fake.on_command("read", "unplug")
    with pytest.raises(DeviceOffline):
        await reader.read_card(timeout=1.0)
    assert reader.status.state is State.OFFLINE and reader.status.reasons == {Reason.NO_DEVICE}
    with pytest.raises(DeviceOffline):  # still gone: the reopen attempt fails fast
        await reader.read_card(timeout=1.0)
    fake.replug()
    assert (await reader.check_health()).state is State.OK
    assert await reader.read_card(timeout=1.0) == ZHANG_SAN


async def test_missing_port_is_offline_without_an_exception(tmp_path):
    r = SerialIdCardReader("id", port=str(tmp_path / "ttyUSB9"), **FAST)
    await r.open()
    assert r.status.state is State.OFFLINE and r.status.reasons == {Reason.NO_DEVICE}
    with pytest.raises(DeviceOffline):
        await r.read_card(timeout=0.1)
    await r.close()


async def test_health_during_a_long_poll_does_not_report_a_false_outage(fake, reader):
    fake.remove()
    task = asyncio.create_task(reader.read_card(timeout=None))
    assert await asyncio.to_thread(fake.wait_until, lambda f: f.count("find") >= 2)
    assert (await asyncio.wait_for(reader.check_health(), 0.5)).state is State.OK
    fake.insert()
    assert await asyncio.wait_for(task, 2.0) == ZHANG_SAN


async def test_cancel_stops_the_polling_thread_quickly(fake, reader):
    fake.remove()
    task = asyncio.create_task(reader.read_card(timeout=None))
    assert await asyncio.to_thread(fake.wait_until, lambda f: f.count("find") >= 2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    start = time.monotonic()
    await reader.worker.call(lambda: None, timeout=1.0)  # runs only once the polling loop has returned
    assert time.monotonic() - start < 0.2
    finds = fake.count("find")
    assert not await asyncio.to_thread(fake.wait_until, lambda f: f.count("find") > finds, 0.1)


# configuration, registry, privacy ---------------------------------------------------------------

@pytest.mark.parametrize("options,words", [({}, "'port' is required"), ({"port": "/dev/x", "parity": "E"}, "parity"),
                                           ({"port": "/dev/x", "baud": "fast"}, "'baud'"),
                                           ({"port": "/dev/x", "reply_timeout": 0}, "'reply_timeout'"),
                                           ({"port": "/dev/x", "photo_decoder": "nowhere:Nothing"}, "photo_decoder")])
def test_bad_configuration_names_the_option(options, words):
    with pytest.raises(ConfigError, match=words):
        SerialIdCardReader("id", **options)


def test_construction_opens_nothing(tmp_path):
    r = SerialIdCardReader("id", port=str(tmp_path / "absent"))
    assert r.status.state is State.UNKNOWN and not os.path.exists(tmp_path / "absent")


def test_registry_entry_builds_the_driver(monkeypatch):
    monkeypatch.setitem(registry.DRIVERS, ("id_reader", "sam_serial"), "devices.id_reader.sam_serial:SerialIdCardReader")
    device = registry.build("id_reader", "id_reader", "sam_serial", port="/dev/ttyUSB0")
    assert isinstance(device, IdCardReader) and isinstance(device, SerialIdCardReader)


class WltStub:
    def decode(self, wlt: bytes) -> bytes | None:
        return b"BM" + bytes(4)


async def test_photo_decoder_plug_in(fake):
    r = SerialIdCardReader("id", port=fake.port, photo_decoder=f"{__name__}:WltStub", **FAST)
    card = await r.read_card(timeout=1.0)
    assert await r.decode_photo(card) == b"BM" + bytes(4)
    assert card.photo == SAMPLE_PHOTO  # the record keeps the opaque WLT bytes
    await r.close()


async def test_nothing_personal_reaches_any_log(fake, caplog, capsys):
    fake.insert(CHEN_HMT)
    with caplog.at_level(logging.DEBUG), structlog.testing.capture_logs() as events:
        r = SerialIdCardReader("id", port=fake.port, **FAST)
        await r.open()
        card = await r.read_card(timeout=1.0)
        fake.inject("garbage")
        await r.read_card(timeout=1.0)
        await r.close()
    logged = caplog.text + repr(events) + capsys.readouterr().out + repr(card) + str(card)
    for value in (CHEN_HMT.name, CHEN_HMT.id_number, CHEN_HMT.address, "示例", "19920505"):
        assert value not in logged
    assert any(e["event"] == "idcard.read" for e in events)
