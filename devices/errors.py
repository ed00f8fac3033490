"""The device layer's exception tree.

Exceptions are for calls that failed; standing conditions are reported as
:class:`devices.status.Status`. Drivers wrap library errors at their boundary
with ``raise ... from`` so callers only ever see these types.
"""
from __future__ import annotations

from devices.status import Reason


class DeviceError(Exception):
    """A device call failed. ``reason`` says why in the normalized vocabulary."""

    reason: Reason = Reason.HARDWARE_ERROR

    def __init__(self, message: str, reason: Reason | None = None):
        super().__init__(message)
        if reason is not None:
            self.reason = reason


class DeviceOffline(DeviceError):
    reason = Reason.NO_DEVICE


class DeviceTimeout(DeviceError):
    reason = Reason.NO_REPLY


class ProtocolError(DeviceError):
    """The device answered, but with bytes that do not parse or fail their checksum."""

    reason = Reason.PROTOCOL_ERROR


class MediaError(DeviceError):
    """Paper out, cover open, jam...: the job did not complete and must not count as done."""

    reason = Reason.PAPER_OUT


class NoCard(DeviceError):
    """No card came within the wait; an expected outcome, not a fault."""

    reason = Reason.BUSY


class CardError(DeviceError):
    """A card is there but cannot be read (moved away, unknown type, authentication failed)."""

    reason = Reason.PROTOCOL_ERROR


class Cancelled(DeviceError):
    reason = Reason.BUSY


class ConfigError(DeviceError):
    reason = Reason.NOT_CONFIGURED
