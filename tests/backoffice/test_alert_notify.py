"""Alert notifications really sent: a webhook receiver and an SMTP sink on loopback, routed per hall, signed,
retried, rate-limited, and carrying nothing but the kiosk id, hall, rule and state."""
from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json

import pytest

from backoffice.keys import ALERTS
from tests.backoffice import reports
from tests.backoffice.served import start_console
from tests.backoffice.sinks import SmtpSink, WebhookReceiver, until
from wire import codec, topics

pytestmark = pytest.mark.asyncio

SECRET_ID = "110101199003077777"  # planted in what a kiosk reports: no notification may carry it
KEY = "webhook-test-key"


def send(client, kiosk_id: str, which, msg) -> None:
    client.publish(topics.topic(kiosk_id, which), codec.dump(msg.as_dict()), qos=1).wait_for_publish(5)


async def stored(console, kiosk_id: str, n: int) -> None:
    """Wait until ingest has stored n reports in all (the alert is judged in the same step)."""
    await until(lambda: console.ingest.counts["stored"] >= n)


@pytest.fixture
async def sinks(monkeypatch):
    monkeypatch.setenv("HOOK_KEY", KEY)
    hook = await WebhookReceiver(fail_first=1).start()
    smtp = SmtpSink().start()
    yield hook, smtp
    await hook.stop()
    smtp.stop()


def routed(hook, smtp, **alerts) -> dict:
    return {"alerts": {"webhooks": {"ops": {"url": hook.url, "secret_env": "HOOK_KEY", "timeout_s": 2}},
                       "mailboxes": {"east": {"to": ["east@example.gov.cn"]}},
                       "smtp": {"host": "127.0.0.1", "port": smtp.port, "sender": "alerts@example.gov.cn"},
                       "routes": {"市民中心": ["ops"], "东城区": ["east"]}, **alerts}}


async def test_each_hall_gets_its_alerts_by_its_own_channel_signed_and_nothing_personal(
        tmp_path, broker, kiosk, sinks):
    hook, smtp = sinks
    console = await start_console(tmp_path, broker.port, config=routed(hook, smtp))
    console.app[ALERTS].notifier.backoff_s = 0.05
    try:
        send(kiosk, "K-1", topics.BIRTH, reports.birth("K-1", hall="市民中心", region="西城区", maintainer=SECRET_ID))
        send(kiosk, "K-2", topics.BIRTH, reports.birth("K-2", hall="社区中心", region="东城区"))
        await stored(console, "", 2)
        for k in ("K-1", "K-2"):
            send(kiosk, k, topics.HEALTH, _detailed(reports.health(paper="paper_out"), SECRET_ID))
        await stored(console, "", 4)
        await until(lambda: hook.received and smtp.messages)
        await console.app[ALERTS].notifier.idle()
    finally:
        await console.stop()

    assert hook.attempts == 2  # the first answer was a 503: sent again after a backoff
    (headers, body), = hook.received
    notice = json.loads(body)
    assert (notice["event"], notice["alert"]["kiosk_id"], notice["alert"]["rule"], notice["alert"]["hall"]) == \
        ("raised", "K-1", "paper_out", "市民中心")
    mac = hmac.new(KEY.encode(), headers["X-Kiosk-Timestamp"].encode() + b"." + body, hashlib.sha256).hexdigest()
    assert headers["X-Kiosk-Signature"] == f"sha256={mac}"

    (to, mail), = smtp.messages  # K-2: its region routes to the mailbox, its hall nowhere
    assert to == ["east@example.gov.cn"]
    assert "K-2" in mail["Subject"] and "paper_out" in mail["Subject"]
    assert "社区中心" in mail.get_content()
    for text in (body.decode(), mail.as_string(), mail.get_content()):
        assert SECRET_ID not in text


async def test_a_flapping_fault_sends_one_raise_and_its_clear_and_a_storm_is_capped(tmp_path, broker, kiosk, sinks):
    hook, smtp = sinks
    hook.fail_first = 0
    console = await start_console(tmp_path, broker.port, config=routed(hook, smtp, notify_max_per_minute=3))
    try:
        send(kiosk, "K-1", topics.BIRTH, reports.birth("K-1"))
        n = 1
        for paper in ("paper_out", None, "paper_out", None, "paper_out"):  # a sensor flapping
            send(kiosk, "K-1", topics.HEALTH, reports.health(paper=paper))
            n += 1
        await stored(console, "", n)
        await console.app[ALERTS].notifier.idle()
        assert [json.loads(b)["event"] for _, b in hook.received] == ["raised", "cleared"]
        assert [a["status"] for a in console.app[ALERTS].store.alerts(kiosk_id="K-1")] == ["open", "cleared", "cleared"]

        for k in ("K-2", "K-3", "K-4"):  # a storm: three more kiosks in the same minute, two more fit
            send(kiosk, k, topics.BIRTH, reports.birth(k))
            send(kiosk, k, topics.HEALTH, reports.health(paper="paper_out"))
            n += 2
        await stored(console, "", n)
        await console.app[ALERTS].notifier.idle()
        assert len(hook.received) == 3
        assert console.app[ALERTS].notifier.counts[("webhook", "dropped")] == 2
    finally:
        await console.stop()


def _detailed(health, text):
    """The printer's technician-facing detail carries planted text: it must not travel on."""
    return dataclasses.replace(health, devices={role: dataclasses.replace(d, detail=text)
                                                for role, d in health.devices.items()})
