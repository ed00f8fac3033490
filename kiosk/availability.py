"""Whether an item can be offered now: its service hours and its required devices.

The home screen shows an unavailable item with the reason instead of letting
a citizen start it and fail half-way (paper out after the ID card was read).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from devices.status import Status
from kiosk.flow import model

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Availability:
    available: bool
    closed: bool = False
    devices: dict[str, tuple[str, ...]] = field(default_factory=dict)  # role -> reasons, for roles that are not usable

    def reasons(self) -> list[str]:
        out = ["closed"] if self.closed else []
        out += [f"{role}:{','.join(r) or 'not_configured'}" for role, r in sorted(self.devices.items())]
        return out


def open_now(flow: model.Flow, now: dt.datetime) -> bool:
    day, hhmm = DAYS[now.weekday()], now.strftime("%H:%M")
    return any(day in w.days and w.start <= hhmm < w.end for w in flow.hours)


def availability(flow: model.Flow, statuses: Mapping[str, Status | None], now: dt.datetime) -> Availability:
    blocked: dict[str, tuple[str, ...]] = {}
    for role in flow.requires:
        status = statuses.get(str(role))
        if status is None or not status.usable:
            blocked[str(role)] = tuple(sorted(str(r) for r in status.reasons)) if status else ()
    closed = not open_now(flow, now)
    return Availability(not closed and not blocked, closed, blocked)
