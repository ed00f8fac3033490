"""ESC/POS over RS-232 or USB-serial (pyserial, imported on use so that TCP-only kiosks do not need it)."""
from __future__ import annotations

from devices.errors import DeviceOffline, DeviceTimeout
from devices.receipt_printer.transport import Transport, remaining


class SerialTransport(Transport):
    """RS-232 or USB-serial through pyserial."""

    def __init__(self, port: str, baud: int, rtscts: bool, xonxoff: bool):
        super().__init__()
        self.port, self.baud, self.rtscts, self.xonxoff = port, baud, rtscts, xonxoff
        self._ser = None

    def open(self, timeout: float) -> None:
        import serial  # pyserial; imported on use so that TCP-only kiosks do not need it

        try:
            # serial_for_url also takes pyserial URLs (spy:// hex-dumps traffic for fixtures, socket://)
            self._ser = serial.serial_for_url(self.port, baudrate=self.baud, timeout=0, write_timeout=timeout,
                                              rtscts=self.rtscts, xonxoff=self.xonxoff)
        except (serial.SerialException, OSError) as exc:
            raise DeviceOffline(f"cannot open {self.port}: {exc}") from exc
        self._rx.clear()

    def close(self) -> None:
        if self._ser is not None:
            self._ser.close()
            self._ser = None

    def write(self, data: bytes, deadline: float) -> None:
        import serial

        if self._ser is None:
            raise DeviceOffline("not connected")
        try:
            self._ser.write_timeout = remaining(deadline)
            self._ser.write(data)
        except serial.SerialTimeoutException as exc:
            raise DeviceTimeout("the printer stopped accepting data (flow control)") from exc
        except (serial.SerialException, OSError) as exc:
            raise DeviceOffline(f"serial port lost: {exc}") from exc

    def _recv(self, timeout: float) -> bytes:
        import serial

        if self._ser is None:
            raise DeviceOffline("not connected")
        try:
            self._ser.timeout = max(timeout, 0.0)
            return self._ser.read(max(1, self._ser.in_waiting))
        except (serial.SerialException, OSError) as exc:
            raise DeviceOffline(f"serial port lost: {exc}") from exc
