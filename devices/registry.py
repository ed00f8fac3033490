"""Drivers found by name, imported only when configuration asks for them.

The configuration's ``driver`` value selects an entry here; nothing is
imported or opened until :func:`build` is called. There is no fallback to a
simulator: a missing or failing driver is a configuration error.
"""
from __future__ import annotations

import difflib
import importlib
from typing import Any

from devices.base import Device
from devices.contracts import CONTRACTS
from devices.errors import ConfigError

# (device class, driver name) -> "module:Class"
DRIVERS: dict[tuple[str, str], str] = {
    ("id_reader", "sim"): "devices.id_reader.sim:SimIdCardReader",
    ("receipt_printer", "sim"): "devices.receipt_printer.sim:SimReceiptPrinter",
    ("document_printer", "sim"): "devices.document_printer.sim:SimDocumentPrinter",
    ("code_scanner", "sim"): "devices.code_scanner.sim:SimCodeScanner",
    ("ticket_dispenser", "sim"): "devices.ticket_dispenser.sim:SimTicketDispenser",
    ("help_panel", "sim"): "devices.help_panel.sim:SimHelpPanel",
    ("help_panel", "webrtc"): "devices.help_panel.webrtc:WebRtcHelpPanel",
    ("id_reader", "sam_serial"): "devices.id_reader.sam_serial:SerialIdCardReader",
    ("receipt_printer", "escpos"): "devices.receipt_printer.escpos:EscposReceiptPrinter",
    ("code_scanner", "evdev"): "devices.code_scanner.wedge:EvdevCodeScanner",
    ("code_scanner", "serial"): "devices.code_scanner.serial:SerialCodeScanner",
    ("document_printer", "ipp"): "devices.document_printer.ipp:IppDocumentPrinter",
    ("ticket_dispenser", "printer"): "devices.ticket_dispenser.dispenser:PrinterTicketDispenser",
}


def driver_names(device_class: str) -> list[str]:
    return sorted(d for (c, d) in DRIVERS if c == device_class)


class UnknownRole(ConfigError):
    """The configuration names a device role the kiosk has no contract for."""


class UnknownDriver(ConfigError):
    """The configuration names a driver that does not exist for the role."""


def _suggest(name: str, known: list[str]) -> str:
    best = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    return f"; did you mean {best[0]!r}?" if best else f"; known: {', '.join(known) or 'none'}"


def build(name: str, device_class: str, driver: str, **options: Any) -> Device:
    """Construct (never open) the driver; every way the configuration can be wrong is a ConfigError."""
    if device_class not in CONTRACTS:
        raise UnknownRole(f"unknown device role {device_class!r}{_suggest(device_class, sorted(CONTRACTS))}")
    target = DRIVERS.get((device_class, driver))
    if target is None:
        raise UnknownDriver(f"unknown driver {driver!r}{_suggest(driver, driver_names(device_class))}")
    module_name, _, cls_name = target.partition(":")
    cls = getattr(importlib.import_module(module_name), cls_name)
    try:
        device = cls(name, **options)
    except ConfigError:
        raise
    except Exception as exc:  # a wrong type reaching a constructor: the configuration's fault, said as such
        raise ConfigError(f"{name}: driver {driver!r} cannot be built with these options "
                          f"({type(exc).__name__}: {exc})") from exc
    if not isinstance(device, CONTRACTS[device_class]):
        raise ConfigError(f"driver {target} does not implement {device_class}")
    return device
