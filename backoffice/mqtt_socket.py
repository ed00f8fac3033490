"""paho-mqtt with reads buffered: the fleet's reports arrive in bursts, and paho reads each packet in three
or four recv calls (its type byte, each byte of its length, the rest), every one a system call that also
lets go of the GIL. Served from one buffer filled up to 64 KiB at a time, a burst costs a few calls in all.

paho asks a socket how many bytes it already holds (`pending`, as an SSL socket has) and then does not wait
in select, so nothing buffered waits for more bytes to arrive. paho 2.2's `_create_socket` is the one hook;
requirements pin that version, and tests/backoffice/test_ingest.py runs ingest through it.
"""
from __future__ import annotations

import paho.mqtt.client as mqtt

CHUNK = 65536


class BufferedSocket:
    __slots__ = ("_sock", "_buf", "_pos", "send", "fileno")

    def __init__(self, sock):
        self._sock = sock
        self._buf = b""
        self._pos = 0
        self.send = sock.send
        self.fileno = sock.fileno

    def recv(self, bufsize: int) -> bytes:
        """Up to `bufsize` bytes, from the buffer when it holds any; b"" only when the peer has closed, and
        BlockingIOError (or SSLWantReadError) when nothing has come yet, as the socket itself says."""
        buf, pos = self._buf, self._pos
        if pos >= len(buf):
            buf = self._sock.recv(max(bufsize, CHUNK))
            if len(buf) <= bufsize:
                self._buf, self._pos = b"", 0
                return buf
            pos = 0
            self._buf = buf
        end = pos + bufsize
        self._pos = end
        return buf[pos:end]

    def pending(self) -> int:
        inner = self._sock.pending() if hasattr(self._sock, "pending") else 0
        return max(0, len(self._buf) - self._pos) + inner

    def __getattr__(self, name):
        return getattr(self._sock, name)


class Client(mqtt.Client):
    def _create_socket(self):
        return BufferedSocket(super()._create_socket())
