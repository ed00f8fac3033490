"""Typed records that devices hand to the runtime.

Records that hold personal data hide it from ``repr`` so that a stray log
line or traceback never carries a citizen's name or ID number.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields
from enum import StrEnum


class CardType(StrEnum):
    RESIDENT = "resident"  # 居民身份证
    HMT_RESIDENCE = "hmt_residence"  # 港澳台居民居住证
    FOREIGN_PERMANENT = "foreign_permanent"  # 外国人永久居留身份证


@dataclass(frozen=True, repr=False)
class IdCard:
    name: str
    gender: str  # as printed: 男 / 女
    nation: str  # ethnic group for resident cards, nationality code for foreigners
    birth_date: dt.date
    address: str
    id_number: str
    authority: str
    valid_from: dt.date
    valid_to: dt.date | None  # None means 长期 (no expiry)
    card_type: CardType = CardType.RESIDENT
    english_name: str = ""
    photo: bytes = field(default=b"", compare=False)  # opaque WLT bytes; decoded only by a plug-in
    extra: dict = field(default_factory=dict, compare=False)

    def __repr__(self) -> str:  # never the personal fields
        return f"IdCard(card_type={self.card_type!s}, fields=<redacted>)"

    __str__ = __repr__

    def as_json(self) -> dict:
        """The technician CLI's shape: ISO dates, no photo."""
        out = {}
        for f in fields(self):
            if f.name in ("photo", "extra"):
                continue
            v = getattr(self, f.name)
            out[f.name] = v.isoformat() if isinstance(v, dt.date) else (str(v) if v is not None else None)
        return out


@dataclass(frozen=True)
class Scan:
    data: str
    symbology: str = "unknown"
    source: str = ""

    def __repr__(self) -> str:  # a scanned code can carry personal data (e-ID QR)
        return f"Scan(symbology={self.symbology}, length={len(self.data)})"


# Receipt layout: the device-neutral description a receipt printer renders.
@dataclass(frozen=True)
class Text:
    text: str
    align: str = "left"  # left | center | right
    scale: int = 1  # 1..8, character magnification (GS !)
    bold: bool = False


@dataclass(frozen=True)
class QrCode:
    data: str
    size: int = 6  # module size in dots
    align: str = "center"


@dataclass(frozen=True)
class Feed:
    lines: int = 1


@dataclass(frozen=True)
class Cut:
    partial: bool = False


ReceiptElement = Text | QrCode | Feed | Cut


@dataclass(frozen=True)
class Receipt:
    elements: tuple[ReceiptElement, ...]
    job_id: str = ""

    def plain_text(self) -> str:
        return "\n".join(e.text for e in self.elements if isinstance(e, Text))


@dataclass(frozen=True)
class PrintResult:
    """Only ``printed=True`` may count as delivered; anything else is a failure."""

    job_id: str
    printed: bool
    pages: int = 0
    detail: str = ""


@dataclass(frozen=True)
class Ticket:
    number: str  # category prefix + digits, e.g. A023
    category: str
    service_name: str
    waiting_ahead: int
    issued_at: dt.datetime
    hall_name: str = ""
    qr_payload: str = ""


CALL_PHASES = ("idle", "waiting", "connecting", "connected", "reconnecting", "ended")


@dataclass(frozen=True)
class CallState:
    """Where a video-help call is, as the citizen must see it at every moment (the screen renders it)."""

    phase: str = "idle"  # one of CALL_PHASES
    position: int = 0  # in the help desk's queue while waiting (1 = next)
    estimated_wait_s: float = 0.0
    agent: str = ""  # the staff member's name once one accepted
    muted: bool = False
    video: bool = True  # False: audio only (camera missing or busy; the fault is in the panel's status)
    reason: str = ""  # why it ended (kiosk_hangup, agent_hangup, no_answer, lost, callback_booked, ...)
    callback_offered: bool = False  # the desk offers a call back (long wait, or nobody on duty) while waiting
    callback_target_at: float = 0.0  # once booked: the desk's target time for the call back (Unix seconds)


@dataclass(frozen=True)
class Picture:
    """One decoded video frame as packed RGB rows, top row first: what the screen blits, newest only."""

    seq: int
    width: int
    height: int
    rgb: bytes

    def mean(self) -> float:
        """Mean channel value (0..255): a black or missing picture is near 0."""
        return sum(self.rgb) / max(1, len(self.rgb))
