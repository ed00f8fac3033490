"""The commands a back office may send, their arguments, and the reasons a kiosk refuses one.

Signed is not the same as sensible: the arguments of an admitted command
are held to the schema here before any handler sees them.
"""
from __future__ import annotations

from dataclasses import dataclass

from wire.errors import WireError

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


@dataclass(frozen=True)
class Spec:
    name: str
    args: tuple[Arg, ...] = ()

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
SPECS = {s.name: s for s in (Spec(PING), Spec(RESTART, (FORCE,)), Spec(RELOAD_FLOWS),
                              Spec(MAINTENANCE_ON, (FORCE,)), Spec(MAINTENANCE_OFF))}
NAMES = tuple(SPECS)

# Why a command was refused before it ran, in the order the kiosk checks (answered as `refused`).
REASONS = ("malformed", "retained", "disabled", "unsigned", "bad_signature", "wrong_kiosk", "lifetime_too_long",
           "expired", "not_yet_valid", "replayed", "rate_limited", "unknown_command")


def check_args(name: str, args: dict) -> dict:
    spec = SPECS.get(name)
    if spec is None:
        raise WireError("cmd", f"unknown command; known: {', '.join(NAMES)}", reason="unknown_command")
    return spec.check(args)
