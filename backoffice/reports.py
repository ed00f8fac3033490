"""The one way a payload from the fleet becomes a report the store may keep, whichever broker carried it.

Both ingest paths (MQTT, backoffice/ingest.py; NATS JetStream, backoffice/ingest_nats.py) hand every
(topic, payload) to a Reader. What does not fit the wire contract (an unknown topic, a payload too large,
not JSON, a field of the wrong type, an unknown version, a birth claiming another kiosk's id) is counted by
reason and logged with where and why, never with the payload, and never reaches the store.
"""
from __future__ import annotations

import collections
import functools
import re
from dataclasses import dataclass

import structlog

from wire import codec, messages, schema, topics
from wire.errors import WireError

log = structlog.get_logger("backoffice.ingest")

BAD_REASONS = ("malformed", "version", "wrong_kiosk", "too_large", "topic")
QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")


@dataclass(frozen=True, slots=True)
class Report:
    """A checked report: its body holds only the fields its class declares (wire.messages.read)."""
    kiosk_id: str
    cls: type[schema.Message]
    body: dict
    # A health's payload as sent, when its body is all of it: the store keeps it as the kiosk's current
    # health without encoding the body again (a tenth of a worker's time). None for every other report.
    text: str | None = None

    def message(self) -> schema.Message:
        """The typed message, for the parts that want one; the store works on the body."""
        return schema.build(self.cls, self.body)


class Reader:
    def __init__(self, max_payload: int = 65536):
        self.max_payload = max_payload
        self.bad: collections.Counter[str] = collections.Counter()  # reason -> count

    def read(self, topic: str, payload: bytes) -> Report | None:
        """The report in `payload`, or None when it is not one the store may keep (counted and logged)."""
        try:
            kiosk_id, which = _parse_topic(topic)
        except WireError as exc:
            return self._refuse("topic", topic, exc)
        if which is topics.CMD:
            return None  # the back office's own commands, signed; wire.signing reads them, not ingest
        if len(payload) > self.max_payload:
            return self._refuse("too_large", topic, None)
        try:
            cls, body, whole = messages.read_whole(which, payload)
        except WireError as exc:
            return self._refuse("version" if exc.at == "v" and "version" in exc.detail else "malformed", topic, exc)
        if cls is messages.Birth and body["kiosk_id"] != kiosk_id:
            return self._refuse("wrong_kiosk", topic, None)
        return Report(kiosk_id, cls, body, codec.text(payload) if whole and cls is messages.Health else None)

    def _refuse(self, reason: str, topic: str, exc: WireError | None) -> None:
        self.bad[reason] += 1
        log.warning("ingest.bad_report", reason=reason, topic="/".join(topic.split("/")[:3])[:48],
                    **(_located(exc) if exc else {}))


@functools.lru_cache(maxsize=1 << 18)  # a few topics per kiosk: a province's fleet fits
def _parse_topic(topic: str) -> tuple[str, topics.Topic]:
    return topics.parse_topic(topic)


def _located(exc: WireError) -> dict:
    """Where and why, never what: a field path can hold a payload's dict key (an ID number used as a device
    role) and a detail can quote a key, so only the top-level field is kept and quoted parts are blanked."""
    field = re.split(r"[.\[]", exc.at, maxsplit=1)[0]
    return {"field": field if re.fullmatch(r"[a-z_]{1,32}", field) else None,
            "detail": QUOTED.sub("'…'", exc.detail)[:120]}
