"""paho-mqtt made cheaper per message for ingest, where it costs as much as reading and storing a report.

Reads are buffered: paho reads each packet in three or four recv calls (its type byte, each byte of its
length, the rest), every one a system call that also lets go of the GIL. Served from one buffer filled up
to 64 KiB at a time, a burst costs a few calls in all. paho asks a socket how many bytes it already holds
(`pending`, as an SSL socket has) and then does not wait in select, so nothing buffered waits for more.

Acknowledgements queued by the network thread itself do not wake it: paho writes a byte to a socket pair
for every packet it queues, so that a select() in the network thread wakes up and writes it; but a PUBACK
is queued from the message callback, on that very thread, which checks for packets to write before it
selects again. That wake-up was two system calls and a turn of the loop per report received.

Both lean on paho 2.2's internals (`_create_socket`, `_packet_queue` and its packet's fields);
requirements pin that version, and tests/backoffice/test_mqtt_socket.py runs a real broker through them.
"""
from __future__ import annotations

import threading

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

    def _packet_queue(self, command, packet, mid, qos, info=None):
        if self._thread is None or threading.current_thread() is not self._thread \
                or self._on_socket_register_write is not None:
            return super()._packet_queue(command, packet, mid, qos, info)
        # On the network thread (a callback's reply): it writes this before it next waits, unwoken.
        self._out_packet.append({"command": command, "mid": mid, "qos": qos, "pos": 0, "to_process": len(packet),
                                 "packet": packet, "info": info})
        return mqtt.MQTTErrorCode.MQTT_ERR_SUCCESS
