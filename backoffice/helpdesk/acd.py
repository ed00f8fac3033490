"""The automatic call distributor: queues per skill, longest-idle agent first, ring timeout and RONA, transfer,
callback offers. Its state is the database's, so every `backoffice serve` on one database is one help desk.

Every change is a transaction that moves rows with conditional updates (`... WHERE state = 'waiting'`): two
processes running the same sweep at once cannot ring one agent twice nor log one no-answer twice, on SQLite
(one writer at a time) as on PostgreSQL (row locks). What a change says to a kiosk or an agent is written
in the same transaction to `helpdesk_signals`, which the process holding that socket delivers (relay.py):
one path for every frame, whether both ends are on this process or not.

Times are wall-clock seconds (`clock`, a parameter so tests move it): deadlines are stored and compared by
several processes, which monotonic clocks, one per process, cannot do.
"""
from __future__ import annotations

import dataclasses
import hashlib
import secrets
import time
from typing import Callable

import structlog
from sqlalchemy import Engine, delete, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from backoffice.config import HelpdeskConfig
from backoffice.helpdesk.secrets import PhoneSeal, ice_servers, mask_phone
from backoffice.models import HelpAgent, HelpCall, HelpCallback, HelpEvent, HelpSignal, Kiosk
from wire import signaling as sig

log = structlog.get_logger("backoffice.helpdesk")
ACTIVE = ("waiting", "ringing", "connected", "wrap_up")
QUEUED = ("waiting", "ringing")
SIGNAL_TTL_S = 120  # a frame nobody took (its socket gone) is dropped after this


class DeskError(Exception):
    """A request the desk refuses; `code` is one of wire.signaling.ERRORS."""

    def __init__(self, code: str, detail: str):
        super().__init__(detail)
        self.code, self.detail = code, detail


@dataclasses.dataclass(frozen=True)
class Delivery:
    to_kind: str
    to_id: str
    frame: str


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Desk:
    def __init__(self, engine: Engine, cfg: HelpdeskConfig, seal: PhoneSeal, clock: Callable[[], float] = time.time):
        self.engine, self.cfg, self.seal, self.clock = engine, cfg, seal, clock

    # ------------------------------------------------------------------ plumbing
    def _tx(self, fn):
        """Run `fn(session)` in one transaction; SQLite's 'database is locked' between processes is retried."""
        for attempt in range(40):
            try:
                with Session(self.engine) as s, s.begin():
                    return fn(s)
            except OperationalError as exc:
                if "locked" not in str(exc) or attempt == 39:
                    raise
                time.sleep(0.005 * (attempt + 1))  # another process holds the write lock for a few ms

    def _send(self, s: Session, to_kind: str, to_id: str, call_id: str, body: sig.Body) -> None:
        body.validate()
        s.add(HelpSignal(to_kind=to_kind, to_id=to_id, call_id=call_id, kind=body.KIND,
                         body=dataclasses.asdict(body), at=self.clock()))

    def _event(self, s: Session, call: HelpCall | None, kind: str, agent: str = "", **data) -> None:
        s.add(HelpEvent(at=self.clock(), call_id=call.id if call else "", kind=kind, agent=agent or "",
                        kiosk_id=call.kiosk_id if call else "", skill=call.skill if call else "", data=data))
        log.info("helpdesk." + kind, call=call.id if call else "", agent=agent or None)

    def _agent_state(self, s: Session, name: str, state: str, call_id: str | None = None) -> None:
        now = self.clock()
        values = {"state": state, "since": now, "call_id": call_id}
        if state == "available":
            values["idle_since"] = now
        s.execute(update(HelpAgent).where(HelpAgent.name == name).values(**values))
        self._send(s, "agent", name, call_id or "", sig.AgentStatus(state))

    def skills_of(self, name: str) -> tuple[str, ...]:
        return tuple(self.cfg.agent_skills.get(name, sig.SKILLS))

    # ------------------------------------------------------------------ kiosk side
    def enter(self, kiosk_id: str, conn: str, req: sig.HelpRequest) -> str:
        def run(s: Session) -> str:
            now = self.clock()
            live = (*QUEUED, "connected")  # in wrap-up the call is over for the citizen: they may call again
            for old in s.scalars(select(HelpCall).where(HelpCall.kiosk_id == kiosk_id, HelpCall.state.in_(live))):
                if old.kiosk_conn == conn:
                    raise DeskError("busy", "this kiosk already has a call")
                self._end_for_kiosk(s, old, "lost")  # a socket that died without saying so
            call = HelpCall(id=secrets.token_hex(8), kiosk_id=kiosk_id, kiosk_conn=conn, kiosk_seen_at=now,
                            item=req.item, step=req.step, locale=req.locale, skill=req.skill, state="waiting",
                            entered_at=now, queued_at=now, declined=[], note="", callback_offered=False, told="",
                            resume_hash="")
            s.add(call)
            s.flush()
            self._event(s, call, "enter_queue", item=req.item)
            self._dispatch(s)
            self._tell_queue(s)
            return call.id
        return self._tx(run)

    def _kiosk_call(self, s: Session, kiosk_id: str, call_id: str, states=ACTIVE) -> HelpCall:
        call = s.get(HelpCall, call_id)
        if call is None or call.kiosk_id != kiosk_id or call.state not in states:
            raise DeskError("unknown_call", "no such call for this kiosk in that state")
        return call

    def kiosk_hangup(self, kiosk_id: str, call_id: str, reason: str = "kiosk_hangup") -> None:
        self._tx(lambda s: self._end_for_kiosk(s, self._kiosk_call(s, kiosk_id, call_id), reason))

    def _end_for_kiosk(self, s: Session, call: HelpCall, reason: str) -> None:
        """The citizen left (hung up, cancelled, or the kiosk vanished): abandon if waiting, complete if talking."""
        now, state, agent = self.clock(), call.state, call.agent
        if state in QUEUED:
            self._event(s, call, "abandon", waited_s=now - call.entered_at, reason=reason)
            call.state, call.ended_at, call.end_reason, call.agent = "ended", now, reason, None
            if state == "ringing" and agent:
                self._send(s, "agent", agent, call.id, sig.CallEnded("cancelled"))
                self._agent_state(s, agent, "available")
            self._dispatch(s)
            self._tell_queue(s)
        elif state == "connected":
            self._event(s, call, "complete", agent=agent or "", by="kiosk", reason=reason)
            call.state, call.ended_at, call.end_reason = "wrap_up", now, reason
            self._send(s, "agent", agent, call.id, sig.CallEnded(reason))
            self._agent_state(s, agent, "wrap_up", call.id)
        self._send(s, "kiosk", call.kiosk_id, call.id, sig.CallEnded(reason))

    def book_callback(self, kiosk_id: str, call_id: str, phone: str) -> float:
        """The citizen leaves a number instead of waiting: the call ends, a task opens; never logged."""
        def run(s: Session) -> float:
            call = self._kiosk_call(s, kiosk_id, call_id, QUEUED)
            now = self.clock()
            task = HelpCallback(call_id=call.id, kiosk_id=kiosk_id, item=call.item, skill=call.skill, state="open",
                                phone_sealed="", phone_masked=mask_phone(phone), created_at=now,
                                target_at=now + self.cfg.callback_target_s)
            s.add(task)
            s.flush()
            task.phone_sealed = self.seal.seal(phone, str(task.id))
            self._event(s, call, "callback_requested", callback=task.id, target_at=task.target_at)
            self._send(s, "kiosk", kiosk_id, call.id, sig.CallbackBooked(task.target_at))
            self._end_for_kiosk(s, call, "callback_booked")
            return task.target_at
        return self._tx(run)

    def from_kiosk(self, kiosk_id: str, call_id: str, body: sig.Body) -> None:
        """An offer, a candidate or the context, on to the agent of a connected call."""
        def run(s: Session) -> None:
            call = self._kiosk_call(s, kiosk_id, call_id, ("connected",))
            if isinstance(body, sig.SdpOffer):
                out = sig.OfferToAgent(body.sdp, ice_servers(self.cfg.turn, call.id, self.clock()))
            elif isinstance(body, sig.Context):
                kiosk = s.get(Kiosk, kiosk_id)
                identity = ((kiosk.birth or {}).get("identity") or {}) if kiosk else {}
                out = sig.AgentContext(kiosk_id, {str(k): str(v) for k, v in identity.items()}, body.item,
                                       body.step, body.texts, body.values)
            else:
                out = body
            self._send(s, "agent", call.agent, call.id, out)
        self._tx(run)

    def resume(self, kiosk_id: str, conn: str, call_id: str, token: str) -> None:
        """After a drop: the same call on a new socket, with a new peer connection (aiortc cannot restart ICE)."""
        def run(s: Session) -> None:
            call = self._kiosk_call(s, kiosk_id, call_id, ("connected",))
            if not secrets.compare_digest(call.resume_hash, _hash(token)):
                raise DeskError("unauthorized", "wrong resume token")
            call.kiosk_conn, call.kiosk_seen_at = conn, self.clock()
            self._event(s, call, "resume", agent=call.agent or "")
            self._assign(s, call)
        self._tx(run)

    def kiosk_gone(self, kiosk_id: str, conn: str) -> None:
        """The socket closed: a queued call is abandoned now; a connected one waits for a resume (tick ends it)."""
        def run(s: Session) -> None:
            for call in s.scalars(select(HelpCall).where(HelpCall.kiosk_id == kiosk_id, HelpCall.kiosk_conn == conn,
                                                         HelpCall.state.in_(QUEUED))):
                self._end_for_kiosk(s, call, "lost")
        self._tx(run)

    # ------------------------------------------------------------------ agent side
    def agent_online(self, name: str, conn: str) -> None:
        def run(s: Session) -> None:
            now = self.clock()
            agent = s.get(HelpAgent, name)
            if agent is None:
                s.add(HelpAgent(name=name, state="not_ready", since=now, idle_since=now, conn=conn, seen_at=now))
                state, call_id = "not_ready", None
            else:
                agent.conn, agent.seen_at = conn, now
                if agent.state == "offline":
                    agent.state, agent.since = "not_ready", now  # signing in is not being ready (Finesse, Asterisk)
                state, call_id = agent.state, agent.call_id
            self._event(s, None, "agent_login", agent=name)
            self._send(s, "agent", name, call_id or "", sig.AgentStatus(state))
        self._tx(run)

    def agent_gone(self, name: str, conn: str) -> None:
        """The page closed. A ringing call goes to the next agent now; a call in progress waits for the presence
        timeout, so a reloaded page picks it up again."""
        def run(s: Session) -> None:
            agent = s.get(HelpAgent, name)
            if agent is None or agent.conn != conn:
                return  # a newer socket of the same agent holds it
            agent.conn = ""
            if agent.state != "on_call":
                self._agent_offline(s, agent)
        self._tx(run)

    def _agent_offline(self, s: Session, agent: HelpAgent) -> None:
        if agent.state == "ringing" and agent.call_id:
            call = s.get(HelpCall, agent.call_id)
            if call is not None and call.state == "ringing" and call.agent == agent.name:
                call.state, call.agent, call.ring_deadline = "waiting", None, None
        elif agent.state == "on_call" and agent.call_id:
            call = s.get(HelpCall, agent.call_id)
            if call is not None and call.state == "connected":
                self._event(s, call, "complete", agent=agent.name, by="agent", reason="lost")
                call.state, call.ended_at, call.end_reason = "ended", self.clock(), "lost"
                self._send(s, "kiosk", call.kiosk_id, call.id, sig.CallEnded("lost"))
        agent.state, agent.since, agent.call_id = "offline", self.clock(), None
        self._event(s, None, "agent_logoff", agent=agent.name)

    def _agent_call(self, s: Session, name: str, call_id: str, states) -> HelpCall:
        call = s.get(HelpCall, call_id)
        if call is None or call.agent != name or call.state not in states:
            raise DeskError("unknown_call", "no such call for this agent in that state")
        return call

    def set_state(self, name: str, state: str, reason: str = "") -> None:
        def run(s: Session) -> None:
            agent = s.get(HelpAgent, name)
            if agent is None or agent.state in ("offline", "ringing", "on_call"):
                raise DeskError("not_allowed", f"cannot choose a state while {agent.state if agent else 'offline'}")
            if agent.state == "wrap_up" and agent.call_id and state != "wrap_up":
                self._wrapup(s, agent, "other", "")
            elif agent.state != state:
                self._event(s, None, "agent_state", agent=name, state=state, reason=reason)
                self._agent_state(s, name, state)
                self._dispatch(s)
        self._tx(run)

    def accept(self, name: str, call_id: str) -> None:
        def run(s: Session) -> None:
            call = self._agent_call(s, name, call_id, ("ringing",))
            now = self.clock()
            first = call.answered_at is None
            call.state, call.ring_deadline = "connected", None
            call.answered_at = call.answered_at or now
            self._event(s, call, "connect", agent=name, wait_s=now - call.entered_at if first else None,
                        first=first)
            self._agent_state(s, name, "on_call", call.id)
            self._assign(s, call)
            self._tell_queue(s)
        self._tx(run)

    def _assign(self, s: Session, call: HelpCall) -> None:
        token = secrets.token_urlsafe(18)
        call.resume_hash = _hash(token)
        self._send(s, "kiosk", call.kiosk_id, call.id,
                   sig.CallAssigned(call.agent or "", ice_servers(self.cfg.turn, call.id, self.clock()), token))

    def reject(self, name: str, call_id: str) -> None:
        def run(s: Session) -> None:
            call = self._agent_call(s, name, call_id, ("ringing",))
            call.state, call.agent, call.ring_deadline = "waiting", None, None
            call.declined = [*call.declined, name]
            self._event(s, call, "reject", agent=name)
            self._agent_state(s, name, "available")
            self._dispatch(s)
        self._tx(run)

    def transfer(self, name: str, call_id: str, req: sig.CallTransfer) -> None:
        """Cold transfer: the call keeps its place at the head of the queue; this agent wraps up their part."""
        def run(s: Session) -> None:
            call = self._agent_call(s, name, call_id, ("connected",))
            if req.to_agent and (req.to_agent == name or s.get(HelpAgent, req.to_agent) is None):
                raise DeskError("not_allowed", "transfer to another agent who has signed in at least once")
            self._event(s, call, "transfer", agent=name, to_agent=req.to_agent, to_skill=req.to_skill)
            call.state, call.agent, call.declined = "waiting", None, []
            call.queued_at, call.note, call.told = call.entered_at, req.note, ""
            call.target_agent = req.to_agent or None
            call.skill = req.to_skill or call.skill
            self._send(s, "kiosk", call.kiosk_id, call.id, sig.CallTransferring())
            self._agent_state(s, name, "wrap_up", call.id)
            self._dispatch(s)
            self._tell_queue(s)
        self._tx(run)

    def agent_hangup(self, name: str, call_id: str) -> None:
        def run(s: Session) -> None:
            call = self._agent_call(s, name, call_id, ("connected",))
            self._event(s, call, "complete", agent=name, by="agent")
            call.state, call.ended_at, call.end_reason = "wrap_up", self.clock(), "agent_hangup"
            self._send(s, "kiosk", call.kiosk_id, call.id, sig.CallEnded("agent_hangup"))
            self._send(s, "agent", name, call.id, sig.CallEnded("agent_hangup"))
            self._agent_state(s, name, "wrap_up", call.id)
        self._tx(run)

    def wrapup_done(self, name: str, call_id: str, outcome: str, note: str) -> None:
        def run(s: Session) -> None:
            agent = s.get(HelpAgent, name)
            if agent is None or agent.state != "wrap_up" or agent.call_id != call_id:
                raise DeskError("unknown_call", "not wrapping up that call")
            self._wrapup(s, agent, outcome, note)
        self._tx(run)

    def _wrapup(self, s: Session, agent: HelpAgent, outcome: str, note: str) -> None:
        call = s.get(HelpCall, agent.call_id) if agent.call_id else None
        if call is not None and call.state == "wrap_up" and call.agent == agent.name:
            call.state, call.outcome = "ended", outcome
        self._event(s, call, "wrapup", agent=agent.name, outcome=outcome, note=note)
        self._agent_state(s, agent.name, "available")
        self._dispatch(s)

    def from_agent(self, name: str, call_id: str, body: sig.Body) -> None:
        """The answer and the browser's trickled candidates, on to the kiosk."""
        def run(s: Session) -> None:
            call = self._agent_call(s, name, call_id, ("connected",))
            self._send(s, "kiosk", call.kiosk_id, call.id, body)
        self._tx(run)

    def quality(self, call_id: str, side: str, who: str, sample: sig.Quality) -> None:
        def run(s: Session) -> None:
            call = s.get(HelpCall, call_id)
            mine = call is not None and (call.kiosk_id == who if side == "kiosk" else call.agent == who)
            if not mine or call.state != "connected":
                raise DeskError("unknown_call", "no connected call of yours")
            s.add(HelpEvent(at=self.clock(), call_id=call.id, kind="quality", agent=call.agent or "",
                            kiosk_id=call.kiosk_id, skill=call.skill,
                            data={"side": side, "rtt_ms": sample.rtt_ms, "loss": sample.loss, "fps": sample.fps}))
        self._tx(run)

    # ------------------------------------------------------------------ the sweep every process runs
    def heartbeat(self, kiosks: dict[str, str], agents: dict[str, str]) -> None:
        """The sockets this process holds are alive: kiosk id -> connection, agent name -> connection."""
        def run(s: Session) -> None:
            now = self.clock()
            for kiosk_id, conn in kiosks.items():
                s.execute(update(HelpCall).where(HelpCall.kiosk_id == kiosk_id, HelpCall.kiosk_conn == conn,
                                                 HelpCall.state.in_(ACTIVE)).values(kiosk_seen_at=now))
            for name, conn in agents.items():
                s.execute(update(HelpAgent).where(HelpAgent.name == name, HelpAgent.conn == conn)
                          .values(seen_at=now))
        self._tx(run)

    def tick(self) -> None:
        def run(s: Session) -> None:
            now = self.clock()
            gone = now - self.cfg.presence_timeout_s
            for agent in s.scalars(select(HelpAgent).where(HelpAgent.state != "offline", HelpAgent.seen_at < gone)):
                self._agent_offline(s, agent)
            lost = now - max(self.cfg.presence_timeout_s, self.cfg.resume_window_s)
            for call in s.scalars(select(HelpCall).where(
                    ((HelpCall.state.in_(QUEUED)) & (HelpCall.kiosk_seen_at < gone))
                    | ((HelpCall.state == "connected") & (HelpCall.kiosk_seen_at < lost)))):
                self._end_for_kiosk(s, call, "lost")
            for call in s.scalars(select(HelpCall).where(HelpCall.state == "ringing", HelpCall.ring_deadline <= now)):
                self._no_answer(s, call)
            self._dispatch(s)
            self._tell_queue(s)
            s.execute(delete(HelpSignal).where(HelpSignal.at < now - SIGNAL_TTL_S))
        self._tx(run)

    def _no_answer(self, s: Session, call: HelpCall) -> None:
        """RONA: the agent did not answer in time; they are set not ready and the call goes to the next."""
        agent = call.agent
        self._event(s, call, "no_answer", agent=agent or "")
        call.state, call.agent, call.ring_deadline = "waiting", None, None
        if agent:
            self._send(s, "agent", agent, call.id, sig.CallEnded("no_answer"))
            self._agent_state(s, agent, "not_ready")

    def _dispatch(self, s: Session) -> None:
        """Each waiting call, oldest place first, to the longest-idle available agent who answers its skill."""
        now = self.clock()
        free = list(s.scalars(select(HelpAgent).where(HelpAgent.state == "available").order_by(HelpAgent.idle_since)))
        for call in s.scalars(select(HelpCall).where(HelpCall.state == "waiting").order_by(HelpCall.queued_at)):
            pick = next((a for a in free if call.skill in self.skills_of(a.name) and a.name not in call.declined
                         and call.target_agent in (None, a.name)), None)
            if pick is None:
                continue
            rang = s.execute(update(HelpAgent).where(HelpAgent.name == pick.name, HelpAgent.state == "available")
                             .values(state="ringing", since=now, call_id=call.id)).rowcount
            free.remove(pick)
            if not rang:
                continue  # another process rang them a moment ago
            call.state, call.agent, call.ring_deadline = "ringing", pick.name, now + self.cfg.ring_timeout_s
            self._event(s, call, "ring", agent=pick.name)
            self._send(s, "agent", pick.name, call.id, sig.AgentStatus("ringing"))
            kiosk = s.get(Kiosk, call.kiosk_id)
            name = str(((kiosk.birth or {}).get("identity") or {}).get("name", "")) if kiosk else ""
            self._send(s, "agent", pick.name, call.id, sig.CallRing(
                call.kiosk_id, name[:200], call.item, call.skill, now - call.entered_at, self.cfg.ring_timeout_s,
                call.note))

    def on_duty(self, s: Session, skill: str) -> int:
        return sum(1 for a in s.scalars(select(HelpAgent).where(HelpAgent.state != "offline"))
                   if skill in self.skills_of(a.name))

    def _tell_queue(self, s: Session) -> None:
        """queue.update to each queued kiosk whose position, staffing or callback offer changed."""
        now = self.clock()
        calls = list(s.scalars(select(HelpCall).where(HelpCall.state.in_(QUEUED)).order_by(HelpCall.queued_at)))
        duty: dict[str, int] = {}
        ahead: dict[str, int] = {}
        for call in calls:
            if call.skill not in duty:
                duty[call.skill] = self.on_duty(s, call.skill)
            position = ahead[call.skill] = ahead.get(call.skill, 0) + 1
            staff = duty[call.skill]
            if not call.callback_offered and (staff == 0 or now - call.entered_at >= self.cfg.callback_after_s):
                call.callback_offered = True
                self._event(s, call, "callback_offered", agents_on_duty=staff)
            told = f"{position}:{staff}:{int(call.callback_offered)}"
            if told != call.told:
                call.told = told
                wait = position * self.cfg.typical_handle_s / max(staff, 1)
                self._send(s, "kiosk", call.kiosk_id, call.id,
                           sig.QueueUpdate(position, round(wait, 1), staff, call.callback_offered))

    # ------------------------------------------------------------------ the relay's mailbox
    def take(self, kiosks: list[str], agents: list[str]) -> list[Delivery]:
        """Frames for the sockets this process holds, oldest first, removed as they are taken."""
        if not kiosks and not agents:
            return []

        def run(s: Session) -> list[Delivery]:
            q = select(HelpSignal).where(((HelpSignal.to_kind == "kiosk") & HelpSignal.to_id.in_(kiosks))
                                         | ((HelpSignal.to_kind == "agent") & HelpSignal.to_id.in_(agents)))
            rows = list(s.scalars(q.order_by(HelpSignal.id)))
            if rows:
                s.execute(delete(HelpSignal).where(HelpSignal.id.in_([r.id for r in rows])))
            return [Delivery(r.to_kind, r.to_id, sig.Signal(r.call_id, r.kind, r.body, r.at).encode()) for r in rows]
        return self._tx(run)

    def snapshot(self) -> sig.QueueSnapshot:
        now = self.clock()
        with Session(self.engine) as s:
            calls = [sig.QueuedCall(c.id, c.kiosk_id, c.item, c.skill, c.state, round(now - c.entered_at, 1),
                                    c.agent or "")
                     for c in s.scalars(select(HelpCall).where(HelpCall.state.in_(ACTIVE))
                                        .order_by(HelpCall.queued_at).limit(sig.ITEMS_MAX))]
            agents = [sig.AgentRow(a.name, a.state, round(now - (a.idle_since if a.state == "available" else a.since), 1))
                      for a in s.scalars(select(HelpAgent).where(HelpAgent.state != "offline")
                                         .order_by(HelpAgent.name).limit(sig.ITEMS_MAX))]
        return sig.QueueSnapshot(calls, agents)
