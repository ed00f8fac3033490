"""When rules are judged: on every report ingest stores (the kiosk's new facts, at once) and on a timer (the
heartbeat's age, which no report announces, and a full reconcile of every kiosk against the database).

The report path must keep up with ingest, so it compares the rules that hold with a cache of the kiosk's
active alerts and touches the database only when they differ. Several workers each hold a cache; the
timer's reconcile reloads it from the database, so a worker that missed another's change catches up within
one interval. Raising is suppressed in maintenance (a window, or a technician at the machine); clearing never is.
"""
from __future__ import annotations

import dataclasses
import threading
import time
from typing import Callable

import structlog

from backoffice.alerts import rules
from backoffice.alerts.rules import CONDITIONS, Facts
from backoffice.alerts.store import AlertStore
from wire import messages

log = structlog.get_logger("backoffice.alerts")

# notify(event, alert) -> whether a notification was sent for it ("raised" or "cleared")
Notify = Callable[[str, dict], bool]


class Evaluator:
    def __init__(self, store: AlertStore, cfg, notify: Notify, clock: Callable[[], float] = time.time):
        self.store, self.cfg, self.notify, self.clock = store, cfg, notify, clock
        self._lock = threading.Lock()
        self._active: dict[str, set[str]] | None = None  # kiosk -> rules with an active alert
        self._heard: dict[str, float] = {}  # kiosk -> clock() of its last report, for the sweep's snapshot
        # Since when ingest has been connected (None: it is not). Silence from before that is the back
        # office's own deafness, not the kiosk's: the fleet is not declared offline after a broker outage.
        self.online_since: float | None = 0.0

    # ingest's store thread -------------------------------------------------------------------------------
    def on_report(self, kiosk_id: str, msg: messages.Message) -> None:
        if not self.cfg.enabled:
            return
        now = self.clock()
        if isinstance(msg, messages.Birth):
            self._birth(kiosk_id, msg, now)
        elif isinstance(msg, messages.Health):
            # The report itself is the newest fact; the row gives only hall and region, read when raising.
            self._judge(Facts(kiosk_id, None, None, msg.state, _view(msg), now), now, from_report=True)
        elif isinstance(msg, messages.State):
            for facts in self.store.facts(kiosk_id):
                self._judge(facts, now, from_report=True)

    def forget(self, kiosk_id: str, rule: str) -> None:
        """An operator acknowledged an event alert: the next one for this kiosk and rule may be raised."""
        with self._lock:
            if self._active is not None:
                self._active.get(kiosk_id, set()).discard(rule)

    # the timer (a worker thread) ---------------------------------------------------------------------------
    def sweep(self, full: bool = True) -> None:
        """Judge every kiosk from the database. A light sweep reads the few columns the heartbeat's age needs
        (offline only: 10,000 kiosks in some 0.3 s); a full one reads every kiosk's health too (some 1.8 s)
        and reconciles all rules with what other workers saw and with windows that have ended."""
        if not self.cfg.enabled:
            return
        started = self.clock()
        active = self.store.active()
        snapshot = self.store.facts(with_health=full)
        with self._lock:
            self._active = active
        only = None if full else {"offline"}
        for facts in snapshot:
            if self._heard.get(facts.kiosk_id, 0) >= started:
                continue  # a report came after the snapshot and was judged on newer facts than these
            self._judge(facts, self.clock(), from_report=False, only=only)
        self.store.prune_births(started - self.cfg.restart_loop_minutes * 60)
        self.store.prune(started - self.cfg.keep_days * 86400)

    # -------------------------------------------------------------------------------------------------------
    def _judge(self, facts: Facts, now: float, *, from_report: bool, only: set[str] | None = None) -> None:
        since, unsure = self.online_since, False
        if not from_report and (since is None or (facts.last_seen is not None and facts.last_seen < since)):
            unsure = True  # not heard since ingest could hear: offline only once that itself is long enough
            facts = dataclasses.replace(facts, last_seen=since if since is not None else now)
        holds = rules.conditions(facts, self.cfg, now)
        if only is not None:
            holds = {r: d for r, d in holds.items() if r in only}
        # A kiosk is back when it says so, not when its Will (retained, delivered again) reaches us.
        keep_offline = (unsure or facts.state in rules.GONE) and "offline" not in holds
        with self._lock:
            if from_report:
                self._heard[facts.kiosk_id] = now
            if self._active is None:
                self._active = self.store.active()
            active = self._active.setdefault(facts.kiosk_id, set())
            raise_ = [r for r in holds if r not in active]
            clear = [r for r in active if r in CONDITIONS and r not in holds and (only is None or r in only)
                     and not (r == "offline" and keep_offline)]
            if not raise_ and not clear:
                return  # the common case: nothing changed, no database
            for rule in clear:
                active.discard(rule)
                alert = self.store.clear(facts.kiosk_id, rule, now)
                if alert and alert["notified"]:
                    self.notify("cleared", alert)
            if raise_:
                self._raise(facts, {r: holds[r] for r in raise_}, active, now)

    def _raise(self, facts: Facts, found: dict[str, dict], active: set[str], now: float) -> None:
        if facts.hall is None and facts.region is None:
            row = self.store.facts(facts.kiosk_id)
            if row:
                facts = Facts(facts.kiosk_id, row[0].hall, row[0].region, facts.state, facts.health, facts.last_seen)
        if rules.in_maintenance(facts) or self.store.suppressed(facts.kiosk_id, facts.hall, now):
            return  # not remembered as active: the rule is judged again once the window is over
        for rule, detail in found.items():
            active.add(rule)  # raised here or by another worker: either way it is active
            alert = self.store.raise_alert(facts, rule, detail, now)
            if alert:
                log.info("alert.raised", kiosk=facts.kiosk_id, rule=rule, alert=alert["id"])
                if self.notify("raised", alert):
                    self.store.mark_notified(alert["id"])

    def _birth(self, kiosk_id: str, msg: messages.Birth, now: float) -> None:
        births = self.store.birth(kiosk_id, msg.session_seq, self.cfg.restart_loop_minutes * 60, now)
        detail = rules.restart_loop(births or 0, self.cfg)
        if detail is None:
            return
        with self._lock:
            if self._active is None:
                self._active = self.store.active()
            active = self._active.setdefault(kiosk_id, set())
            if "restart_loop" in active:
                return
            row = self.store.facts(kiosk_id)
            facts = row[0] if row else Facts(kiosk_id, None, None, "unknown", None, now)
            self._raise(facts, {"restart_loop": detail}, active, now)


def _view(msg: messages.Health) -> dict:
    """What the rules read of a health report, shaped as its stored dict; a tenth of the cost of as_dict(),
    which matters on ingest's path."""
    return {"state": msg.state, "mode": msg.mode, "system": msg.system,
            "devices": {role: {"state": d.state, "reasons": d.reasons} for role, d in msg.devices.items()}}
