"""Device status as immutable data.

Modelled on XFS4IoT ``Common.Status`` and UnifiedPOS ``StatusUpdateEvent``:
a normalized state plus the reasons behind it, never a boolean plus free
text, so that the engine, the UI and fleet health all read the same thing.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from enum import StrEnum


class State(StrEnum):
    OK = "ok"
    WARNING = "warning"  # works, but someone should act soon (paper low)
    ERROR = "error"  # present but cannot do its job (paper out, jam)
    OFFLINE = "offline"  # not reachable (unplugged, no reply)
    UNKNOWN = "unknown"  # not yet asked, or the answer could not be read


class Reason(StrEnum):
    PAPER_LOW = "paper_low"
    PAPER_OUT = "paper_out"
    COVER_OPEN = "cover_open"
    JAM = "jam"
    CUTTER_ERROR = "cutter_error"
    MEDIA_NOT_TAKEN = "media_not_taken"  # a ticket or document waits at the presenter
    TONER_LOW = "toner_low"
    TONER_OUT = "toner_out"
    NO_DEVICE = "no_device"
    NO_REPLY = "no_reply"
    PROTOCOL_ERROR = "protocol_error"
    HARDWARE_ERROR = "hardware_error"
    SAM_ERROR = "sam_error"  # the ID reader's security module failed its self-test
    BUSY = "busy"
    STOPPED = "stopped"  # taken out of service by an operator
    NOT_CONFIGURED = "not_configured"
    CAMERA_MISSING = "camera_missing"  # the help panel calls audio-only
    CAMERA_BUSY = "camera_busy"  # another process holds the camera: audio-only too


# Reasons that mean the device cannot do its job right now; the rest are warnings.
BLOCKING = frozenset(
    {
        Reason.PAPER_OUT,
        Reason.COVER_OPEN,
        Reason.JAM,
        Reason.CUTTER_ERROR,
        Reason.TONER_OUT,
        Reason.HARDWARE_ERROR,
        Reason.SAM_ERROR,
        Reason.PROTOCOL_ERROR,
        Reason.STOPPED,
    }
)
UNREACHABLE = frozenset({Reason.NO_DEVICE, Reason.NO_REPLY, Reason.NOT_CONFIGURED})


@dataclass(frozen=True)
class Status:
    state: State
    reasons: frozenset[Reason] = frozenset()
    detail: str = ""  # technician-facing, never shown to citizens, never personal data
    at: float = field(default_factory=time.monotonic, compare=False)

    @classmethod
    def from_reasons(cls, reasons: set[Reason] | frozenset[Reason], detail: str = "") -> "Status":
        """Derive the state from the reasons so that the two can never disagree."""
        reasons = frozenset(reasons)
        if reasons & UNREACHABLE:
            state = State.OFFLINE
        elif reasons & BLOCKING:
            state = State.ERROR
        elif reasons:
            state = State.WARNING
        else:
            state = State.OK
        return cls(state, reasons, detail)

    @classmethod
    def unknown(cls) -> "Status":
        return cls(State.UNKNOWN)

    @property
    def usable(self) -> bool:
        return self.state in (State.OK, State.WARNING)

    def diff(self, older: "Status | None") -> dict:
        """What changed since ``older``: the payload of a status-change event."""
        if older is None:
            return {"state": self.state, "added": sorted(self.reasons), "removed": []}
        out: dict = {}
        if older.state != self.state:
            out["state"] = self.state
        added = sorted(self.reasons - older.reasons)
        removed = sorted(older.reasons - self.reasons)
        if added or removed:
            out["added"], out["removed"] = added, removed
        return out

    def as_dict(self) -> dict:
        return {"state": str(self.state), "reasons": sorted(str(r) for r in self.reasons), "detail": self.detail}


@dataclass(frozen=True)
class StatusChanged:
    """Emitted once per change (down, then up), carrying what changed."""

    device: str
    old: Status | None
    new: Status

    @property
    def changes(self) -> dict:
        return self.new.diff(self.old)
