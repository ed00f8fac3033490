"""What happens after a visit, per kiosk: kiosk.toml [aftercare].

The rating (好差评) and the way out of a dead end (办不成事) depend on the
hall: when its staffed counter is open, which queue category a referral
takes, which reasons a low rating may give, the hotline's number.
"""
from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

HHMM = Annotated[str, StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LowReason(Strict):
    id: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,31}$")] = Field(
        description="Sent to the back office as is: a short code, never free text.")
    zh_CN: str = Field(alias="zh-CN", min_length=1, max_length=20)
    en: str = Field(min_length=1, max_length=40)

    def label(self, locale: str) -> str:
        return self.en if locale == "en" else self.zh_CN


def _default_reasons() -> list[LowReason]:
    rows = (("slow", "等待时间长", "Too slow"), ("unclear", "操作说明不清楚", "Instructions unclear"),
            ("device", "设备故障", "Device problem"), ("not_done", "事情没有办成", "Could not get it done"),
            ("attitude", "服务不满意", "Poor service"))
    return [LowReason(id=i, **{"zh-CN": zh}, en=en) for i, zh, en in rows]


class CounterHours(Strict):
    """The staffed counter's hours: a referral slip is offered only while someone is there to take it."""
    days: list[str] = Field(default_factory=lambda: list(DAYS[:5]), description="Days it is open: mon..sun.")
    start: HHMM = "08:30"
    end: HHMM = "17:30"

    @model_validator(mode="after")
    def _sane(self):
        bad = [d for d in self.days if d not in DAYS]
        if bad:
            raise ValueError(f"unknown day {bad[0]!r}; use {', '.join(DAYS)}")
        if self.start >= self.end:
            raise ValueError("start must be before end")
        return self

    def open_at(self, now: dt.datetime) -> bool:
        return DAYS[now.weekday()] in self.days and self.start <= now.strftime("%H:%M") < self.end

    def open_today(self, now: dt.datetime) -> bool:
        return DAYS[now.weekday()] in self.days


class AftercarePolicy(Strict):
    rating: bool = Field(default=True, description="Ask for a rating (好差评) after every visit.")
    rating_timeout_s: float = Field(default=30, ge=10, le=300, description="The rating screen's own limit; "
                                    "longer in elderly mode. When it runs out the visit counts as not rated.")
    ending_timeout_s: float = Field(default=90, ge=20, le=600, description="How long a failure ending with its "
                                    "ways out (and the call-back form) waits for a tap.")
    low_level: int = Field(default=2, ge=1, le=4, description="Ratings at or below this level ask for reasons.")
    low_reasons: list[LowReason] = Field(default_factory=_default_reasons, max_length=8,
                                         description="The reasons a low rating may give, in order.")
    counter: CounterHours = Field(default_factory=CounterHours)
    counter_category: Annotated[str, StringConstraints(pattern=r"^[A-Z]$")] = Field(
        default="A", description="Queue category a referral's ticket is taken in, where a dispenser is fitted.")
    hotline: str = Field(default="12345", max_length=20, description="The government service hotline.")
