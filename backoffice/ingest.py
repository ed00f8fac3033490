"""Fleet ingest: every kiosk's state, birth, health and events, read through wire and stored.

paho runs its network loop in its own thread; each message is handed to the asyncio loop with
call_soon_threadsafe (as the kiosk's reporter does), and the loop hands it to one store thread, so a
kiosk's reports are written in the order they arrived. Workers read with a shared subscription
(`$share/<group>/kiosk/v1/+/#`): the broker gives each message to one member, so more workers, more
throughput. Bad input is counted by reason and logged with the topic only, never its payload.
"""
from __future__ import annotations

import asyncio
import collections
import re
import ssl
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

import paho.mqtt.client as mqtt
import structlog

from backoffice import callbacks_inbox
from backoffice.store import FleetStore
from wire import messages, topics
from wire.errors import WireError

log = structlog.get_logger("backoffice.ingest")

BAD_REASONS = ("malformed", "version", "wrong_kiosk", "too_large", "topic")
QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")


class Ingest:
    def __init__(self, store: FleetStore, host: str, port: int, *, group: str = "backoffice",
                 client_id: str | None = None, username: str | None = None, password: str | None = None,
                 ca_file: str | None = None, keepalive: int = 30, max_payload: int = 65536):
        self.store = store
        self.host, self.port, self.keepalive = host, port, keepalive
        self.subscription = f"$share/{group}/{topics.PREFIX}/+/#"
        self.max_payload = max_payload
        self.bad: collections.Counter[str] = collections.Counter()  # reason -> count
        self.counts: collections.Counter[str] = collections.Counter()  # stored, duplicate, stale
        # Called in the store thread with (kiosk_id, message) after a report is stored (alerts, statistics).
        self.observers: list[Callable[[str, messages.Message], None]] = []
        self.connected = asyncio.Event()
        self.subscribed = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queue: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue()
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="backoffice-store")
        self._task: asyncio.Task | None = None
        # Parts that follow what kiosks say (backoffice.commands): heard(kiosk_id, msg) after a birth, state or
        # health is stored; reply(kiosk_id, msg) -> bool for a command reply. Called on the store thread.
        self.listeners: list = []
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id or "", clean_session=True)
        if username:
            self.client.username_pw_set(username, password)
        if ca_file:
            self.client.tls_set_context(ssl.create_default_context(cafile=ca_file))
        self.client.reconnect_delay_set(1, 60)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_subscribe = lambda c, u, mid, codes, p: self._call(self.subscribed.set)
        self.client.on_message = self._on_message

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._task = asyncio.create_task(self._drain(), name="backoffice-ingest")
        self.client.connect_async(self.host, self.port, keepalive=self.keepalive)
        self.client.loop_start()

    async def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
        if self._task:
            self._task.cancel()
        self._writer.shutdown(wait=True)

    def publish(self, topic: str, payload: bytes) -> bool:
        """A message of the back office's own (a signed command): QoS 1, never retained; False if not handed over."""
        return self.client.publish(topic, payload, qos=1, retain=False).rc == mqtt.MQTT_ERR_SUCCESS

    async def idle(self) -> None:
        """Returns when every message received so far has been stored (or refused)."""
        await self._queue.join()

    def status(self) -> dict:
        return {"connected": self.connected.is_set(), "bad": {r: self.bad[r] for r in BAD_REASONS},
                "counts": dict(self.counts)}

    # paho thread ------------------------------------------------------------
    def _call(self, fn, *args) -> None:
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(fn, *args)

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            log.warning("ingest.refused", reason=str(reason_code))
            return
        client.subscribe(self.subscription, qos=1)
        self._call(self._connected)

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        self._call(self._disconnected, str(reason_code))

    def _on_message(self, client, userdata, message) -> None:
        # Cut to one byte over the limit here: an oversized payload is never copied whole into the loop.
        self._call(self._queue.put_nowait, (message.topic, bytes(message.payload[:self.max_payload + 1])))

    # loop thread --------------------------------------------------------------
    def _connected(self) -> None:
        log.info("ingest.connected", host=self.host, port=self.port, subscription=self.subscription)
        self.connected.set()

    def _disconnected(self, reason: str) -> None:
        if self.connected.is_set():
            log.warning("ingest.disconnected", reason=reason)
        self.connected.clear()
        self.subscribed.clear()

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            topic, payload = await self._queue.get()
            try:
                await loop.run_in_executor(self._writer, self.handle, topic, payload)
            except Exception:  # a store failure must not end ingest; the report is lost and said so
                self.counts["failed"] += 1
                log.exception("ingest.store_failed", topic="/".join(topic.split("/")[:4])[:64])
            finally:
                self._queue.task_done()

    # store thread -------------------------------------------------------------
    def handle(self, topic: str, payload: bytes) -> None:
        """Read one report through wire and store it; anything that does not fit is counted, never stored."""
        try:
            kiosk_id, which = topics.parse_topic(topic)
        except WireError as exc:
            return self._refuse("topic", topic, exc)
        if which is topics.CMD:
            return  # the back office's own commands, signed; wire.signing reads them, not ingest
        if len(payload) > self.max_payload:
            return self._refuse("too_large", topic, None)
        try:
            msg = messages.decode(which, payload)
        except WireError as exc:
            return self._refuse("version" if exc.at == "v" and "version" in exc.detail else "malformed", topic, exc)
        if isinstance(msg, messages.Birth) and msg.kiosk_id != kiosk_id:
            return self._refuse("wrong_kiosk", topic, None)
        if isinstance(msg, messages.CallbackRequest):  # its phone number is stored masked, never in clear
            msg = callbacks_inbox.take(self.store.engine, kiosk_id, msg)
        stored = self._store(kiosk_id, msg)
        for observe in self.observers if stored else ():
            try:
                observe(kiosk_id, msg)
            except Exception:  # an observer's failure is its own: the report is stored all the same
                log.exception("ingest.observer_failed", observer=getattr(observe, "__qualname__", "?"))
        self.counts[{True: "stored", False: "duplicate" if isinstance(msg, messages.Event) else "stale",
                     None: "ignored"}[stored]] += 1

    def _store(self, kiosk_id: str, msg) -> bool | None:
        if isinstance(msg, messages.REPLIES):
            return any([self._tell(lst.reply, kiosk_id, msg) for lst in self.listeners]) if self.listeners else None
        stored = self._store_fact(kiosk_id, msg)
        if stored and not isinstance(msg, messages.Event):
            for lst in self.listeners:
                self._tell(lst.heard, kiosk_id, msg)
        return stored

    def _tell(self, fn, kiosk_id: str, msg) -> bool:
        """A listener's failure is logged and contained: the report itself was stored."""
        try:
            return bool(fn(kiosk_id, msg))
        except Exception:
            log.exception("ingest.listener_failed", listener=getattr(fn, "__qualname__", "?"), kiosk=kiosk_id)
            return False

    def _store_fact(self, kiosk_id: str, msg) -> bool | None:
        if isinstance(msg, messages.Birth):
            return self.store.birth(kiosk_id, msg)
        if isinstance(msg, messages.State):
            ok = self.store.state(kiosk_id, msg)
            if not ok:
                log.info("ingest.stale_state", kiosk=kiosk_id, state=msg.state, session_seq=msg.session_seq)
            return ok
        if isinstance(msg, messages.Health):
            return self.store.health(kiosk_id, msg)
        if isinstance(msg, messages.Event):
            return self.store.event(kiosk_id, msg)
        return None

    def _refuse(self, reason: str, topic: str, exc: WireError | None) -> None:
        self.bad[reason] += 1
        log.warning("ingest.bad_report", reason=reason, topic="/".join(topic.split("/")[:3])[:48],
                    **(_located(exc) if exc else {}))


def _located(exc: WireError) -> dict:
    """Where and why, never what: a field path can hold a payload's dict key (an ID number used as a device
    role) and a detail can quote a key, so only the top-level field is kept and quoted parts are blanked."""
    field = re.split(r"[.\[]", exc.at, maxsplit=1)[0]
    return {"field": field if re.fullmatch(r"[a-z_]{1,32}", field) else None,
            "detail": QUOTED.sub("'…'", exc.detail)[:120]}
