"""ESC/POS over the USB printer class (pyusb, imported on use)."""
from __future__ import annotations

from devices.errors import ConfigError, DeviceOffline, DeviceTimeout
from devices.receipt_printer.transport import Transport, remaining


class UsbTransport(Transport):
    """USB printer class, bulk endpoints through pyusb (detaches usblp like python-escpos)."""

    def __init__(self, vid: int, pid: int, interface: int = 0):
        super().__init__()
        self.vid, self.pid, self.interface = vid, pid, interface
        self._dev = self._ep_out = self._ep_in = None

    def open(self, timeout: float) -> None:
        try:
            import usb.core
            import usb.util
        except ImportError as exc:
            raise ConfigError("usb:// printers need pyusb (pip install pyusb)") from exc
        try:
            dev = usb.core.find(idVendor=self.vid, idProduct=self.pid)
        except usb.core.NoBackendError as exc:  # pyusb is there, the C library it drives is not
            raise ConfigError("usb:// printers need libusb-1.0 (Debian package libusb-1.0-0)") from exc
        if dev is None:
            raise DeviceOffline(f"no USB device {self.vid:04x}:{self.pid:04x}")
        try:
            if dev.is_kernel_driver_active(self.interface):
                dev.detach_kernel_driver(self.interface)  # usblp holds printer-class devices
            if dev.get_active_configuration() is None:
                dev.set_configuration()
            intf = dev.get_active_configuration()[(self.interface, 0)]
            direction = usb.util.endpoint_direction
            self._ep_out = usb.util.find_descriptor(
                intf, custom_match=lambda e: direction(e.bEndpointAddress) == usb.util.ENDPOINT_OUT)
            self._ep_in = usb.util.find_descriptor(
                intf, custom_match=lambda e: direction(e.bEndpointAddress) == usb.util.ENDPOINT_IN)
            usb.util.claim_interface(dev, self.interface)
        except (usb.core.USBError, NotImplementedError) as exc:
            raise DeviceOffline(f"cannot claim USB device {self.vid:04x}:{self.pid:04x}: {exc}") from exc
        if self._ep_out is None or self._ep_in is None:
            raise ConfigError(f"USB device {self.vid:04x}:{self.pid:04x} has no bulk IN/OUT pair; not a printer?")
        self._dev = dev
        self._rx.clear()

    def close(self) -> None:
        if self._dev is not None:
            import usb.util

            usb.util.dispose_resources(self._dev)
            self._dev = None

    def write(self, data: bytes, deadline: float) -> None:
        import usb.core

        if self._dev is None:
            raise DeviceOffline("not connected")
        try:
            # 4 KiB bulk transfers: one long transfer times out on slow printers (python-escpos#17, #628)
            for i in range(0, len(data), 4096):
                self._ep_out.write(data[i:i + 4096], timeout=max(1, int(remaining(deadline) * 1000)))
        except usb.core.USBTimeoutError as exc:
            raise DeviceTimeout("the printer stopped accepting data") from exc
        except usb.core.USBError as exc:
            raise DeviceOffline(f"USB transfer failed: {exc}") from exc

    def _recv(self, timeout: float) -> bytes:
        import usb.core

        if self._dev is None:
            raise DeviceOffline("not connected")
        try:
            return bytes(self._ep_in.read(self._ep_in.wMaxPacketSize, timeout=max(1, int(timeout * 1000))))
        except usb.core.USBTimeoutError:
            return b""
        except usb.core.USBError as exc:
            raise DeviceOffline(f"USB transfer failed: {exc}") from exc
