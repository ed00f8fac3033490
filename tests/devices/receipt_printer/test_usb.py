"""usb:// receipt printers: pyusb is a declared dependency, libusb a system library that may be missing."""
import pytest
import usb.core

from devices.errors import ConfigError
from devices.receipt_printer.uri import open_transport


def test_a_usb_printer_without_libusb_is_a_config_error_naming_the_package(monkeypatch):
    def no_backend(**_):
        raise usb.core.NoBackendError("No backend available")  # what pyusb raises when libusb-1.0 is absent

    monkeypatch.setattr(usb.core, "find", no_backend)
    with pytest.raises(ConfigError, match="libusb-1.0-0"):
        open_transport("usb://0416:5011").open(1.0)
