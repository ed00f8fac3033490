"""No dead end (办不成事): the ways on after a failure, and which of them this kiosk can offer now.

Always in the same order, so a citizen (and a help-desk agent reading the
mirror) knows where to look: video help, a referral slip for the staffed
counter, a call-back, the hotline. What is not on offer stays on the
screen, greyed, with the reason ("人工窗口 8:30–17:30 开放，现已关闭"):
a missing button would leave the citizen wondering whether it exists.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from kiosk.engine import ending_texts as words
from kiosk.engine.aftercare_policy import AftercarePolicy

ORDER = ("video_help", "referral", "callback", "hotline")


@dataclass(frozen=True)
class Offer:
    id: str  # video_help, referral, callback, hotline
    available: bool
    with_ticket: bool = False  # a referral that also takes a queue number (a dispenser is fitted and working)
    note: tuple[str, dict] | None = None  # (text key, its values): why it is not on offer, or a remark

    def label(self, locale: str, policy: AftercarePolicy) -> str:
        key = "offer:referral_ticket" if self.with_ticket else f"offer:{self.id}"
        return words.text(key, locale, hotline=policy.hotline)

    def note_text(self, locale: str) -> str:
        return words.text(self.note[0], locale, **self.note[1]) if self.note else ""


def _usable(statuses: Mapping[str, object], role: str) -> bool:
    status = statuses.get(role)
    return status is not None and bool(getattr(status, "usable", False))


def dead_end_offers(policy: AftercarePolicy, statuses: Mapping[str, object], now: dt.datetime,
                    link: bool) -> tuple[Offer, ...]:
    """What a failure ending offers now: by the hour (the counter's), the devices, and the fleet link.

    `statuses` maps device roles to devices.status.Status (a role that is not fitted is absent);
    `link` says whether call-back requests can reach the back office (fleet reporting is configured).
    """
    help_ok = _usable(statuses, "help_panel")
    video = Offer("video_help", help_ok, note=None if help_ok else ("note:help_unavailable", {}))
    counter = policy.counter
    if not counter.open_at(now):
        note = ("note:counter_closed", {"start": counter.start, "end": counter.end}) if counter.open_today(now) \
            else ("note:counter_days", {})
        referral = Offer("referral", False, note=note)
    elif not _usable(statuses, "receipt_printer"):
        referral = Offer("referral", False, note=("note:printer_unavailable", {}))
    else:
        ticket = _usable(statuses, "ticket_dispenser")
        referral = Offer("referral", True, with_ticket=ticket, note=None if ticket else ("note:no_ticket", {}))
    callback = Offer("callback", link, note=None if link else ("note:callback_unavailable", {}))
    hotline = Offer("hotline", True, note=("note:hotline_always", {}))
    return (video, referral, callback, hotline)
