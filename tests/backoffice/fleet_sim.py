"""Simulated kiosks for the ingest tests: each its own MQTT 3.1.1 client, publishing numbered reports built
through wire, and remembering which ones the broker acknowledged (PUBACK): the reports it has handed over."""
from __future__ import annotations

import paho.mqtt.client as mqtt

from wire import messages, topics


def health(seq: int, session_seq: int = 1) -> messages.Health:
    return messages.Health(
        state="in_service", mode="home", maintenance_pending=False,
        devices={"receipt": messages.DeviceHealth("ok", [], "")}, items={"queue": messages.ItemHealth(True, [])},
        system={"uptime_s": seq}, versions={"app": "0.1.0"}, counters=messages.VisitCounts(seq, {}, {}, {}),
        journal=messages.JournalFlags(True), session_seq=session_seq, at=1000.0 + seq, seq=seq)


def visit(seq: int, session_seq: int = 1) -> messages.Visit:
    return messages.Visit(flow="queue", result="completed", reason="", printed={"receipt": 1}, tickets=1,
                          session_seq=session_seq, at=1000.0 + seq, seq=seq)


class SimKiosk:
    """Odd numbers are events, even numbers health, so both kinds interleave as a real kiosk's do."""

    def __init__(self, kiosk_id: str, port: int):
        self.kiosk_id = kiosk_id
        self.sent: list[tuple[str, int, mqtt.MQTTMessageInfo]] = []
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"kiosk-{kiosk_id}")
        self.client.connect("127.0.0.1", port, keepalive=10)
        self.client.loop_start()

    def publish(self, seq: int) -> None:
        which, msg = (topics.EVENTS, visit(seq)) if seq % 2 else (topics.HEALTH, health(seq))
        info = self.client.publish(topics.topic(self.kiosk_id, which), msg.encode(), qos=1)
        self.sent.append((which.name, seq, info))

    def acked(self, which: str) -> list[int]:
        """The numbers of the reports of that kind the broker has acknowledged (PUBACK received)."""
        return [seq for name, seq, info in self.sent if name == which and info.is_published()]

    def handed_over(self) -> int:
        return sum(info.is_published() for _, _, info in self.sent)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
