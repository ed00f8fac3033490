"""Which transport a printer URI names: tcp://, serial:// or usb://, validated without any I/O."""
from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from devices.errors import ConfigError
from devices.receipt_printer.serial import SerialTransport
from devices.receipt_printer.tcp import TcpTransport
from devices.receipt_printer.transport import Transport
from devices.receipt_printer.usb import UsbTransport


def open_transport(uri: str) -> Transport:
    """The transport for a URI; validates it and does no I/O. ConfigError names the problem."""
    parts = urlsplit(uri)
    query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}

    def take(allowed: dict[str, Any]) -> dict[str, Any]:
        bad = sorted(set(query) - set(allowed))
        if bad:
            raise ConfigError(f"{uri}: unknown parameter {bad[0]!r}; known: {', '.join(allowed) or 'none'}")
        try:
            return {k: conv(query[k]) if k in query else default for k, (conv, default) in allowed.items()}
        except ValueError as exc:
            raise ConfigError(f"{uri}: bad parameter value ({exc})") from exc

    flag = lambda v: v.lower() in ("1", "true", "yes", "on")  # noqa: E731
    if parts.scheme == "tcp":
        take({})
        try:
            port = parts.port or 9100  # raw printing port of almost every network receipt printer
        except ValueError as exc:
            raise ConfigError(f"{uri}: bad port") from exc
        if not parts.hostname:
            raise ConfigError(f"{uri}: tcp:// needs a host, e.g. tcp://192.168.1.50:9100")
        return TcpTransport(parts.hostname, port)
    if parts.scheme == "serial":
        opts = take({"baud": (int, 9600), "rtscts": (flag, False), "xonxoff": (flag, False)})
        if not parts.path or parts.netloc:
            raise ConfigError(f"{uri}: serial:// needs a device path, e.g. serial:///dev/ttyUSB0?baud=115200")
        return SerialTransport(parts.path, opts["baud"], opts["rtscts"], opts["xonxoff"])
    if parts.scheme == "usb":
        opts = take({"interface": (int, 0)})
        try:
            vid, pid = (int(x, 16) for x in parts.netloc.split(":"))
        except ValueError as exc:
            raise ConfigError(f"{uri}: usb:// needs VID:PID in hex, e.g. usb://0416:5011") from exc
        return UsbTransport(vid, pid, opts["interface"])
    raise ConfigError(f"{uri}: unsupported scheme {parts.scheme!r}; use tcp://, serial:// or usb://")
