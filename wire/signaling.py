"""Room for the video help desk's call signaling: the versioned envelope, and no message kinds yet.

The help desk issue defines the kinds (and whatever topic carries them);
until then every signal is refused as an unknown kind, so nothing can be
smuggled through an envelope no one has specified. The envelope mirrors the
other messages: a version, the call it belongs to, a kind, a body.
"""
from __future__ import annotations

import dataclasses

from wire.errors import WireError
from wire.schema import Message

KINDS: tuple[str, ...] = ()  # the help desk adds its message kinds here, each with a schema for `body`


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
            raise WireError("kind", "no call-signaling kind is defined in this contract version")
        return signal


