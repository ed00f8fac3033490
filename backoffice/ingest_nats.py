"""Fleet ingest from a NATS cluster with JetStream, the production path.

Kiosks are unchanged: they speak MQTT 3.1.1 to the cluster's MQTT listeners. A node answers a kiosk's QoS 1
PUBLISH with PUBACK only once it has stored the message in JetStream, in the stream the MQTT listener keeps
for itself, `$MQTT_msgs` (subjects `$MQTT.msgs.<topic with / as .>`, replicated on `mqtt { stream_replicas }`
nodes). So that is the stream the back office reads: a report a kiosk has handed over is in it. (A stream
of our own capturing the plain subjects kiosk.v1.> would get a copy with no such promise: while it elects
a new leader after a node's loss, kiosks still get their PUBACKs and the copies are lost; the failover
test showed it.) The stream keeps a message while a consumer is interested in it, so the back office's
durable consumer (named by [ingest] group, filtered on the kiosks' topics) holds every report until it is
stored; every worker pulls from that one consumer, so JetStream shares the reports among them like a
queue group, and adding workers adds throughput. A message is acknowledged only after its batch is
committed (backoffice/pipeline.py): a worker killed mid-batch leaves its messages to be delivered again
after `ack_wait`, to whichever worker asks next, and the store keeps each report once (kiosk, seq).

The listener creates `$MQTT_msgs` when the first MQTT client connects; until then (a new cluster) the worker
waits for it, retrying with backoff. nats-py reconnects by itself to another node of the cluster; when none
answers at start, or the connection is closed, this loop tries again with backoff. A reconnection is not yet
data flowing: after the whole cluster restarts, the consumer has no leader until its replicas elect one, and
pulls sent before that go unanswered. So the ingest counts as up again (and the API stops saying the data is
stale) only once the consumer answers an info request, or reports arrive.
"""
from __future__ import annotations

import asyncio
import ssl
from concurrent.futures import ThreadPoolExecutor

import nats
import structlog
from nats.errors import TimeoutError as NatsTimeout
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from backoffice.pipeline import BACKOFF_S, BATCH, Pipeline, Stopped
from backoffice.store import FleetStore
from wire import topics

log = structlog.get_logger("backoffice.ingest")

STREAM = "$MQTT_msgs"  # nats-server's own stream of the QoS 1 messages MQTT clients publish
SUBJECT_PREFIX = "$MQTT.msgs."
FILTER = SUBJECT_PREFIX + topics.PREFIX.replace("/", ".") + ".>"  # the kiosks' topics only
MAX_ACK_PENDING = 20_000  # across all workers: enough batches in flight for a dozen workers


def topic_of(subject: str) -> str:
    """$MQTT.msgs.kiosk.v1.K-001.cmd.resp -> kiosk/v1/K-001/cmd/resp (kiosk ids hold no '.', wire.topics)."""
    return subject.removeprefix(SUBJECT_PREFIX).replace(".", "/")


class NatsIngest(Pipeline):
    def __init__(self, store: FleetStore, servers: list[str], *, durable: str = "backoffice",
                 username: str | None = None, password: str | None = None, ca_file: str | None = None,
                 max_payload: int = 65536, ack_wait_s: int = 30):
        super().__init__(store, max_payload)
        self.servers, self.durable = servers, durable
        self._auth = {"user": username, "password": password} if username else {}
        self._tls = ssl.create_default_context(cafile=ca_file) if ca_file else None
        self.max_payload, self.ack_wait_s = max_payload, ack_wait_s
        self.connected = asyncio.Event()
        self.subscribed = asyncio.Event()  # bound to the durable consumer: reports flow
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="backoffice-store")
        self._task: asyncio.Task | None = None
        self._nc = None
        self._js = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._task = asyncio.create_task(self._run(), name="backoffice-ingest-nats")

    async def stop(self) -> None:
        self._stopping.set()
        if self._task:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):
                pass
        await self._close()
        self._writer.shutdown(wait=True)

    def publish(self, topic: str, payload: bytes) -> bool:
        """A signed command to a kiosk, on the plain subject the MQTT listener delivers to the kiosk's `cmd`
        subscription. Core NATS is at most once: the commands part sends again until the kiosk answers."""
        nc, loop = self._nc, self._loop
        if nc is None or loop is None or loop.is_closed() or not nc.is_connected:
            return False
        loop.call_soon_threadsafe(lambda: loop.create_task(nc.publish(topic.replace("/", "."), payload)))
        return True

    async def _run(self) -> None:
        wait = BACKOFF_S[0]
        while not self._stopping.is_set():
            try:
                sub = await self._bind()
                wait = BACKOFF_S[0]
                await self._consume(sub)
            except Stopped:
                return
            except Exception as exc:  # no node answers, the stream is not ready, the connection closed
                self._mark_down(type(exc).__name__)
                await self._close()
                await asyncio.sleep(wait)  # backoff before trying the cluster again
                wait = min(wait * 2, BACKOFF_S[1])

    async def _bind(self):
        self._nc = await nats.connect(
            servers=self.servers, name=f"backoffice-{self.durable}", tls=self._tls, connect_timeout=3,
            max_reconnect_attempts=-1, reconnect_time_wait=1, allow_reconnect=True,
            disconnected_cb=self._on_disconnected, reconnected_cb=self._on_reconnected,
            error_cb=self._on_error, **self._auth)
        js = self._js = self._nc.jetstream(timeout=10)
        await js.stream_info(STREAM)  # NotFoundError until the first kiosk connects: retried with backoff
        await js.add_consumer(STREAM, ConsumerConfig(
            durable_name=self.durable, filter_subject=FILTER, ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL, ack_wait=self.ack_wait_s, max_ack_pending=MAX_ACK_PENDING,
            max_deliver=-1))
        sub = await js.pull_subscribe_bind(self.durable, STREAM)
        self._mark_up()
        self.subscribed.set()
        log.info("ingest.connected", servers=self.servers, stream=STREAM, consumer=self.durable)
        return sub

    async def _consume(self, sub) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                msgs = await sub.fetch(BATCH, timeout=1)
            except NatsTimeout:
                if self._nc.is_closed:
                    raise ConnectionError("connection closed")
                if self._nc.is_connected and not self.connected.is_set():  # reconnected: does the consumer answer?
                    await self._consumer_answers()
                continue  # nothing to read, or a node went away and nats-py is reconnecting
            if not self.connected.is_set():  # reports arrive after a reconnect: the consumer has a leader
                self._mark_up()
            items = [(topic_of(m.subject), m.data[:self.max_payload + 1]) for m in msgs]
            await loop.run_in_executor(self._writer, self.process, items)  # returns once committed
            for m in msgs:
                try:
                    await m.ack()
                except Exception:  # the connection dropped: JetStream delivers it again; the store keeps it once
                    self.counts["ack_lost"] += 1

    async def _consumer_answers(self) -> None:
        try:
            await self._js.consumer_info(STREAM, self.durable, timeout=2)
        except Exception as exc:  # no leader yet (timeout), or the cluster still recovering its assets
            log.debug("ingest.consumer_not_ready", error=type(exc).__name__)
            return
        log.info("ingest.consumer_ready", consumer=self.durable)
        self._mark_up()

    async def _close(self) -> None:
        nc, self._nc = self._nc, None
        self.subscribed.clear()
        if nc is not None and not nc.is_closed:
            try:
                await nc.close()
            except Exception:
                pass  # closing a connection that is already broken

    def _mark_up(self) -> None:
        if self.broker.mark(True):
            self.connected.set()

    def _mark_down(self, detail: str) -> None:
        if self.broker.mark(False, detail):
            log.warning("ingest.disconnected", detail=detail)
        self.connected.clear()

    async def _on_disconnected(self) -> None:
        self._mark_down("disconnected")

    async def _on_reconnected(self) -> None:
        url = self._nc.connected_url if self._nc else None
        log.info("ingest.reconnected", server=f"{url.hostname}:{url.port}" if url else None)
        # not up yet: the next idle pull asks whether the consumer answers (_consume)

    async def _on_error(self, exc: Exception) -> None:
        log.debug("ingest.nats_error", error=type(exc).__name__)
