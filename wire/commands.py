"""The commands a back office may send, their arguments, and the reasons a kiosk refuses one.

Signed is not the same as sensible: the arguments of an admitted command
are held to the schema here before any handler sees them.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import ClassVar

from wire.errors import WireError
from wire.schema import build, check_fields

PING = "ping"
RESTART = "restart"
RELOAD_FLOWS = "reload_flows"
MAINTENANCE_ON = "maintenance_on"
MAINTENANCE_OFF = "maintenance_off"


@dataclass(frozen=True)
class Arg:
    name: str
    type: type
    doc: str


# What each command answers (the `result` of a Result reply), one class per command.
@dataclass(frozen=True)
class Pong:
    pong: bool
    state: str


@dataclass(frozen=True)
class Restarting:
    restarting: bool
    after_visit: bool  # true: the kiosk restarts when the citizen's visit ends


@dataclass(frozen=True)
class Reloaded:
    reloaded: bool  # false: the new bundle had problems and the running one was kept
    flows: int


@dataclass(frozen=True)
class MaintenanceStarted:
    maintenance: str
    mode: str
    ends_after_s: float
    CHOICES: ClassVar = {"maintenance": ("started", "renewed", "pending")}


@dataclass(frozen=True)
class MaintenanceLeft:
    maintenance: str
    mode: str
    CHOICES: ClassVar = {"maintenance": ("left", "cancelled", "not_in_maintenance")}


@dataclass(frozen=True)
class Spec:
    name: str
    result: type
    args: tuple[Arg, ...] = ()

    def encode_result(self, result) -> dict:
        """A handler's answer as the `result` object, held to this command's result type."""
        if type(result) is not self.result:
            raise TypeError(f"{self.name} answers {self.result.__name__}, not {type(result).__name__}")
        return dataclasses.asdict(result)

    def decode_result(self, body: dict):
        """A Result reply's `result` for this command, as the back office reads it (unknown fields ignored)."""
        if not isinstance(body, dict):
            raise WireError("result", "must be an object")
        check_fields(self.result, body, "result.")
        return build(self.result, body)

    def check(self, args: dict) -> dict:
        """`args` as given, if every one is known and of its type (all are optional); else a located WireError."""
        known = {a.name: a for a in self.args}
        for key in sorted(args):
            if key not in known:
                raise WireError(f"args.{key[:32]}", f"unknown argument {key[:32]!r}")
            want = known[key].type
            if type(args[key]) is not want:
                raise WireError(f"args.{key}", f"{key} must be " + ("true or false" if want is bool else want.__name__))
        return dict(args)


FORCE = Arg("force", bool, "end a citizen's visit now (journalled as interrupted) instead of waiting for it")
SPECS = {s.name: s for s in (Spec(PING, Pong), Spec(RESTART, Restarting, (FORCE,)), Spec(RELOAD_FLOWS, Reloaded),
                              Spec(MAINTENANCE_ON, MaintenanceStarted, (FORCE,)),
                              Spec(MAINTENANCE_OFF, MaintenanceLeft))}
NAMES = tuple(SPECS)

# Why a command was refused before it ran, in the order the kiosk checks (answered as `refused`).
REASONS = ("malformed", "retained", "disabled", "unsigned", "bad_signature", "wrong_kiosk", "lifetime_too_long",
           "expired", "not_yet_valid", "replayed", "rate_limited", "unknown_command")


def check_args(name: str, args: dict) -> dict:
    spec = SPECS.get(name)
    if spec is None:
        raise WireError("cmd", f"unknown command; known: {', '.join(NAMES)}", reason="unknown_command")
    return spec.check(args)
