"""The kiosk's MQTT link to the fleet: state with a Last Will, birth, health, events, commands.

Topics and messages are the wire contract's (wire.topics, wire.messages):
`state` (retained; the Will sets `lost`), `birth` (retained, with a session
counter persisted across restarts so the console can tell a stale Will from
the current session), `health` (retained, periodic and on change), `events`
(QoS 1, from the durable outbox, in order), `cmd` answered on `cmd/resp`.
Commands are admitted only through the CommandGate (signed, for this kiosk,
current, not seen before, not retained, within the rate limit), then run by
the handler registered for their name.

paho runs its network loop on its own thread; everything it reports is
handed to the asyncio loop with call_soon_threadsafe, and commands run there.
"""
from __future__ import annotations

import asyncio
import dataclasses
import ssl
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import structlog

from kiosk.system.durable import write_atomically
from kiosk.fleet.gate import CommandGate, Refusal
from kiosk.fleet.mqtt_client import mqtt
from kiosk.fleet.outbox import Outbox
from kiosk.fleet.remote import CommandRegistry
from wire import codec, topics
from wire.commands import NAMES, PING, Pong
from wire.messages import Birth, Event, Health, LinkFlags, OutboxFigures, Refused, Result, State
from wire.signing import MAX_SIZE
from wire.signing import VERSION as COMMAND_ENVELOPE

log = structlog.get_logger("kiosk.mqtt")
MAX_INFLIGHT = 20
HEALTH_SETTLE_S = 0.1  # a change to health is published this long after it (see MqttReporter.health_changed)


def next_session_seq(path: Path) -> int:
    """Read, increment and durably store the connection-session counter (atomic rename)."""
    try:
        seq = int(path.read_text().strip()) + 1
    except (OSError, ValueError):
        seq = 1
    write_atomically(path, str(seq).encode())
    return seq


class MqttReporter:
    def __init__(self, kiosk_id: str, host: str, port: int, outbox: Outbox, var_dir: Path, *,
                 username: str | None = None, password: str | None = None, ca_file: str | None = None,
                 cert_file: str | None = None, key_file: str | None = None, keepalive: int = 30,
                 health_interval_s: float = 60.0, versions: dict | None = None,
                 commands: CommandRegistry | None = None, gate: CommandGate | None = None, insecure: bool = False,
                 identity: dict[str, str] | None = None):
        self.kiosk_id = topics.check_kiosk_id(kiosk_id)
        self.host, self.port, self.keepalive = host, port, keepalive
        self.outbox = outbox
        self.health_interval_s = health_interval_s
        self.commands = commands or CommandRegistry()
        self.commands.register(PING, self._ping)
        self.gate = gate or CommandGate(kiosk_id, None, None)  # no key: every command refused
        self.tls = bool(ca_file or cert_file)
        self.insecure = insecure and not self.tls
        self._health_fn: Callable[[], Health] | None = None
        self._health_due: asyncio.TimerHandle | None = None  # see health_changed
        self.versions = versions or {}
        self.identity = identity or {}
        self.session_seq = next_session_seq(var_dir / "mqtt_session_seq")
        self.boot_id = _boot_id()
        self.connected = asyncio.Event()
        self.listening = asyncio.Event()  # the broker acknowledged our cmd subscription
        self._loop: asyncio.AbstractEventLoop | None = None
        self._inflight: dict[int, int] = {}  # paho mid -> outbox row id
        self._last_health: str | None = None
        self._health: Health | None = None
        self._state = "starting"
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"kiosk-{kiosk_id}",
                                  clean_session=True)
        if username:
            self.client.username_pw_set(username, password)
        if ca_file or cert_file:
            ctx = ssl.create_default_context(cafile=ca_file)
            if cert_file:
                ctx.load_cert_chain(cert_file, key_file)
            self.client.tls_set_context(ctx)
        self.client.will_set(self._topic(topics.STATE), self._state_payload("lost"), qos=1, retain=True)
        self.client.reconnect_delay_set(1, 60)
        self.client.max_inflight_messages_set(MAX_INFLIGHT)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_publish = self._on_publish
        self.client.on_message = self._on_message
        self.client.on_subscribe = lambda c, u, mid, codes, p: self._call(self.listening.set)

    # ------------------------------------------------------------------ api
    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        if self.insecure:
            log.warning("mqtt.insecure", host=self.host, detail="password sent without TLS (telemetry.insecure)")
        self.client.connect_async(self.host, self.port, keepalive=self.keepalive)
        self.client.loop_start()

    async def stop(self) -> None:
        """A clean goodbye: the Will is not sent after DISCONNECT, so say `disconnected` ourselves."""
        if self.client.is_connected():
            info = self.client.publish(self._topic(topics.STATE), self._state_payload("disconnected"), qos=1,
                                       retain=True)
            await asyncio.get_running_loop().run_in_executor(None, info.wait_for_publish, 2)
        if self._health_due is not None:
            self._health_due.cancel()
            self._health_due = None
        self.client.disconnect()
        self.client.loop_stop()

    def set_state(self, state: str) -> None:
        if state != self._state:
            self._state = state
            self._publish(topics.STATE, self._state_payload(state), retain=True)

    def set_health(self, health: Health) -> None:
        """Publish now if anything but the system figures changed; periodic publishing is `run_periodic`."""
        self._health = dataclasses.replace(health, **self._own_health())
        key = codec.dump(self._health.facts())
        if key != self._last_health:
            self._last_health = key
            self._publish_health()

    def health_changed(self) -> None:
        """Something health shows may have changed: a snapshot is taken HEALTH_SETTLE_S later and published if it
        differs. Once for a burst (a visit's start changes the mode, the tiles and the card reader together), and
        never inside the tap that caused the change: snapshot and publish took 5 ms, a tenth of a tap's budget
        (bench/bench_ui.py), where the screen was still to be drawn."""
        if self._health_fn is None or self._health_due is not None:
            return
        if self._loop is None or self._loop.is_closed():
            self._health_now()
            return
        self._health_due = self._loop.call_later(HEALTH_SETTLE_S, self._health_now)

    def _health_now(self) -> None:
        self._health_due = None
        if self._health_fn is not None:
            self.set_health(self._health_fn())

    async def run_periodic(self, health_fn: Callable[[], Health]) -> None:
        self._health_fn = health_fn
        while True:
            self._health = dataclasses.replace(health_fn(), **self._own_health())
            self._publish_health()
            await asyncio.sleep(self.health_interval_s)

    def event(self, event: Event) -> None:
        """Store first, then send: an event the caller has handed over is never lost."""
        stamped = dataclasses.replace(event, session_seq=self.session_seq, at=time.time(), seq=self.outbox.next_seq())
        self.outbox.put(self._topic(topics.EVENTS), stamped.encode())
        self._flush()

    # ------------------------------------------------------------- plumbing
    def _topic(self, which: topics.Topic) -> str:
        return topics.topic(self.kiosk_id, which)

    def _state_payload(self, state: str) -> str:
        return State(state, self.session_seq, time.time()).encode()

    def _publish(self, which: topics.Topic, payload: str, *, retain: bool = False):
        return self.client.publish(self._topic(which), payload, qos=which.qos, retain=retain)

    def _own_health(self) -> dict:
        """The health fields the link itself knows, for dataclasses.replace."""
        return {"commands": self.gate.stats(), "telemetry": LinkFlags(self.tls, self.insecure)}

    def _publish_health(self) -> None:
        if self.client.is_connected() and self._health is not None:
            body = dataclasses.replace(self._health, outbox=OutboxFigures(self.outbox.depth(), self.outbox.dropped()),
                                       session_seq=self.session_seq, at=time.time(), seq=self.outbox.next_seq())
            self._publish(topics.HEALTH, body.encode(), retain=True)

    def _flush(self) -> None:
        if not self.client.is_connected():
            return
        room = MAX_INFLIGHT - len(self._inflight)
        queued = set(self._inflight.values())
        for row_id, topic, payload in self.outbox.pending(limit=MAX_INFLIGHT * 2):
            if room <= 0:
                break
            if row_id in queued:
                continue
            info = self.client.publish(topic, payload, qos=topics.EVENTS.qos)
            self._inflight[info.mid] = row_id
            room -= 1

    def _call(self, fn, *args) -> None:
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(fn, *args)

    # paho thread ------------------------------------------------------------
    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            log.warning("mqtt.refused", reason=str(reason_code))
            return
        self._call(self._connected)

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        self._call(self._disconnected, str(reason_code))

    def _on_publish(self, client, userdata, mid, reason_code, properties) -> None:
        self._call(self._published, mid)

    def _on_message(self, client, userdata, message) -> None:
        self._call(self._command, bytes(message.payload[:MAX_SIZE + 1]), bool(message.retain))

    # loop thread --------------------------------------------------------------
    def _connected(self) -> None:
        log.info("mqtt.connected", host=self.host, port=self.port, session_seq=self.session_seq)
        self._inflight.clear()  # a new connection: anything unacknowledged is sent again from the outbox
        birth = Birth(self.kiosk_id, self.boot_id, self.session_seq, self.versions, list(NAMES),
                      COMMAND_ENVELOPE, self.gate.enabled, time.time(), self.identity, self.health_interval_s)
        self._publish(topics.BIRTH, birth.encode(), retain=True)
        self._publish(topics.STATE, self._state_payload(self._state), retain=True)
        self.client.subscribe(self._topic(topics.CMD), qos=topics.CMD.qos)
        self.connected.set()
        self._publish_health()
        self._flush()

    def _disconnected(self, reason: str) -> None:
        if self.connected.is_set():
            log.warning("mqtt.disconnected", reason=reason, outbox=self.outbox.depth())
        self.connected.clear()
        self.listening.clear()

    def _published(self, mid: int) -> None:
        row_id = self._inflight.pop(mid, None)
        if row_id is not None:
            self.outbox.ack(row_id)
            self._flush()

    def _command(self, raw: bytes, retained: bool = False) -> None:
        asyncio.get_running_loop().create_task(self._handle_command(raw, retained))

    async def _handle_command(self, raw: bytes, retained: bool = False) -> None:
        """Untrusted input: the gate decides, and every message gets an answer (id null if it had none)."""
        verdict = self.gate.admit(raw, retained=retained)
        if isinstance(verdict, Refusal):
            reply = Refused(verdict.id, verdict.reason, verdict.detail)
        else:
            reply = await self.commands.answer(verdict)
            log.info("mqtt.command", cmd=verdict.cmd, id=verdict.id, ok=isinstance(reply, Result))
        self._publish(topics.CMD_RESP, reply.encode())
        self.health_changed()

    async def _ping(self, args: dict) -> Pong:
        return Pong(pong=True, state=self._state)


def _boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return str(uuid.uuid4())
