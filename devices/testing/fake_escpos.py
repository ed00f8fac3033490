"""A fake ESC/POS network printer on 127.0.0.1, for tests and bench work.

Why: the driver's worst moments (paper out half-way, cover open, a printer
that goes silent or answers garbage) cannot be produced on demand with real
hardware. This twin records every byte it receives per connection, answers
DLE EOT 1..4 and GS r 1 from a scripted state, and changes state on demand
or on a byte-count schedule. It does not import python-escpos.

Replies follow the bit tables of the Epson manuals: an offline printer still
answers DLE EOT (real-time) but not GS r, which waits for the buffer to print.
"""
from __future__ import annotations

import selectors
import socket
import threading
import time
from dataclasses import dataclass, field

# DLE EOT 1..4 reply bytes per named state (None = no reply); see escpos_status for the bits.
STATES: dict[str, dict[int, int | None]] = {
    "ok": {1: 0x12, 2: 0x12, 3: 0x12, 4: 0x12},
    "paper_low": {1: 0x12, 2: 0x12, 3: 0x12, 4: 0x1E},  # n=4 bits 2,3: near end
    "paper_out": {1: 0x1A, 2: 0x32, 3: 0x12, 4: 0x72},  # offline, stopped by paper end, no paper
    "cover_open": {1: 0x1A, 2: 0x16, 3: 0x12, 4: 0x12},  # offline, n=2 bit 2 cover open
    "cutter_error": {1: 0x1A, 2: 0x52, 3: 0x1A, 4: 0x12},  # offline, error occurred, autocutter error
    "silent": {1: None, 2: None, 3: None, 4: None},  # powered off behind a live network link
    "garbage": {1: 0xFF, 2: 0xFF, 3: 0xFF, 4: 0xFF},  # not the 0xx1xx10 pattern
}
STATES["offline"] = STATES["silent"]
GS_R_REPLY = {"ok": 0x00, "paper_low": 0x03, "garbage": 0xFF}  # others are offline: GS r is not run

_DLE, _ESC, _GS, _FS = 0x10, 0x1B, 0x1D, 0x1C
_ESC_PARAMS = {0x61: 1, 0x45: 1, 0x64: 1, 0x74: 1, 0x4A: 1, 0x21: 1, 0x2D: 1, 0x4D: 1, 0x33: 1, 0x47: 1}
_GS_PARAMS = {0x21: 1, 0x61: 1, 0x42: 1, 0x48: 1, 0x66: 1, 0x68: 1, 0x77: 1, 0x4C: 2, 0x57: 2}
_FS_PARAMS = {0x21: 1, 0x43: 1, 0x2D: 1, 0x57: 1}


@dataclass
class ConnectionRecord:
    data: bytearray = field(default_factory=bytearray)  # everything but the real-time requests
    realtime: list[int] = field(default_factory=list)  # n of each DLE EOT n received
    job_starts: list[int] = field(default_factory=list)  # offsets in data of each ESC @
    printed: int = 0  # data bytes received while the printer was able to print
    closed: bool = False

    def jobs(self) -> list[bytes]:
        """Data split at each ESC @, which is how every job we send starts."""
        starts = self.job_starts or [0]
        ends = starts[1:] + [len(self.data)]
        return [bytes(self.data[a:b]) for a, b in zip(starts, ends)]


class _Scanner:
    """Finds command boundaries in a byte stream so that 10 04 inside image or QR
    data is not taken for a status request (as a real printer's parser would not)."""

    def __init__(self) -> None:
        self.head: list[int] = []
        self.skip = 0

    def step(self, b: int) -> tuple[str, int] | None:
        if self.skip:
            self.skip -= 1
            return None
        h = self.head
        h.append(b)
        if len(h) == 1:
            if b not in (_DLE, _ESC, _GS, _FS):
                h.clear()
            return None
        lead, op = h[0], h[1]
        if lead == _DLE:
            if op not in (0x04, 0x05):
                h.clear()
                return None
            if len(h) < 3:
                return None
            h.clear()
            return ("rt", b) if op == 0x04 else None
        if lead in (_ESC, _FS):
            h.clear()
            if lead == _ESC and op == 0x40:
                return ("init", 0)
            self.skip = (_ESC_PARAMS if lead == _ESC else _FS_PARAMS).get(op, 0)
            return None
        need = {0x76: 8, 0x28: 5, 0x72: 3, 0x56: 3}.get(op, 2)  # GS v 0 header, GS ( pL pH, GS r n, GS V m
        if len(h) < need:
            return None
        head = list(h)
        h.clear()
        if op == 0x76:  # x bytes per row times y rows of image data follow
            self.skip = (head[4] | head[5] << 8) * (head[6] | head[7] << 8)
        elif op == 0x28:  # pL pH bytes of parameters follow
            self.skip = head[3] | head[4] << 8
        elif op == 0x72:
            return ("gs_r", head[2])
        elif op == 0x56:  # GS V 65/66 carry one more byte
            self.skip = 1 if head[2] in (65, 66) else 0
        else:
            self.skip = _GS_PARAMS.get(op, 0)
        return None

    @property
    def in_realtime(self) -> bool:
        return bool(self.head) and self.head[0] == _DLE


class FakeEscposPrinter:
    """``with FakeEscposPrinter(state="ok") as fake: driver(uri=fake.uri)``.

    ``port=0`` (the default) takes an ephemeral port so parallel tests never
    collide; pass 9100 to stand in for a printer during a demo.
    """

    def __init__(self, state: str = "ok", *, port: int = 0):
        self._cv = threading.Condition()
        self._state = "ok"
        self._replies: dict[int, int | None] = dict(STATES["ok"])
        self._gs_r: int | None = GS_R_REPLY["ok"]
        self.set_state(state)
        self._schedule: list[tuple[int, str]] = []
        self._received = 0
        self.connections: list[ConnectionRecord] = []
        self._socks: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._listener: socket.socket | None = None
        self._wake_r, self._wake_w = socket.socketpair()
        self._stopping = False
        self.port = port

    # lifecycle --------------------------------------------------------------
    def __enter__(self) -> "FakeEscposPrinter":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def uri(self) -> str:
        return f"tcp://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", self.port))
        self.port = self._listener.getsockname()[1]
        self._spawn(self._accept_loop, "fake-escpos-accept")

    def stop(self) -> None:
        """Switch the printer off (an unplug); stopping twice is fine."""
        if self._wake_w.fileno() < 0:
            return
        with self._cv:
            self._stopping = True
            socks = list(self._socks)
        self._wake_w.send(b"x")
        for s in socks:
            _shutdown(s)
        deadline = time.monotonic() + 2.0
        for t in self._threads:
            t.join(max(0.0, deadline - time.monotonic()))
        if self._listener is not None:
            self._listener.close()
        self._wake_r.close()
        self._wake_w.close()

    def _spawn(self, target, name: str, *args) -> None:
        t = threading.Thread(target=target, args=args, name=name, daemon=True)
        self._threads.append(t)
        t.start()

    # faults -----------------------------------------------------------------
    def set_state(self, state: str) -> None:
        """Switch the scripted state now: ok, paper_low, paper_out, cover_open, cutter_error, silent, garbage."""
        if state not in STATES:
            raise ValueError(f"unknown state {state!r}; known: {', '.join(sorted(STATES))}")
        with self._cv:
            self._state = state
            self._replies = dict(STATES[state])
            self._gs_r = GS_R_REPLY.get(state)
            self._cv.notify_all()

    def set_reply(self, n: int, byte: int | None) -> None:
        """Override one DLE EOT reply, e.g. a single invalid byte for n=3."""
        with self._cv:
            self._replies[n] = byte

    def after_bytes(self, count: int, action: str) -> None:
        """Schedule a state (or "drop": close the connection) once ``count`` more job bytes arrived."""
        if action != "drop" and action not in STATES:
            raise ValueError(f"unknown action {action!r}")
        with self._cv:
            self._schedule.append((self._received + count, action))
            self._schedule.sort()

    def drop_connections(self) -> None:
        with self._cv:
            socks = list(self._socks)
        for s in socks:
            _shutdown(s)

    @property
    def state(self) -> str:
        return self._state

    # observation ------------------------------------------------------------
    @property
    def received(self) -> bytes:
        with self._cv:
            return b"".join(bytes(c.data) for c in self.connections)

    def jobs(self) -> list[bytes]:
        with self._cv:
            return [j for c in self.connections for j in c.jobs() if j]

    @property
    def realtime_requests(self) -> list[int]:
        with self._cv:
            return [n for c in self.connections for n in c.realtime]

    def wait_until(self, predicate, timeout: float = 2.0) -> bool:
        """Wait (on a condition, not a sleep) until ``predicate(self)`` holds or the timeout passes."""
        with self._cv:
            return self._cv.wait_for(lambda: predicate(self), timeout)

    # server -----------------------------------------------------------------
    def _accept_loop(self) -> None:
        assert self._listener is not None
        sel = selectors.DefaultSelector()
        sel.register(self._listener, selectors.EVENT_READ)
        sel.register(self._wake_r, selectors.EVENT_READ)
        try:
            while not self._stopping:
                for key, _ in sel.select():
                    if key.fileobj is self._wake_r or self._stopping:
                        return
                    conn, _addr = self._listener.accept()
                    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    record = ConnectionRecord()
                    with self._cv:
                        self.connections.append(record)
                        self._socks.append(conn)
                        self._cv.notify_all()
                    self._spawn(self._serve, f"fake-escpos-conn{len(self.connections)}", conn, record)
        finally:
            sel.close()

    def _serve(self, conn: socket.socket, record: ConnectionRecord) -> None:
        scanner = _Scanner()
        try:
            while True:
                try:
                    chunk = conn.recv(65536)
                except OSError:
                    break
                if not chunk:
                    break
                if not self._consume(conn, record, scanner, chunk):
                    break
        finally:
            with self._cv:
                record.closed = True
                if conn in self._socks:
                    self._socks.remove(conn)
                self._cv.notify_all()
            conn.close()

    def _consume(self, conn: socket.socket, record: ConnectionRecord, scanner: _Scanner, chunk: bytes) -> bool:
        """Record bytes one by one, answering requests and running the schedule. False: drop."""
        replies = bytearray()
        with self._cv:
            for b in chunk:
                record.data.append(b)
                event = scanner.step(b)
                if event is None:
                    if scanner.in_realtime:
                        continue  # counted only once we know whether it is DLE EOT
                    self._received += 1
                    if self._replies[1] is not None and not self._replies[1] & 0x08:  # online: prints
                        record.printed += 1
                    while self._schedule and self._received >= self._schedule[0][0]:
                        _, action = self._schedule.pop(0)
                        if action == "drop":
                            self._cv.notify_all()
                            return False
                        self.set_state(action)
                elif event[0] == "rt":
                    del record.data[-3:]  # DLE EOT n is not job data
                    record.realtime.append(event[1])
                    reply = self._replies.get(event[1])
                    if reply is not None:
                        replies.append(reply)
                elif event[0] == "init":
                    record.job_starts.append(len(record.data) - 2)
                elif event[0] == "gs_r" and self._gs_r is not None:
                    replies.append(self._gs_r)
            self._cv.notify_all()
        if replies:
            try:
                conn.sendall(bytes(replies))
            except OSError:
                return False
        return True


def _shutdown(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
