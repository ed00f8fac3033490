"""A fake SAM ID card reader on a pseudo-terminal, speaking the real bytes.

Why a pty: the driver under test opens a path with pyserial exactly as it
opens /dev/ttyUSB0, so termios, flushing, timeouts and a vanishing device
(closing the master is an unplug) are all exercised for real. The kiosk side
opens :attr:`FakeIdCardReader.port`, a symlink that survives a replug the way
/dev/serial/by-id/ links do.

The fake answers find/select/read/SAM commands from a scripted state (card
present or not, which card) and injects faults on demand (:meth:`inject`),
on a schedule (:meth:`after`, counted in commands) or when a given command
arrives (:meth:`on_command`). Replies can be paced to the baud rate, which a
pty does not do by itself, for benchmarks.
"""
from __future__ import annotations

import os
import select
import tempfile
import threading
import time
import tty

from devices.id_reader.card_data import encode_text_block
from devices.id_reader.protocol import MIN_COMMAND_LEN, BadChecksum, Command, FrameParser, build_read_reply, build_reply
from devices.id_reader.sample_cards import SAMPLE_PHOTO, ZHANG_SAN
from devices.records import IdCard

PERSISTENT = {  # stay until cleared
    "silent": "no reply at all",
    "garbage": "junk bytes (a false preamble among them) before every reply",
    "bad_checksum": "every reply with a wrong XOR byte",
    "sam_failure": "SW3 60 to every command (SAM self-test failed)",
    "sam_unauthorized": "SW3 66 to every command",
}
ONE_SHOT = {  # act on the next reply only
    "truncated": "the reply stops half-way",
    "sw3": "the reply is status-only with SW3 = code (e.g. 31, 33, 40, 47, 81)",
    "remove_card": "the card leaves the field now; a read in progress answers 41 with SW1 SW2 = 6A 82",
    "unplug": "half the reply, then the pty closes (USB cable pulled)",
}
JUNK = b"\x00\xff\x13\xaa\xaa\x96\x69\xaa\xaa\xaa\x96\x69\xff\xff\x55\xaa\xaa"  # includes a preamble with Len FFFF
COMMAND_BYTES = 10  # every command we answer is preamble + Len + CMD Para + CHK
SAM_ID = bytes.fromhex("0100 0200 03000000 04000000 05000000")  # fictitious SAM serial number
NAMES = {c: c.name.lower() for c in Command}


class FakeIdCardReader:
    """``with FakeIdCardReader(card=ZHANG_SAN) as fake: SerialIdCardReader("id", port=fake.port)``."""

    def __init__(self, card: IdCard | None = ZHANG_SAN, *, present: bool = True, photo: bytes = SAMPLE_PHOTO,
                 fingerprint: bytes | None = None, pace_baud: int | None = None):
        self._cv = threading.Condition()
        self.card, self.present = card, present and card is not None
        self.photo, self.fingerprint = photo, fingerprint
        self.pace_baud = pace_baud  # None: write as fast as the pty takes it
        self.commands: list[str] = []  # every command received, in order: "find", ..., "unknown", "bad" (damaged)
        self.replies = 0
        self._faults: dict[str, int | None] = {}  # fault -> replies left (None = until cleared)
        self._code = 0x41
        self._schedule: list[tuple[int, str | None, tuple]] = []  # (at command count | 0, command name | None, item)
        self._selected = False
        self._master: int | None = None
        self._slave: int | None = None
        self._requests: list[str] = []
        self._wake_r, self._wake_w = os.pipe()
        self._dir: tempfile.TemporaryDirectory | None = None
        self._thread: threading.Thread | None = None
        self._stopping = False
        self.plugged = False

    # lifecycle ---------------------------------------------------------------------------
    def __enter__(self) -> "FakeIdCardReader":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> str:
        assert self._dir is not None, "start() the fake first"
        return os.path.join(self._dir.name, "ttyIDCARD")

    def start(self) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="fake-idcard-")
        self._plug()
        self._thread = threading.Thread(target=self._run, name="fake-idcard", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._request("stop")
        if self._thread is not None:
            self._thread.join(2.0)
        self._unplug()
        for fd in (self._wake_r, self._wake_w):
            os.close(fd)
        if self._dir is not None:
            self._dir.cleanup()

    def unplug(self) -> None:
        """Close the pty now, as a pulled USB-serial cable does; the driver sees EIO."""
        self._request("unplug")
        self.wait_until(lambda f: not f.plugged)

    def replug(self) -> None:
        """A new pty behind the same :attr:`port` link."""
        self._request("replug")
        self.wait_until(lambda f: f.plugged)

    # scripted state ------------------------------------------------------------------------
    def insert(self, card: IdCard | None = None) -> None:
        with self._cv:
            self.card = card or self.card
            self.present = self.card is not None

    def remove(self) -> None:
        with self._cv:
            self.present = False

    def inject(self, fault: str, *, once: bool = False, code: int | None = None) -> None:
        """Start a fault now; persistent ones last until :meth:`clear` unless ``once``."""
        item = _item(fault, once, code)
        with self._cv:
            self._start(item)

    def clear(self, fault: str | None = None) -> None:
        with self._cv:
            if fault is None:
                self._faults.clear()
            else:
                self._faults.pop(fault, None)

    def after(self, commands: int, fault: str, *, once: bool = False, code: int | None = None) -> None:
        """The fault starts with the reply to the ``commands``-th command from now (1 = the next one)."""
        item = _item(fault, once, code)
        with self._cv:
            self._schedule.append((len(self.commands) + commands, None, item))

    def on_command(self, name: str, fault: str, *, once: bool = False, code: int | None = None) -> None:
        """The fault starts with the reply to the next command called ``name`` (find, select, read, ...)."""
        if name not in NAMES.values():
            raise ValueError(f"unknown command {name!r}; known: {', '.join(NAMES.values())}")
        item = _item(fault, once, code)
        with self._cv:
            self._schedule.append((0, name, item))

    # observation ---------------------------------------------------------------------------
    def wait_until(self, predicate, timeout: float = 2.0) -> bool:
        """Wait on a condition (never a sleep) until ``predicate(self)`` holds or the timeout passes."""
        with self._cv:
            return self._cv.wait_for(lambda: predicate(self), timeout)

    def count(self, name: str) -> int:
        with self._cv:
            return self.commands.count(name)

    # the peer's thread ---------------------------------------------------------------------
    def _request(self, what: str) -> None:
        with self._cv:
            self._requests.append(what)
        os.write(self._wake_w, b"x")

    def _plug(self) -> None:
        master, slave = os.openpty()
        tty.setraw(slave)  # no echo, no line editing, before the driver ever opens it
        os.set_blocking(master, False)
        link = self.port
        tmp = link + ".new"
        os.symlink(os.ttyname(slave), tmp)
        os.replace(tmp, link)  # atomic: the driver never sees a missing link during replug
        with self._cv:
            self._master, self._slave, self.plugged = master, slave, True
            self._cv.notify_all()

    def _unplug(self) -> None:
        with self._cv:
            fds, self._master, self._slave = (self._master, self._slave), None, None
            self.plugged = False
            self._cv.notify_all()
        for fd in fds:
            if fd is not None:
                os.close(fd)

    def _run(self) -> None:
        parser = FrameParser(min_len=MIN_COMMAND_LEN)
        while True:
            with self._cv:
                requests, self._requests = self._requests, []
            for what in requests:
                if what == "stop":
                    return
                if what == "unplug":
                    self._unplug()
                if what == "replug" and not self.plugged:
                    parser.reset()
                    self._plug()
            master = self._master
            ready, _, _ = select.select([self._wake_r] + ([master] if master is not None else []), [], [])
            if self._wake_r in ready:
                os.read(self._wake_r, 64)
            if master is None or master not in ready:
                continue
            try:
                data = os.read(master, 4096)
            except BlockingIOError:
                continue
            except OSError:  # EIO: nobody holds the slave open; cannot happen while we keep ours
                continue
            for frame in parser.feed(data):
                command = Command.of(frame)
                self._answer(command, NAMES[command] if command else "unknown")
            for err in parser.take_errors():  # a damaged command: the SAM says which check failed
                self._answer(None, "bad", sw3=0x10 if isinstance(err, BadChecksum) else 0x11)

    def _answer(self, command: Command | None, name: str, sw3: int | None = None) -> None:
        with self._cv:
            self.commands.append(name)
            self._run_schedule(name)
            reply, unplug = self._reply(command, sw3)
            self.replies += reply is not None
            self._cv.notify_all()
        if reply:
            self._send(reply, lead=COMMAND_BYTES)
        if unplug:
            self._unplug()

    def _run_schedule(self, name: str) -> None:
        """Start what is due with this command; one trigger per command name at a time, in order."""
        named: set[str] = set()
        for entry in list(self._schedule):
            at, command, item = entry
            due = at <= len(self.commands) if command is None else command == name and name not in named
            if due:
                named.add(command or "")
                self._schedule.remove(entry)
                self._start(item)

    def _start(self, item: tuple[str, int | None, int | None]) -> None:
        fault, left, code = item
        self._faults[fault] = left
        if code is not None:
            self._code = code

    def _take(self, fault: str) -> bool:
        if fault not in self._faults:
            return False
        left = self._faults[fault]
        if left is not None:
            if left <= 1:
                del self._faults[fault]
            else:
                self._faults[fault] = left - 1
        return True

    def _reply(self, command: Command | None, sw3: int | None) -> tuple[bytes | None, bool]:
        """The bytes to send (None = silence) and whether to unplug afterwards; holds the lock."""
        if self._take("remove_card"):
            self.present = False
            if command in (Command.READ, Command.READ_FINGERPRINT):
                return build_reply(0x41, sw1=0x6A, sw2=0x82), False
        if self._take("silent"):
            return None, False
        for fault, code in (("sam_unauthorized", 0x66), ("sam_failure", 0x60)):
            if self._take(fault):
                return build_reply(code), False
        reply = build_reply(self._code) if self._take("sw3") else build_reply(sw3) if sw3 else self._normal(command)
        if self._take("bad_checksum"):
            reply = reply[:-1] + bytes([reply[-1] ^ 0x5A])
        if self._take("garbage"):
            reply = JUNK + reply
        if self._take("truncated"):
            reply = reply[:len(reply) // 2]
        if self._take("unplug"):
            return reply[:len(reply) // 2], True
        return reply, False

    def _normal(self, command: Command | None) -> bytes:
        """What a healthy SAM answers. Reading without a fresh select is refused, as real SAMs do."""
        if command in (Command.RESET, Command.SAM_STATUS):
            return build_reply(0x90)
        if command is Command.SAM_ID:
            return build_reply(0x90, SAM_ID)
        if command is Command.FIND:
            self._selected = False
            return build_reply(0x9F, bytes(4)) if self.present else build_reply(0x80)
        if command is Command.SELECT:
            self._selected = self.present
            return build_reply(0x90, bytes(8)) if self.present else build_reply(0x81)
        if command in (Command.READ, Command.READ_FINGERPRINT):
            if not self.present:
                return build_reply(0x41)
            if not self._selected:
                return build_reply(0x23)  # fake's choice: real SAMs differ on reads without select
            self._selected = False
            assert self.card is not None
            text = encode_text_block(self.card)
            if command is Command.READ:
                return build_read_reply(text, self.photo)
            if self.fingerprint is None:
                return build_reply(0x91)
            return build_read_reply(text, self.photo, self.fingerprint)
        if command is Command.READ_ADDRESS:
            return build_reply(0x91)
        return build_reply(0x21)

    def _send(self, data: bytes, lead: int = 0) -> None:
        """Write to the master; paced to 10 bits per byte (8N1) when ``pace_baud`` is set.

        Paced, the reply also starts ``lead`` byte times late: a real UART would
        still be delivering the command, which the pty handed over at once.
        """
        start, sent = time.monotonic() + (lead * 10 / self.pace_baud if self.pace_baud else 0), 0
        chunk = 32 if self.pace_baud else len(data)  # 32 bytes = 2.8 ms at 115200: fine-grained pacing
        while sent < len(data):
            piece = data[sent:sent + chunk]
            if self.pace_baud:
                due = start + (sent + len(piece)) * 10 / self.pace_baud  # when its last bit has arrived
                delay = due - time.monotonic()
                if delay > 0:
                    time.sleep(delay)  # the peer's own pacing, not synchronisation
            if not self._write(piece):
                return
            sent += len(piece)

    def _write(self, data: bytes) -> bool:
        view = memoryview(data)
        deadline = time.monotonic() + 1.0  # a reader that stopped reading for a second is gone
        while view:
            master = self._master
            if master is None or time.monotonic() > deadline:
                return False
            try:
                n = os.write(master, view)
            except BlockingIOError:
                select.select([], [master], [], 0.05)
                continue
            except OSError:
                return False
            view = view[n:]
        return True


def _item(fault: str, once: bool, code: int | None) -> tuple[str, int | None, int | None]:
    """(fault, replies it lasts or None for until cleared, SW3 code); ValueError names a bad fault."""
    if fault not in PERSISTENT and fault not in ONE_SHOT:
        raise ValueError(f"unknown fault {fault!r}; known: {', '.join(sorted(PERSISTENT | ONE_SHOT))}")
    if fault == "sw3" and code is None:
        raise ValueError("fault 'sw3' needs code=")
    return fault, 1 if once or fault in ONE_SHOT else None, code

