"""Fleet ingest over MQTT, the embedded default: every kiosk's state, birth, health and events, stored.

Workers read with a shared subscription (`$share/<group>/kiosk/v1/+/#`): the broker gives each message to
one member, so more workers, more throughput. paho's network thread puts each message in a bounded inbox;
the store thread takes what has gathered (up to a batch), reads it through wire and writes it in one
transaction (backoffice/pipeline.py, shared with the NATS path). paho acknowledges a QoS 1 message when it
arrives, so a report in the inbox lives in this process only: while the database is down the inbox fills,
then paho stops reading and the broker holds the rest. For reports that must survive a worker's death, use
the NATS JetStream path, which acknowledges after commit.
"""
from __future__ import annotations

import asyncio
import queue
import ssl
import threading
import time

import paho.mqtt.client as mqtt
import structlog

from backoffice import mqtt_socket
from backoffice.pipeline import BATCH, Pipeline, Stopped
from backoffice.store import FleetStore
from wire import topics

log = structlog.get_logger("backoffice.ingest")

INBOX = 20_000  # messages waiting for the store thread; then paho's thread waits, and the broker holds them
# How long a batch waits to fill: a trickle of reports would otherwise cost a transaction each, and 50 ms
# is nothing beside the console's two seconds from a kiosk's report to the screen.
LINGER_S = 0.05


class Ingest(Pipeline):
    def __init__(self, store: FleetStore, host: str, port: int, *, group: str = "backoffice",
                 client_id: str | None = None, username: str | None = None, password: str | None = None,
                 ca_file: str | None = None, keepalive: int = 30, max_payload: int = 65536):
        super().__init__(store, max_payload)
        self.host, self.port, self.keepalive = host, port, keepalive
        self.subscription = f"$share/{group}/{topics.PREFIX}/+/#"
        self.max_payload = max_payload
        self.connected = asyncio.Event()
        self.subscribed = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._inbox: queue.SimpleQueue[tuple[str, bytes] | None] = queue.SimpleQueue()  # C-fast; bounded below
        self._room = threading.Event()  # set while the inbox has room
        self._room.set()
        self._thread = threading.Thread(target=self._run, name="backoffice-store", daemon=True)
        self.client = mqtt_socket.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id or "",
                                         clean_session=True)
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
        self._thread.start()
        self.client.connect_async(self.host, self.port, keepalive=self.keepalive)
        self.client.loop_start()

    async def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
        self._stopping.set()
        self._room.set()
        self._inbox.put(None)
        await asyncio.to_thread(self._thread.join, 10)

    def publish(self, topic: str, payload: bytes) -> bool:
        """A message of the back office's own (a signed command): QoS 1, never retained; False if not handed over."""
        return self.client.publish(topic, payload, qos=1, retain=False).rc == mqtt.MQTT_ERR_SUCCESS

    # paho thread ------------------------------------------------------------
    def _call(self, fn, *args) -> None:
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(fn, *args)

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            log.warning("ingest.refused", reason=str(reason_code))
            return
        client.subscribe(self.subscription, qos=1)
        self.broker.mark(True)
        self._call(self._connected)

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        was = self.broker.up
        self.broker.mark(False, str(reason_code))
        if was:
            log.warning("ingest.disconnected", reason=str(reason_code))
        self._call(self._disconnected)

    def _on_message(self, client, userdata, message) -> None:
        # Cut to one byte over the limit here: an oversized payload is never copied whole.
        if self._inbox.qsize() >= INBOX:  # the store thread is behind (or the database is down): hold the broker back
            self._room.clear()
            while not self._room.wait(1) and not self._stopping.is_set():
                continue
        self._inbox.put((message.topic, bytes(message.payload[:self.max_payload + 1])))

    # loop thread --------------------------------------------------------------
    def _connected(self) -> None:
        log.info("ingest.connected", host=self.host, port=self.port, subscription=self.subscription)
        self.connected.set()

    def _disconnected(self) -> None:
        self.connected.clear()
        self.subscribed.clear()

    # store thread -------------------------------------------------------------
    def _run(self) -> None:
        while True:
            batch = [self._inbox.get()]
            until = time.monotonic() + LINGER_S
            while batch[-1] is not None and len(batch) < BATCH:
                try:
                    batch.append(self._inbox.get_nowait())
                except queue.Empty:
                    left = until - time.monotonic()
                    if left <= 0:
                        break
                    # What arrives meanwhile is taken in one go after the linger: waiting on the inbox instead
                    # would wake this thread (and take the GIL from paho's) once per report.
                    time.sleep(left)
            stopping = batch[-1] is None
            if stopping:
                batch.pop()
            if self._inbox.qsize() < INBOX // 2:
                self._room.set()
            try:
                if batch:
                    self.process(batch)
            except Stopped:
                return
            except Exception as exc:  # a bug must not end ingest: the batch is lost and said so, without payloads
                self.counts["failed"] += len(batch)
                log.error("ingest.batch_failed", error=type(exc).__name__, reports=len(batch))
            if stopping:
                return
