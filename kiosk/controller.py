"""The kiosk between visits and during them, without any UI toolkit.

It owns the home screen's data (items by category, each available or not
with the reason), starts a session when an item is chosen, forwards actions
from any source, and after a visit ends shows its last screen briefly and
returns home with everything personal dropped. The Kivy UI only draws what
this exposes and calls its methods; tests drive it directly.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

import structlog

from devices.contracts import CodeScanner
from devices.records import CallState
from kiosk.availability import availability
from kiosk.engine.aftercare import Aftercare, CallbackRequested, Rated
from kiosk.engine.aftercare_policy import AftercarePolicy
from kiosk.engine.offers import dead_end_offers
from kiosk.engine.ops import OpExecutor
from kiosk.engine.messages import Finished
from kiosk.engine.runner import SessionRunner
from kiosk.engine.session import Session
from kiosk.engine.views import StepView
from kiosk.flow.media import icon_path
from kiosk.flow.model import ELDERLY_MULTIPLIER, IdlePolicy
from kiosk.home import HomeView, build_home
from kiosk.search_index import SearchIndex
from kiosk.helpcall import ACTIONS as CALL_ACTIONS, CallbackForm, HelpCall
from kiosk.i18n import pick
from kiosk.out_of_service import OutOfServiceView, out_of_service_view
from wire.messages import CallbackRequest, Event, Rating, Visit

log = structlog.get_logger("kiosk.controller")
END_SCREEN_S = 5.0  # how long the thank-you screen stays before home


@dataclass(frozen=True)
class Tile:
    flow: str
    title: str
    description: str
    category: str
    icon: str | None
    available: bool
    reasons: tuple[str, ...] = ()


@dataclass
class KioskState:
    mode: str = "home"  # home, visit, out_of_service, pin, maintenance, remote_maintenance
    locale: str = "zh-CN"
    elderly: bool = False
    view: StepView | None = None
    tiles: list[Tile] = field(default_factory=list)
    out_of_service_reason: str = ""
    out_of_service_back: str = ""  # when service is expected back, if known (e.g. 2026-12-07 08:00)
    out_of_service: OutOfServiceView | None = None  # what the out-of-service screen says, in both languages
    pin_error: bool = False
    maintenance: dict = field(default_factory=dict)  # devices' status, flow bundle, last action
    remote_maintenance_pending: bool = False  # the fleet asked for maintenance; it starts when the visit ends
    home: HomeView | None = None  # the home screen: header, items by category, search, identity card
    call: CallState | None = None  # the video call to the help desk, shown over any screen while it lasts
    callback: CallbackForm | None = None  # the desk's call-back offer on that call, as the citizen goes through it


class KioskController:
    def __init__(self, registry, devices: dict, services, clock, *, kiosk: dict, idle: IdlePolicy | None = None,
                 default_locale: str = "zh-CN", on_change: Callable[[KioskState], None] | None = None,
                 pdf_renderer=None, gate=None, journal=None, on_event: Callable[[Event], None] | None = None,
                 remote_maintenance_s: float = 1800.0, elderly_multiplier: float = ELDERLY_MULTIPLIER,
                 aftercare: AftercarePolicy | None = None, identity: dict[str, str] | None = None):
        self.registry = registry
        self.identity = dict(identity or {})  # cfg.identity_card(): shown one tap away on the home screen
        self.devices = devices
        self.services = services
        self.clock = clock
        self.kiosk = kiosk
        self.idle = idle
        self.elderly_multiplier = elderly_multiplier
        self.default_locale = default_locale
        self.pdf_renderer = pdf_renderer
        self.gate = gate
        self.journal = journal
        self.remote_maintenance_s = remote_maintenance_s
        self.aftercare = aftercare  # None: the ending shows briefly and the kiosk goes home (no rating)
        self.identity = identity or {}  # the device's identity card, for the out-of-service screen
        self.after: SessionRunner | None = None  # the after-visit steps: ending, ways on, rating
        # Whether a call-back's phone number may be sent: the runtime says so only for a TLS or loopback fleet
        # link; None (tests, tools) means whenever someone listens for events.
        self.callback_link: bool | None = None
        self._remote_timer = None
        self._remote_until = None  # wall-clock time remote maintenance is due to end, for the screen
        self._listeners: list[Callable[[KioskState], None]] = []
        self._event_listeners: list[Callable[[Event], None]] = []  # visit outcomes (never personal data)
        if on_change is not None:
            self.subscribe(on_change)
        if on_event is not None:
            self.subscribe_events(on_event)
        self._visit_started = 0.0
        self.state = KioskState(locale=default_locale)
        self.runner: SessionRunner | None = None
        self.executor: OpExecutor | None = None
        self._home_timer = None
        self._visits = itertools.count(1)
        self._home_ui = {"query": "", "searching": False, "identity": False}
        self._holding, self._held = 0, False  # see _one_change
        self._index: tuple[str, SearchIndex] | None = None
        self.call = HelpCall(devices.get("help_panel"), clock, self._on_call)
        self.refresh_home()

    # ---------------------------------------------------------------- home
    def refresh_home(self) -> None:
        statuses = {role: getattr(dev, "status", None) for role, dev in self.devices.items()}
        now = self.clock.wallclock()
        tiles = []
        for fid, cf in sorted(self.registry.flows.items(), key=lambda kv: (kv[1].flow.category, kv[0])):
            f = cf.flow
            if not f.listed:
                continue
            a = availability(f, statuses, now)
            tiles.append(Tile(fid, pick(f.title, self.state.locale), pick(f.description, self.state.locale),
                              f.category, f.icon, a.available, tuple(a.reasons())))
        self.state.tiles = tiles
        self._build_home()
        self._changed()

    # ---------------------------------------------------------- home screen
    def _build_home(self) -> None:
        flows = {fid: cf.flow for fid, cf in self.registry.flows.items()}
        icons = {t.flow: str(p) for t in self.state.tiles
                 if (p := icon_path(t.icon, self.registry.flows[t.flow].folder)) is not None}
        ui = self._home_ui
        help_panel = self.devices.get("help_panel")
        self.state.home = build_home(
            self.state.tiles, flows, self.state.locale, kiosk=self.kiosk, icons=icons, query=ui["query"],
            searching=ui["searching"], index=self._search_index() if ui["query"] else None,
            identity=self._identity_card() if ui["identity"] else None,
            help=help_panel is not None and getattr(help_panel.status, "usable", False), calling=self.call.busy)

    def _search_index(self) -> SearchIndex:
        """Built on the first search after a bundle is activated, then kept for that bundle."""
        active = self.registry.active
        sha = active.sha256 if active else ""
        if self._index is None or self._index[0] != sha:
            self._index = (sha, SearchIndex({fid: cf.flow for fid, cf in self.registry.flows.items()}))
        return self._index[1]

    def _identity_card(self) -> dict:
        card = {"name": self.kiosk.get("name", ""), "hall": self.kiosk.get("hall", ""), "id": self.kiosk.get("id", "")}
        card.update(self.identity)
        return {k: v for k, v in card.items() if v}

    def home_ui(self, **changes) -> None:
        """Search (query, searching) and the identity card (identity) on the home screen; only while at home."""
        if self.state.mode != "home":
            return
        for key, value in changes.items():
            if key in ("searching", "identity"):
                self._home_ui[key] = bool(value)
            elif key == "query":
                self._home_ui["query"] = str(value)[:24]
        if not self._home_ui["searching"]:
            self._home_ui["query"] = ""
        self._build_home()
        self._changed()

    def home_help(self) -> None:
        """视频求助 from the home screen: the same call as from any step (kiosk.helpcall), over the home screen."""
        if self.state.mode == "home" and self.call.act("help", None, self.state.locale):
            self._build_home()
            self._changed()

    def set_locale(self, locale: str) -> None:
        with self._one_change():
            self.state.locale = locale
            if self.runner and not self.runner.finished:
                self.runner.act("set_locale", locale)
            elif self.after and not self.after.finished:
                self.after.act("set_locale", locale)
            self.refresh_home()

    def set_elderly(self, on: bool) -> None:
        with self._one_change():
            self.state.elderly = bool(on)
            if self.runner and not self.runner.finished:
                self.runner.act("set_elderly", bool(on))
            elif self.after and not self.after.finished:
                self.after.act("set_elderly", bool(on))
            self._changed()

    def leave_out_of_service(self) -> None:
        self.state.out_of_service_reason = ""
        self.state.out_of_service_back = ""
        self.go_home()

    def out_of_service(self, reason: str, back_at: str = "") -> None:
        """Stop offering items; `back_at` says when service is expected back, where someone knows."""
        self._end_visit()
        self.state.mode = "out_of_service"
        self.state.out_of_service_reason = reason
        self.state.out_of_service_back = back_at
        self._describe_out_of_service()
        self._changed()

    def _describe_out_of_service(self) -> None:
        """The screen's words: why, until when, whose machine this is, where else to go."""
        s = self.state
        remote = s.mode == "remote_maintenance"
        back = f"{self._remote_until:%H:%M}" if remote and self._remote_until is not None else s.out_of_service_back
        down = {t.flow: t.reasons for t in s.tiles if not t.available}
        s.out_of_service = out_of_service_view("remote_maintenance" if remote else s.out_of_service_reason,
                                               self.identity, back, down)

    # ---------------------------------------------------------- maintenance
    def corner_tap(self) -> None:
        """The hidden gesture on the home screen; opens the PIN pad when complete."""
        idle = self.state.mode in ("home", "out_of_service", "remote_maintenance")
        if idle and self.gate is not None and self.gate.corner_tap():
            self.state.mode = "pin"
            self.state.pin_error = False
            self._changed()

    def submit_pin(self, pin: str) -> None:
        if self.state.mode != "pin":
            return
        if self.gate.try_pin(pin):
            log.warning("maintenance.enter")
            self.state.mode = "maintenance"
            self.state.maintenance = {"last": ""}
            self.refresh_maintenance()
        else:
            log.warning("maintenance.pin_refused")
            self.state.pin_error = True
            self._changed()

    def refresh_maintenance(self, last: str | None = None) -> None:
        m = self.state.maintenance
        m["devices"] = {role: dev.status.as_dict() for role, dev in sorted(self.devices.items())}
        active = self.registry.active
        m["bundle"] = active.sha256[:12] if active else "-"
        m["flows"] = len(self.registry.flows)
        m["identity"] = dict(self.kiosk.get("identity") or {})  # whom the technician's company answers to
        if last is not None:
            m["last"] = last
        self._changed()

    def enter_maintenance_remotely(self, force: bool = False) -> str:
        """From the fleet console: stop offering items, without ever cutting a citizen's visit short.

        During a visit the kiosk waits for it to end and then goes to maintenance
        instead of home; `force` ends the visit now, recorded as `interrupted`.
        The citizen sees an "under maintenance" screen, never the technician's
        panel, which stays behind the PIN. It ends by itself after
        `remote_maintenance_s` unless renewed. Returns what happened: started,
        renewed or pending.
        """
        mode = self.state.mode
        if mode == "remote_maintenance":
            self._arm_remote_timer()
            log.warning("maintenance.remote_renewed")
            return "renewed"
        if mode == "visit" and force:
            self.interrupt_visit("remote maintenance")
        elif mode not in ("home", "pin"):
            self.state.remote_maintenance_pending = True
            log.warning("maintenance.remote_pending", mode=mode)
            self._changed()
            return "pending"
        self._enter_remote_maintenance()
        return "started"

    def leave_maintenance_remotely(self) -> str:
        """From the fleet console (or the timer): back to service, unless someone local holds the kiosk."""
        pending, self.state.remote_maintenance_pending = self.state.remote_maintenance_pending, False
        if self.state.mode == "remote_maintenance":
            log.warning("maintenance.remote_leave")
            self.go_home()
            return "left"
        if pending:
            self._changed()
            return "cancelled"
        return "not_in_maintenance"

    def _enter_remote_maintenance(self) -> None:
        self._end_visit()
        self.state.remote_maintenance_pending = False
        self.state.mode = "remote_maintenance"
        log.warning("maintenance.remote_enter", minutes=round(self.remote_maintenance_s / 60, 1))
        self._arm_remote_timer()
        self._describe_out_of_service()
        self._changed()

    def _arm_remote_timer(self) -> None:
        if self._remote_timer is not None:
            self._remote_timer.cancel()
        self._remote_timer = self.clock.call_later(self.remote_maintenance_s, self._remote_maintenance_expired)
        self._remote_until = self.clock.wallclock() + dt.timedelta(seconds=self.remote_maintenance_s)
        if self.state.mode == "remote_maintenance":
            self._describe_out_of_service()

    def _remote_maintenance_expired(self) -> None:
        self._remote_timer = None
        if self.state.mode == "remote_maintenance":
            log.warning("maintenance.remote_expired")
            self.go_home()

    def maintenance_action(self, action: str) -> None:
        if self.state.mode != "maintenance":
            return
        if action == "reload":
            ok = self.registry.reload()
            self.refresh_maintenance(f"reload: {'ok' if ok else 'refused, last good kept'}")
        elif action == "leave":
            log.warning("maintenance.leave")
            self.go_home()
        elif action == "out_of_service":
            self.out_of_service("maintenance")
        elif action.startswith("test_print:"):
            import asyncio

            asyncio.get_running_loop().create_task(self._test_print(action.split(":", 1)[1]))

    async def _test_print(self, role: str) -> None:
        from devices.records import Cut, QrCode, Receipt, Text

        dev = self.devices.get(role)
        try:
            if role == "document_printer":
                from devices.document_printer.testpage import build_test_page

                await dev.print_pdf(build_test_page(self.kiosk.get("id", "")), title="test")
            else:
                await dev.print_receipt(Receipt((Text("自助终端打印测试", "center", 2, True),
                                                 Text(f"终端 {self.kiosk.get('id', '')}"),
                                                 QrCode(self.kiosk.get("id", "K")), Cut())))
            self.refresh_maintenance(f"test print on {role}: ok")
        except Exception as exc:  # the technician needs the device's answer, whatever it is
            self.refresh_maintenance(f"test print on {role}: {type(exc).__name__}: {exc}"[:160])

    # --------------------------------------------------------------- visits
    def start(self, flow_id: str, source: str = "touch") -> bool:
        tile = next((t for t in self.state.tiles if t.flow == flow_id), None)
        if self.state.mode != "home" or tile is None or not tile.available:
            return False
        session_id = f"{next(self._visits):06d}-{secrets.token_hex(6)}"
        session = Session(self.registry.flows, flow_id, session_id=session_id, kiosk=self.kiosk, idle=self.idle,
                          locale=self.state.locale, elderly=self.state.elderly,
                          elderly_multiplier=self.elderly_multiplier,
                          clock=self.clock.monotonic, wallclock=self.clock.wallclock)
        self.executor = OpExecutor(self.devices, self.services, pdf_renderer=self.pdf_renderer)
        self.runner = SessionRunner(session, self.executor, self.clock, on_view=self._on_view,
                                    on_finish=self._on_finish)
        self.state.mode = "visit"
        log.info("visit.start", flow=flow_id, source=source, session=session_id[:6])
        self._visit_started = self.clock.monotonic()
        if self.journal is not None:
            cf = self.registry.flows[flow_id]
            self.journal.started(session_id, flow_id, cf.flow.version, self.registry.active.sha256[:12],
                                 self.clock.wallclock())
        self.runner.start()
        if self.call.active:  # the citizen chose an item while talking to staff
            self.runner.act("hold_idle", True, source="kiosk")
        return True

    def act(self, kind: str, value=None, source: str = "touch") -> list:
        if kind in CALL_ACTIONS and self.state.mode in ("home", "visit"):  # the visit stays where it is
            self.call.act(kind, self.state.view, self.state.locale, value)
            return []
        if self.state.mode != "visit" or self.runner is None:
            return []
        if self.after is not None:
            return self._act_on(self.after, kind, value, source)
        return self._act_on(self.runner, kind, value, source)

    def _act_on(self, part: SessionRunner, kind: str, value, source: str) -> list:
        """The visit's steps, then the after-visit steps, take the citizen's taps alike; once the part on screen
        is over, a tap goes home (the citizen tapped through the thank-you screen)."""
        if part.finished is not None:
            if kind in ("done", "ok", "cancel", "home"):
                self.go_home()
            return []
        if kind == "set_locale":
            self.state.locale = value
        if kind == "set_elderly":
            self.state.elderly = bool(value)
        answer = part.act(kind, value, source)
        if kind == "home" and part.finished is not None and self.runner is not None:
            self.go_home()  # 首页 means home now, not after the thank-you screen (unless the visit already ended)
        return answer

    def go_home(self) -> None:
        if self.state.remote_maintenance_pending:  # the visit (or local maintenance) it waited for is over
            self._reset_citizen_settings()
            self._enter_remote_maintenance()
            return
        if self._remote_timer is not None:
            self._remote_timer.cancel()
            self._remote_timer = None
        self._end_visit()
        self.state.mode = "home"
        self._reset_citizen_settings()
        self._home_ui.update(query="", searching=False, identity=False)  # the next citizen starts from a clean home
        self.refresh_home()

    def _reset_citizen_settings(self) -> None:
        self.state.locale = self.default_locale  # the next citizen starts from the defaults
        self.state.elderly = False

    def _on_view(self, view: StepView) -> None:
        changed_step = self.state.view is None or (view.flow, view.step) != (self.state.view.flow, self.state.view.step)
        self.state.view = view
        if changed_step:
            self.call.step_changed(view)
        self._changed()

    def _on_call(self, call: CallState | None) -> None:
        """The call's state, for the screen; while it is on, the visit's idle reset waits."""
        was_on = self.state.call is not None and self.state.call.phase not in ("ended",)
        self.state.call = call
        self.state.callback = self.call.callback
        on = self.call.active
        if on and not was_on:  # also a call a flow's video_help step or an ending's offer placed
            self.call.step_changed(self.state.view)
        for runner in (self.runner, self.after):
            if runner is not None and runner.finished is None and on != was_on and hasattr(runner.session, "idle_held"):
                runner.act("hold_idle", on, source="kiosk")
        if self.state.mode == "home":
            self._build_home()  # its help button says the call is under way
        self._changed()

    def _on_finish(self, finished) -> None:
        self._record_end(finished)
        session = self.runner.session if self.runner is not None else None
        if self.aftercare is None or session is None or session.ending is None:
            self._home_timer = self.clock.call_later(END_SCREEN_S, self.go_home)
            return
        self._start_aftercare(session)

    def _start_aftercare(self, session) -> None:
        """The ending, the ways on after a failure, the rating: what is on offer is decided now, for this hour."""
        statuses = {role: getattr(dev, "status", None) for role, dev in self.devices.items()}
        link = bool(self._event_listeners) if self.callback_link is None else self.callback_link
        offers = dead_end_offers(self.aftercare, statuses, self.clock.wallclock(), link=link)
        care = Aftercare(session.ending, self.aftercare, offers, session_id=session.id, kiosk=self.kiosk,
                         locale=self.state.locale, elderly=self.state.elderly,
                         elderly_multiplier=session.elderly_multiplier, clock=self.clock.monotonic,
                         wallclock=self.clock.wallclock)
        self.after = SessionRunner(care, self.executor, self.clock, on_view=self._on_view,
                                   on_finish=self._aftercare_over, on_other=self._aftercare_report)
        self.after.start()

    def _aftercare_over(self, finished) -> None:
        log.info("visit.aftercare_over", flow=finished.flow, result=finished.result)
        self._home_timer = self.clock.call_later(END_SCREEN_S, self.go_home)

    def _aftercare_report(self, cmd) -> None:
        """A rating or a call-back request: to the journal (nothing personal) and the fleet outbox."""
        session = self.after.session.id if self.after is not None else ""
        now = self.clock.wallclock()
        if isinstance(cmd, Rated):
            log.info("visit.rated", flow=cmd.flow, level=cmd.level, reasons=len(cmd.reasons))
            if self.journal is not None:
                self.journal.rated(session, cmd.flow, cmd.result, cmd.level, list(cmd.reasons), now)
            self._emit(Rating(flow=cmd.flow, result=cmd.result, level=cmd.level, reasons=list(cmd.reasons)))
        elif isinstance(cmd, CallbackRequested):
            log.info("visit.callback_requested", flow=cmd.flow, step=cmd.step)  # never the number
            if self.journal is not None:
                self.journal.callback_requested(session, cmd.flow, cmd.step, cmd.reason, now)
            self._emit(CallbackRequest(flow=cmd.flow, step=cmd.step, reason=cmd.reason, locale=cmd.locale,
                                       phone=cmd.phone))

    def _emit(self, event: Event) -> None:
        for listener in list(self._event_listeners):
            listener(event)

    def interrupt_visit(self, reason: str) -> None:
        """End a visit that has not finished by itself: recorded as `interrupted`, then wiped like any other."""
        if self.runner is not None and self.runner.finished is None:
            self.runner._shutdown()
            session = self.runner.session
            self._record_end(Finished("interrupted", session.root_flow.id, reason,
                                      citizen=session.vars["id"].get("id_number")))
        self._end_visit()

    def _record_end(self, finished) -> None:
        log.info("visit.end", flow=finished.flow, result=finished.result)
        if self._event_listeners and self.executor is not None:
            pages: dict[str, int] = {}
            for doc in self.executor.printed:
                pages[doc.printer] = pages.get(doc.printer, 0) + 1
            visit = Visit(flow=finished.flow, result=finished.result, reason=finished.reason, printed=pages,
                          tickets=len(self.executor.tickets))
            for listener in list(self._event_listeners):
                listener(visit)
        if self.journal is not None and self.runner is not None:
            ex = self.executor
            self.journal.ended(self.runner.session.id, self.clock.wallclock(), finished.result, finished.reason,
                               documents=[d.number for d in ex.printed], tickets=[t.number for t in ex.tickets],
                               id_number=finished.citizen,
                               duration_ms=int((self.clock.monotonic() - self._visit_started) * 1000))

    def _end_visit(self) -> None:
        if self.after is not None and self.after.finished is None:  # left before rating (首页, out of service)
            self.after.act("home", source="kiosk")  # counted as not rated
        if self._home_timer is not None:
            self._home_timer.cancel()
            self._home_timer = None
        if self.runner is not None:
            self.runner._shutdown()
            self.runner.session.wipe()
        if self.after is not None:
            self.after._shutdown()
        self.runner = None
        self.after = None
        self.executor = None
        self.state.view = None  # nothing of the last citizen stays on screen
        self.call.visit_ended()  # staff on a call now see the home screen; a number being typed goes
        for dev in self.devices.values():
            if isinstance(dev, CodeScanner):
                dropped = dev.discard_pending()  # nor in a scanner's buffer, for the next citizen to "scan"
                if dropped:
                    log.info("visit.scans_discarded", device=dev.name, count=dropped)

    def subscribe(self, listener: Callable[[KioskState], None]) -> Callable[[], None]:
        """Call `listener` with the state after every change (the window, fleet reporting); returns unsubscribe."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def subscribe_events(self, listener: Callable[[Event], None]) -> Callable[[], None]:
        """Call `listener` with every fleet event (wire.messages: a visit's outcome); returns unsubscribe."""
        self._event_listeners.append(listener)
        return lambda: self._event_listeners.remove(listener)

    @contextlib.contextmanager
    def _one_change(self):
        """Listeners hear of the changes made inside once, at the end: a language switch mid-visit changed the
        step's view and then the home tiles, and the window built the whole step screen twice for one tap."""
        self._holding += 1
        try:
            yield
        finally:
            self._holding -= 1
            if not self._holding and self._held:
                self._held = False
                self._changed()

    def _changed(self) -> None:
        if self._holding:
            self._held = True
            return
        for listener in list(self._listeners):
            listener(self.state)
