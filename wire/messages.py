"""What a kiosk publishes and answers: state, birth, health, events, command replies.

Times `at` are Unix seconds from the kiosk's wall clock. The kiosk fills
`session_seq` and `at` when it sends, so the parts that build a message
(health snapshot, controller) leave them at their defaults.
"""
from __future__ import annotations

import dataclasses
from typing import ClassVar

from wire import codec, topics
from wire.commands import REASONS
from wire.errors import WireError
from wire.schema import Message, as_is, check, known

# `starting` until the first fact; `disconnected` after a clean stop; `lost` is the broker's Last Will.
STATES = ("starting", "in_service", "degraded", "maintenance", "out_of_service", "disconnected", "lost")
MODES = ("home", "visit", "pin", "maintenance", "remote_maintenance", "out_of_service")
VISIT_RESULTS = ("completed", "cancelled", "failed", "timeout", "interrupted")


@dataclasses.dataclass(frozen=True)
class State(Message):
    state: str
    session_seq: int
    at: float
    CHOICES: ClassVar = {"state": STATES}


@dataclasses.dataclass(frozen=True)
class Birth(Message):
    """Sent retained on every connect; the Will carries the same session_seq, so a stale `lost` can be ignored."""
    kiosk_id: str
    boot_id: str
    session_seq: int
    versions: dict[str, str]
    commands: list[str]
    command_envelope: int
    commands_enabled: bool
    at: float
    # The device's identity card (设备身份证), kiosk.toml [identity]: name, model, hall, region, address,
    # maintainer, maintainer_phone, asset_number. Public facts, printed on the machine's own label.
    identity: dict[str, str] = dataclasses.field(default_factory=dict)
    # How often health is sent (seconds); 0 = not said. The console judges heartbeat age against it.
    health_interval_s: float = 0.0


# ------------------------------------------------------------------ health parts
@dataclasses.dataclass(frozen=True)
class DeviceHealth:
    state: str  # devices.status.State: ok, warning, fault, offline, unknown, ...
    reasons: list[str]  # paper_low, paper_out, cover_open, ...
    detail: str


@dataclasses.dataclass(frozen=True)
class ItemHealth:
    available: bool
    reasons: list[str]  # "<device role>:<reason>" for each device that keeps the item off


@dataclasses.dataclass(frozen=True)
class VisitCounts:
    """Since start: per item or printer, never per citizen."""
    sessions: int
    completions: dict[str, int]
    failures: dict[str, int]
    pages: dict[str, int]


@dataclasses.dataclass(frozen=True)
class JournalFlags:
    pseudonymous: bool  # false: no journal key is provisioned, so visits carry no citizen


@dataclasses.dataclass(frozen=True)
class CommandStats:
    enabled: bool
    accepted: int
    refused: dict[str, int]  # refusal reason -> count


@dataclasses.dataclass(frozen=True)
class LinkFlags:
    tls: bool
    insecure: bool  # a password sent without TLS (telemetry.insecure)


@dataclasses.dataclass(frozen=True)
class OutboxFigures:
    depth: int
    dropped: int


@dataclasses.dataclass(frozen=True)
class Health(Message):
    """Current facts only, so the console's colours resolve by themselves; no citizen in any of it."""
    state: str
    mode: str
    maintenance_pending: bool
    devices: dict[str, DeviceHealth]  # by role
    items: dict[str, ItemHealth]  # by item
    system: dict  # figures that may be missing: uptime, load, memory, disk, temperature, clock sync, ...
    versions: dict[str, str]
    counters: VisitCounts
    journal: JournalFlags
    commands: CommandStats = CommandStats(False, 0, {})
    telemetry: LinkFlags = LinkFlags(False, False)
    outbox: OutboxFigures = OutboxFigures(0, 0)
    session_seq: int = 0
    at: float = 0.0
    # The visit under way: {"item": flow id, "step": step id}, empty between visits. Never who the citizen is.
    visit: dict[str, str] = dataclasses.field(default_factory=dict)
    seq: int | None = None  # the kiosk's report number, see Event.seq
    CHOICES: ClassVar = {"state": STATES, "mode": MODES}

    def facts(self) -> dict:
        """What a change is judged by: everything but the figures that move by themselves and the stamps. A
        step is not a change worth a report of its own: the visit's start (mode) is, and steps ride along."""
        return {k: v for k, v in self.as_dict().items()
                if k not in ("system", "outbox", "session_seq", "at", "visit", "seq")}


@dataclasses.dataclass(frozen=True)
class Event(Message):
    """History, sent in order from the kiosk's outbox; one subclass per kind.

    `seq` (health has it too) numbers a kiosk's reports: it only grows, across restarts (kept in the
    outbox's database), so the back office stores each report once on (kiosk, seq) and never lets an older
    health overwrite a newer one. Kiosks from before it leave it out (None)."""
    KIND: ClassVar[str] = ""


@dataclasses.dataclass(frozen=True)
class Visit(Event):
    """A visit ended: the item, the outcome, what was printed; never who the citizen was."""
    flow: str
    result: str
    reason: str  # at most 80 characters, no personal data
    printed: dict[str, int]  # printer role -> pages
    tickets: int
    session_seq: int = 0
    at: float = 0.0
    seq: int | None = None
    KIND: ClassVar = "visit"
    CONST: ClassVar = {"kind": "visit"}
    CHOICES: ClassVar = {"result": VISIT_RESULTS}

    def __post_init__(self):
        object.__setattr__(self, "reason", self.reason[:80])


@dataclasses.dataclass(frozen=True)
class DeviceChange(Event):
    device: str
    state: str
    reasons: list[str]
    changes: dict[str, str | list]
    session_seq: int = 0
    at: float = 0.0
    seq: int | None = None
    KIND: ClassVar = "device"
    CONST: ClassVar = {"kind": "device"}


ENDINGS = ("completed", "cancelled", "failed", "timeout")  # how a visit ended, as the citizen was told


@dataclasses.dataclass(frozen=True)
class Rating(Event):
    """A citizen's rating (好差评) after a visit: the item, how it ended, the level and the reasons; never who."""
    flow: str
    result: str
    level: int  # 1 (very dissatisfied) to 5 (very satisfied); 0 when none was given (skipped, walked away)
    reasons: list[str]  # codes of the kiosk's [aftercare] low_reasons, for a low level
    session_seq: int = 0
    at: float = 0.0
    seq: int | None = None
    KIND: ClassVar = "rating"
    CONST: ClassVar = {"kind": "rating"}
    CHOICES: ClassVar = {"result": ENDINGS, "level": (0, 1, 2, 3, 4, 5)}


@dataclasses.dataclass(frozen=True, repr=False)
class CallbackRequest(Event):
    """A citizen at a dead end asks staff to call back: the item, where and why it stopped, and a phone number.

    `phone` is the one personal field the wire contract carries (docs/operations.md, Personal data on the
    wire): it travels only in this event, over the TLS link, is kept in the kiosk's outbox (0600, erased on
    delivery) until the broker has it, and is never logged; `repr` masks it.
    """
    flow: str
    step: str
    reason: str
    locale: str
    phone: str
    session_seq: int = 0
    at: float = 0.0
    seq: int | None = None
    KIND: ClassVar = "callback_request"
    CONST: ClassVar = {"kind": "callback_request"}

    def __repr__(self) -> str:
        masked = self.phone[:3] + "****" + self.phone[-4:] if len(self.phone) >= 8 else "***"
        return f"CallbackRequest(flow={self.flow!r}, step={self.step!r}, reason={self.reason!r}, phone={masked})"

    __str__ = __repr__


EVENTS: dict[str, type[Event]] = {cls.KIND: cls for cls in (Visit, DeviceChange, Rating, CallbackRequest)}


def decode_event(raw: bytes | str | dict) -> Event:
    body = raw if isinstance(raw, dict) else codec.load_object(raw)
    return _event_class(body).decode(body)


def _event_class(body: dict) -> type[Event]:
    cls = EVENTS.get(body.get("kind")) if isinstance(body.get("kind"), str) else None
    if cls is None:
        raise WireError("kind", f"must be one of {', '.join(EVENTS)}")
    return cls


# ------------------------------------------------------------- command replies
@dataclasses.dataclass(frozen=True)
class Result(Message):
    """The command ran; `result` is the command's own answer (docs/operations.md, Commands)."""
    id: str | None
    result: dict
    CONST: ClassVar = {"ok": True}


@dataclasses.dataclass(frozen=True)
class Refused(Message):
    """The command was refused before it ran; `refused` says which check failed."""
    id: str | None
    refused: str
    error: str
    CONST: ClassVar = {"ok": False}
    CHOICES: ClassVar = {"refused": REASONS}


@dataclasses.dataclass(frozen=True)
class Failed(Message):
    """The command was admitted and failed (a bad argument, a handler error)."""
    id: str | None
    error: str
    CONST: ClassVar = {"ok": False}

    def __post_init__(self):
        object.__setattr__(self, "error", self.error[:200])


REPLIES = (Result, Refused, Failed)
ON_TOPIC = {topics.STATE: (State,), topics.BIRTH: (Birth,), topics.HEALTH: (Health,),
            topics.EVENTS: tuple(EVENTS.values()), topics.CMD: (), topics.CMD_RESP: REPLIES}  # cmd: wire.signing


def decode_reply(raw: bytes | str | dict) -> Result | Refused | Failed:
    body = raw if isinstance(raw, dict) else codec.load_object(raw)
    return _reply_class(body).decode(body)


def _reply_class(body: dict) -> type[Message]:
    if body.get("ok") is True:
        return Result
    if body.get("ok") is not False:
        raise WireError("ok", "must be true or false")
    return Refused if "refused" in body else Failed


def decode(topic: topics.Topic, raw: bytes | str) -> Message:
    """What a kiosk published on `topic` (see topics.parse_topic), as the back office reads it."""
    if topic is topics.EVENTS:
        return decode_event(raw)
    if topic is topics.CMD_RESP:
        return decode_reply(raw)
    if topic is topics.CMD:
        raise WireError("topic", "commands are read and verified with wire.signing")
    (cls,) = ON_TOPIC[topic]
    return cls.decode(raw)


def read(topic: topics.Topic, raw: bytes | str) -> tuple[type[Message], dict]:
    """What decode checks, without building it: the message's class and its body, cut to the fields that
    class declares. The back office stores bodies as they are, and building dataclasses only to turn them
    back into dicts would cost most of a worker's time at fleet scale."""
    cls, body, _ = read_whole(topic, raw)
    return cls, body


def read_whole(topic: topics.Topic, raw: bytes | str) -> tuple[type[Message], dict, bool]:
    """As read, and whether the body is all of the payload (nothing cut): then the payload is that body's
    JSON as sent, which a store can keep as it is instead of encoding the body again."""
    if topic is topics.CMD:
        raise WireError("topic", "commands are read and verified with wire.signing")
    body = codec.load_object(raw)
    if topic is topics.EVENTS:
        cls = _event_class(body)
    elif topic is topics.CMD_RESP:
        cls = _reply_class(body)
    else:
        (cls,) = ON_TOPIC[topic]
    keep = _KEEP.get(cls) or _KEEP.setdefault(cls, ("v", *cls.CONST))
    if as_is(cls, body, keep):
        return cls, body, True
    check(cls, body)
    kept = known(cls, body, keep)
    return cls, kept, kept is body


_KEEP: dict[type, tuple[str, ...]] = {}
