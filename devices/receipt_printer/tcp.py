"""ESC/POS over raw TCP (port 9100)."""
from __future__ import annotations

import socket

from devices.errors import DeviceOffline, DeviceTimeout
from devices.receipt_printer.transport import Transport, remaining


class TcpTransport(Transport):
    """Raw TCP (port 9100, "JetDirect"), one connection kept open between jobs."""

    CHUNK = 16384  # sent piecewise so the deadline is re-applied while a slow printer drains its buffer

    def __init__(self, host: str, port: int):
        super().__init__()
        self.host, self.port = host, port
        self._sock: socket.socket | None = None

    def open(self, timeout: float) -> None:
        try:
            self._sock = socket.create_connection((self.host, self.port), timeout=max(timeout, 0.01))
        except OSError as exc:
            raise DeviceOffline(f"cannot connect to {self.host}:{self.port}: {exc.strerror or exc}") from exc
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # status requests are 3 bytes
        self._rx.clear()

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def _live(self) -> socket.socket:
        if self._sock is None:
            raise DeviceOffline("not connected")
        return self._sock

    def write(self, data: bytes, deadline: float) -> None:
        sock = self._live()
        try:
            for i in range(0, len(data), self.CHUNK):
                sock.settimeout(remaining(deadline))
                sock.sendall(data[i:i + self.CHUNK])
        except TimeoutError as exc:
            raise DeviceTimeout("the printer stopped accepting data") from exc
        except OSError as exc:
            raise DeviceOffline(f"connection lost while sending: {exc.strerror or exc}") from exc

    def _recv(self, timeout: float) -> bytes:
        sock = self._live()
        try:
            sock.settimeout(timeout if timeout > 0 else 0.0)
            data = sock.recv(256)
        except (TimeoutError, BlockingIOError):
            return b""
        except OSError as exc:
            raise DeviceOffline(f"connection lost: {exc.strerror or exc}") from exc
        if not data:
            raise DeviceOffline("the printer closed the connection")
        return data
