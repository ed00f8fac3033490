"""Call signaling for video help: one versioned envelope over a WebSocket, a typed body per kind.

Three parties speak it: the kiosk (`/ws/kiosk`), the help desk server, and
a staff member's page (`/ws/agent`). Each direction has its own table of
kinds (KIOSK_SENDS, TO_KIOSK, AGENT_SENDS, TO_AGENT), so a kiosk cannot send
what only an agent may (`call.accept`), and a kind nobody defined is
refused rather than relayed. Strings are bounded (an SDP is a few kB, a
label a line), lists and maps are bounded, so a hostile peer cannot make the
server hold or relay megabytes. The envelope is the stub's: a version, the
call it belongs to ("" before there is one), a kind, a body, a time.

`context` carries what the citizen sees, masked ON THE KIOSK before it is
sent; the server adds a belt to those braces: a value with a long run of
digits (an ID number, a phone number in clear) is refused, never relayed.
"""
from __future__ import annotations

import dataclasses
import re
import typing
from typing import ClassVar

from wire.errors import WireError
from wire.schema import Message, check_fields

TEXT_MAX = 200  # a label, a name, an item id: one line on a screen
SDP_MAX = 16_000  # an aiortc offer with audio, video, a data channel and all its candidates is ~4-6 kB
CANDIDATE_MAX = 512
NOTE_MAX = 1000
ITEMS_MAX = 40  # entries in any list or map: step texts, masked values, ICE servers, a queue snapshot
SKILLS = ("general", "social_security", "real_estate", "medical_insurance", "housing_fund", "police")
AGENT_STATES = ("available", "not_ready", "wrap_up")  # what an agent may choose
AGENT_STATUSES = ("offline", "available", "ringing", "on_call", "wrap_up", "not_ready")  # what the server says
END_REASONS = ("kiosk_hangup", "agent_hangup", "cancelled", "callback_booked", "no_answer", "transferred",
               "lost", "refused")
OUTCOMES = ("resolved", "not_resolved", "redirected_to_counter", "callback_needed", "citizen_left", "other")
ERRORS = ("malformed", "unauthorized", "not_allowed", "unknown_call", "busy")
PHONE = re.compile(r"^\+?[0-9][0-9 -]{4,22}[0-9]$")
UNMASKED = re.compile(r"[0-9]{11,}")  # 11 digits: a mobile number; 15/18: an ID number. Masks break the run.


@dataclasses.dataclass(frozen=True)
class Body:
    """A kind's body. LIMITS: field -> the longest string it may hold (others: TEXT_MAX)."""
    KIND: ClassVar[str] = ""
    LIMITS: ClassVar[dict[str, int]] = {}
    CHOICES: ClassVar[dict[str, tuple]] = {}

    def validate(self) -> None:
        """Rules beyond types: bounds (every kind), and a kind's own checks (overridden)."""
        for f in dataclasses.fields(self):
            _bounded(f.name, getattr(self, f.name), self.LIMITS.get(f.name, TEXT_MAX))


def _bounded(at: str, value, limit: int) -> None:
    if isinstance(value, str):
        if len(value) > limit:
            raise WireError(at, f"longer than {limit} characters")
    elif isinstance(value, (list, tuple)):
        if len(value) > ITEMS_MAX:
            raise WireError(at, f"more than {ITEMS_MAX} entries")
        for i, item in enumerate(value):
            _bounded(f"{at}[{i}]", item, limit)
    elif isinstance(value, dict):
        if len(value) > ITEMS_MAX:
            raise WireError(at, f"more than {ITEMS_MAX} entries")
        for key, item in value.items():
            _bounded(f"{at}.{str(key)[:40]}", key, TEXT_MAX)
            _bounded(f"{at}.{str(key)[:40]}", item, limit)
    elif dataclasses.is_dataclass(value):
        for f in dataclasses.fields(value):
            _bounded(f"{at}.{f.name}", getattr(value, f.name), limit)


# ------------------------------------------------------------------ both ways
@dataclasses.dataclass(frozen=True)
class IceCandidate(Body):
    """A trickled candidate (the browser trickles; aiortc puts all of its own in the offer)."""
    candidate: str
    sdp_mid: str | None = None
    sdp_mline_index: int | None = None
    KIND: ClassVar = "ice.candidate"
    LIMITS: ClassVar = {"candidate": CANDIDATE_MAX}


@dataclasses.dataclass(frozen=True)
class Quality(Body):
    """A WebRTC quality sample a peer reports (getStats every few seconds): what the metrics are made of."""
    rtt_ms: float
    loss: float  # fraction of packets lost, 0..1
    fps: float
    KIND: ClassVar = "call.quality"

    def validate(self) -> None:
        for name, top in (("rtt_ms", 60_000), ("loss", 1), ("fps", 240)):
            if not 0 <= getattr(self, name) <= top:
                raise WireError(name, f"must be between 0 and {top}")


@dataclasses.dataclass(frozen=True)
class Hangup(Body):
    KIND: ClassVar = "call.hangup"


@dataclasses.dataclass(frozen=True)
class Error(Body):
    """The server's answer to a message it refused; the connection stays open unless `code` is unauthorized."""
    code: str
    detail: str
    CHOICES: ClassVar = {"code": ERRORS}
    KIND: ClassVar = "error"


# ------------------------------------------------------------- kiosk -> server
@dataclasses.dataclass(frozen=True)
class Hello(Body):
    """First message on /ws/kiosk: the kiosk's fleet id and its help-desk credential (docs/operations.md)."""
    kiosk_id: str
    credential: str
    capabilities: list[str] = dataclasses.field(default_factory=list)  # audio, video, ...
    KIND: ClassVar = "hello"

    def validate(self) -> None:
        super().validate()
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,32}", self.kiosk_id):
            raise WireError("kiosk_id", "must match [A-Za-z0-9_-]{1,32}")


@dataclasses.dataclass(frozen=True)
class HelpRequest(Body):
    """The citizen pressed 视频求助: the item and step they are on (ids, never their data), language, skill."""
    item: str
    step: str
    locale: str
    skill: str = "general"
    KIND: ClassVar = "help.request"
    CHOICES: ClassVar = {"skill": SKILLS}


@dataclasses.dataclass(frozen=True)
class HelpCancel(Body):
    KIND: ClassVar = "help.cancel"


@dataclasses.dataclass(frozen=True)
class CallbackRequest(Body):
    """The one personal field on this wire: sent over TLS, stored encrypted, never logged (operations.md)."""
    phone: str
    KIND: ClassVar = "callback.request"

    def validate(self) -> None:
        if not PHONE.fullmatch(self.phone):
            raise WireError("phone", "must be a telephone number (digits, spaces, dashes, an optional +)")


@dataclasses.dataclass(frozen=True)
class SdpOffer(Body):
    """The kiosk always offers, with every candidate in it (aiortc does not trickle)."""
    sdp: str
    KIND: ClassVar = "sdp.offer"
    LIMITS: ClassVar = {"sdp": SDP_MAX}


@dataclasses.dataclass(frozen=True)
class CallResume(Body):
    """After a network drop: the same call with a new peer connection, proved by the token from call.assigned."""
    resume_token: str
    KIND: ClassVar = "call.resume"


@dataclasses.dataclass(frozen=True)
class Context(Body):
    """What the citizen sees: item, step, the step's texts, the values on screen exactly as masked on the kiosk."""
    item: str
    step: str
    texts: list[str]
    values: dict[str, str]
    KIND: ClassVar = "context"
    LIMITS: ClassVar = {"texts": 500}

    def validate(self) -> None:
        super().validate()
        for key, value in self.values.items():
            if UNMASKED.search(value.replace(" ", "").replace("-", "")):
                raise WireError(f"values.{key[:40]}", "looks unmasked (a long run of digits): mask on the kiosk")


# ------------------------------------------------------------- server -> kiosk
@dataclasses.dataclass(frozen=True)
class Welcome(Body):
    """The answer to hello (and, on /ws/agent, to the connection): who the server thinks you are."""
    name: str
    skills: list[str]
    KIND: ClassVar = "welcome"


@dataclasses.dataclass(frozen=True)
class QueueUpdate(Body):
    position: int  # 1 = next
    estimated_wait_s: float
    agents_on_duty: int
    callback_offered: bool
    KIND: ClassVar = "queue.update"


@dataclasses.dataclass(frozen=True)
class IceServer:
    urls: list[str]
    username: str = ""
    credential: str = ""


@dataclasses.dataclass(frozen=True)
class CallAssigned(Body):
    """An agent accepted: who, which ICE servers (TURN with time-limited credentials), and the resume token."""
    agent_name: str
    ice_servers: list[IceServer]
    resume_token: str
    KIND: ClassVar = "call.assigned"


@dataclasses.dataclass(frozen=True)
class SdpAnswer(Body):
    sdp: str
    KIND: ClassVar = "sdp.answer"
    LIMITS: ClassVar = {"sdp": SDP_MAX}


@dataclasses.dataclass(frozen=True)
class CallTransferring(Body):
    """The agent handed the call on: the kiosk waits again (queue.update follows), its visit untouched."""
    KIND: ClassVar = "call.transferring"


@dataclasses.dataclass(frozen=True)
class CallbackBooked(Body):
    """A callback.request became a task: the time by which staff aim to call (Unix seconds)."""
    target_at: float
    KIND: ClassVar = "callback.booked"


@dataclasses.dataclass(frozen=True)
class CallEnded(Body):
    reason: str
    KIND: ClassVar = "call.ended"
    CHOICES: ClassVar = {"reason": END_REASONS}


# ------------------------------------------------------------- agent -> server
@dataclasses.dataclass(frozen=True)
class AgentState(Body):
    state: str
    reason: str = ""
    KIND: ClassVar = "agent.state"
    CHOICES: ClassVar = {"state": AGENT_STATES}


@dataclasses.dataclass(frozen=True)
class CallAccept(Body):
    KIND: ClassVar = "call.accept"


@dataclasses.dataclass(frozen=True)
class CallReject(Body):
    KIND: ClassVar = "call.reject"


@dataclasses.dataclass(frozen=True)
class CallTransfer(Body):
    """Cold transfer: to one agent by name, or to a skill's queue (exactly one), with a note for the next."""
    to_agent: str = ""
    to_skill: str = ""
    note: str = ""
    KIND: ClassVar = "call.transfer"
    LIMITS: ClassVar = {"note": NOTE_MAX}

    def validate(self) -> None:
        super().validate()
        if bool(self.to_agent) == bool(self.to_skill):
            raise WireError("to_agent", "give exactly one of to_agent and to_skill")
        if self.to_skill and self.to_skill not in SKILLS:
            raise WireError("to_skill", f"must be one of {', '.join(SKILLS)}")


@dataclasses.dataclass(frozen=True)
class WrapupDone(Body):
    outcome: str
    note: str = ""
    KIND: ClassVar = "wrapup.done"
    CHOICES: ClassVar = {"outcome": OUTCOMES}
    LIMITS: ClassVar = {"note": NOTE_MAX}


# ------------------------------------------------------------- server -> agent
@dataclasses.dataclass(frozen=True)
class AgentStatus(Body):
    """The agent's state as the server holds it (ringing and on_call are set by the server, not chosen)."""
    state: str
    KIND: ClassVar = "agent.state"
    CHOICES: ClassVar = {"state": AGENT_STATUSES}


@dataclasses.dataclass(frozen=True)
class CallRing(Body):
    kiosk_id: str
    kiosk_name: str
    item: str
    skill: str
    waited_s: float
    ring_timeout_s: float
    note: str = ""  # from the agent who transferred it
    KIND: ClassVar = "call.ring"
    LIMITS: ClassVar = {"note": NOTE_MAX}


@dataclasses.dataclass(frozen=True)
class OfferToAgent(Body):
    """The kiosk's offer, relayed, with the ICE servers the agent's browser must use."""
    sdp: str
    ice_servers: list[IceServer]
    KIND: ClassVar = "sdp.offer"
    LIMITS: ClassVar = {"sdp": SDP_MAX}


@dataclasses.dataclass(frozen=True)
class AgentContext(Body):
    """The kiosk's context as relayed: its identity card (public, from its birth message) beside it."""
    kiosk_id: str
    identity: dict[str, str]
    item: str
    step: str
    texts: list[str]
    values: dict[str, str]
    KIND: ClassVar = "context"
    LIMITS: ClassVar = {"texts": 500}


@dataclasses.dataclass(frozen=True)
class QueuedCall:
    call_id: str
    kiosk_id: str
    item: str
    skill: str
    state: str  # waiting, ringing, connected, wrap_up
    waited_s: float
    agent: str = ""


@dataclasses.dataclass(frozen=True)
class AgentRow:
    name: str
    state: str
    idle_s: float


@dataclasses.dataclass(frozen=True)
class QueueSnapshot(Body):
    calls: list[QueuedCall]
    agents: list[AgentRow]
    KIND: ClassVar = "queue.snapshot"


def _table(*classes: type[Body]) -> dict[str, type[Body]]:
    return {cls.KIND: cls for cls in classes}


KIOSK_SENDS = _table(Hello, HelpRequest, HelpCancel, CallbackRequest, SdpOffer, IceCandidate, Hangup, CallResume,
                     Context, Quality)
TO_KIOSK = _table(Welcome, QueueUpdate, CallAssigned, SdpAnswer, IceCandidate, CallTransferring, CallbackBooked,
                  CallEnded, Error)
AGENT_SENDS = _table(AgentState, CallAccept, CallReject, CallTransfer, Hangup, WrapupDone, SdpAnswer, IceCandidate,
                     Quality)
TO_AGENT = _table(Welcome, AgentStatus, CallRing, OfferToAgent, IceCandidate, AgentContext, QueueSnapshot, CallEnded,
                  Error)
DIRECTIONS = {"kiosk → server": KIOSK_SENDS, "server → kiosk": TO_KIOSK, "agent → server": AGENT_SENDS,
              "server → agent": TO_AGENT}
KINDS: tuple[str, ...] = tuple(dict.fromkeys(k for table in DIRECTIONS.values() for k in table))
FRAME_MAX = 24_000  # bytes of one WebSocket frame: an SDP at its bound plus the envelope


@dataclasses.dataclass(frozen=True)
class Signal(Message):
    call_id: str
    kind: str
    body: dict
    at: float

    @classmethod
    def decode(cls, raw):
        signal = super().decode(raw)
        if signal.kind not in KINDS:
            raise WireError("kind", f"unknown kind {signal.kind[:40]!r}")
        if len(signal.call_id) > 64:
            raise WireError("call_id", "longer than 64 characters")
        return signal


def read(raw: bytes | str, table: dict[str, type[Body]]) -> tuple[Signal, Body]:
    """An untrusted frame as the envelope and its typed, checked body; `table` is what this sender may send."""
    if len(raw) > FRAME_MAX:
        raise WireError("", f"frame larger than {FRAME_MAX} bytes")
    signal = Signal.decode(raw)
    cls = table.get(signal.kind)
    if cls is None:
        raise WireError("kind", f"{signal.kind!r} is not sent in this direction")
    return signal, body_of(cls, signal.body)


def body_of(cls: type[Body], body: dict) -> Body:
    check_fields(cls, body, "body.")
    hints = typing.get_type_hints(cls)
    values = {}
    for f in dataclasses.fields(cls):
        if f.name in body:
            values[f.name] = _build(hints[f.name], body[f.name])
    made = cls(**values)
    try:
        made.validate()
    except WireError as err:
        raise WireError(f"body.{err.at}", err.detail) from None
    return made


def _build(kind, value):
    args = typing.get_args(kind)
    if dataclasses.is_dataclass(kind):
        return kind(**{f.name: value[f.name] for f in dataclasses.fields(kind) if f.name in value})
    if typing.get_origin(kind) is list and args and dataclasses.is_dataclass(args[0]):
        return [_build(args[0], v) for v in value]
    return value


def make(call_id: str, body: Body, at: float) -> str:
    """One frame, checked as its receiver will check it: a side never sends what the other would refuse."""
    body.validate()
    frame = Signal(call_id, body.KIND, dataclasses.asdict(body), at)
    return frame.encode()


def fields(cls: type[Body]) -> list[str]:
    """A body's fields in order: what docs/operations.md lists for the kind."""
    return [f.name for f in dataclasses.fields(cls)]
