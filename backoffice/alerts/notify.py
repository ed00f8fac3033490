"""Notifications: each alert raised or cleared goes to the webhooks and mailboxes its hall and region route to.

A notice carries the kiosk id, hall, region, rule and state, never anything of a citizen's. Webhooks get a JSON
POST signed with HMAC-SHA256 over "<timestamp>.<body>" (X-Kiosk-Timestamp, X-Kiosk-Signature: sha256=<hex>),
so a receiver can check both origin and freshness. Mail goes through smtplib in a worker thread. Both retry
with backoff; a failure is logged and counted, never raised into the evaluator.

Rate limits: one notification per kiosk and rule per `notify_interval_s` (a flapping paper sensor sends one
mail, not sixty; a clear is sent only for a raise that was), and at most `notify_max_per_minute` per target (a
hall losing its network is a storm: the rest are dropped and counted).
"""
from __future__ import annotations

import asyncio
import collections
import hashlib
import hmac
import json
import os
import smtplib
import ssl
import threading
import time
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import aiohttp
import structlog

from backoffice.alerts.settings import AlertsConfig, Mailbox, Webhook
from backoffice.config import ConfigError

log = structlog.get_logger("backoffice.alerts.notify")

NOTICE_FIELDS = ("id", "kiosk_id", "hall", "region", "rule", "kind", "severity", "status", "detail", "raised_at",
                 "cleared_at", "acked_at")
MAX_CONCURRENT = 8


class Notifier:
    def __init__(self, cfg: AlertsConfig, *, backoff_s: float = 1.0, clock=time.monotonic):
        self.cfg, self.backoff_s, self.clock = cfg, backoff_s, clock
        self.counts: collections.Counter[tuple[str, str]] = collections.Counter()  # (channel, result) -> n
        self._secrets = {name: _secret(name, hook) for name, hook in cfg.webhooks.items()}
        self._smtp_password = os.environ.get(cfg.smtp.password_env) if cfg.smtp.password_env else None
        self._last: dict[tuple[str, str], float] = {}  # (kiosk, rule) -> clock() of its last raise sent
        self._sent: dict[str, collections.deque[float]] = collections.defaultdict(collections.deque)
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._session: aiohttp.ClientSession | None = None
        self._tasks: set[asyncio.Task] = set()
        self._slots = asyncio.Semaphore(MAX_CONCURRENT)

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._session = aiohttp.ClientSession()

    async def stop(self, grace_s: float = 5.0) -> None:
        """Deliveries under way get `grace_s` to finish; a notice still retrying after that is given up."""
        self._loop = None  # what ingest hands over from now on is not sent (its alert stays, marked unsent)
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=grace_s)
        for task in list(self._tasks):
            task.cancel()
        if self._session:
            await self._session.close()

    async def idle(self) -> None:
        """Returns when every notice handed over so far has been delivered or given up (for tests, benches)."""
        while self._tasks:
            await asyncio.wait(list(self._tasks))

    def targets(self, alert: dict) -> list[str]:
        names: list[str] = []
        for where in (alert.get("hall"), alert.get("region"), "*"):
            for name in self.cfg.routes.get(where, []) if where else []:
                if name not in names:
                    names.append(name)
        return names

    # any thread --------------------------------------------------------------------------------------------
    def notify(self, event: str, alert: dict) -> bool:
        """Hand a notice over; whether it will be sent (routed, not rate-limited). Never blocks, never raises."""
        targets = self.targets(alert)
        if not targets or self._loop is None:
            return False
        if event == "raised":
            k = (alert["kiosk_id"], alert["rule"])
            with self._lock:
                now = self.clock()
                if k in self._last and now - self._last[k] < self.cfg.notify_interval_s:
                    self.counts[("any", "rate_limited")] += 1
                    return False
                self._last[k] = now
        notice = {"v": 1, "event": event, "at": time.time(), "alert": {f: alert.get(f) for f in NOTICE_FIELDS}}
        try:
            self._loop.call_soon_threadsafe(self._spawn, notice, targets)
        except RuntimeError:  # the loop has closed: the server is stopping
            return False
        return True

    # the event loop ------------------------------------------------------------------------------------------
    def _spawn(self, notice: dict, targets: list[str]) -> None:
        for name in targets:
            task = asyncio.create_task(self._deliver(name, notice), name=f"notify-{name}")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _deliver(self, name: str, notice: dict) -> None:
        channel = "webhook" if name in self.cfg.webhooks else "email"
        if not self._admit(name):
            self.counts[(channel, "dropped")] += 1
            log.warning("alert.notice_dropped", target=name, reason="notify_max_per_minute")
            return
        async with self._slots:
            if channel == "webhook":
                ok = await self._post(name, self.cfg.webhooks[name], notice)
            else:
                ok = await self._mail(name, self.cfg.mailboxes[name], notice)
        self.counts[(channel, "sent" if ok else "failed")] += 1

    def _admit(self, name: str) -> bool:
        sent, now = self._sent[name], self.clock()
        while sent and now - sent[0] >= 60:
            sent.popleft()
        if len(sent) >= self.cfg.notify_max_per_minute:
            return False
        sent.append(now)
        return True

    async def _post(self, name: str, hook: Webhook, notice: dict) -> bool:
        body = json.dumps(notice, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
        for attempt in range(hook.retries + 1):
            stamp = str(int(time.time()))
            headers = {"Content-Type": "application/json; charset=utf-8", "X-Kiosk-Timestamp": stamp}
            if self._secrets[name]:
                mac = hmac.new(self._secrets[name], stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
                headers["X-Kiosk-Signature"] = f"sha256={mac}"
            try:
                async with self._session.post(str(hook.url), data=body, headers=headers, allow_redirects=False,
                                              timeout=aiohttp.ClientTimeout(total=hook.timeout_s)) as resp:
                    if 200 <= resp.status < 300:
                        return True
                    why = f"HTTP {resp.status}"
                    if 400 <= resp.status < 500 and resp.status not in (408, 429):
                        log.warning("alert.webhook_refused", target=name, status=resp.status)
                        return False  # the receiver will not take it however often it is sent
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                why = type(exc).__name__
            log.warning("alert.webhook_failed", target=name, attempt=attempt + 1, reason=why)
            if attempt < hook.retries:
                await asyncio.sleep(self.backoff_s * 2 ** attempt)
        return False

    async def _mail(self, name: str, box: Mailbox, notice: dict) -> bool:
        smtp = self.cfg.smtp
        for attempt in range(smtp.retries + 1):
            try:
                await asyncio.to_thread(self._send_mail, box.to, notice)
                return True
            except (OSError, smtplib.SMTPException) as exc:
                log.warning("alert.mail_failed", target=name, attempt=attempt + 1, reason=type(exc).__name__)
            if attempt < smtp.retries:
                await asyncio.sleep(self.backoff_s * 2 ** attempt)
        return False

    def _send_mail(self, to: list[str], notice: dict) -> None:
        smtp, alert = self.cfg.smtp, notice["alert"]
        msg = EmailMessage()
        msg["From"], msg["To"] = smtp.sender, ", ".join(to)
        msg["Subject"] = f"[{alert['severity']}] {alert['rule']} {notice['event']}: {alert['kiosk_id']}"
        msg["Date"], msg["Message-ID"] = formatdate(localtime=True), make_msgid(domain="kiosk-backoffice")
        msg.set_content(mail_text(notice))
        with smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_s) as client:
            if smtp.starttls:
                client.starttls(context=ssl.create_default_context())
            if smtp.username:
                client.login(smtp.username, self._smtp_password or "")
            client.send_message(msg)


def mail_text(notice: dict) -> str:
    alert = notice["alert"]
    lines = [f"{label}: {alert.get(field) or '-'}" for label, field in (
        ("kiosk / 设备", "kiosk_id"), ("hall / 网点", "hall"), ("region / 区域", "region"), ("rule / 规则", "rule"),
        ("severity / 级别", "severity"), ("status / 状态", "status"))]
    lines.append(f"event / 事件: {notice['event']}")
    lines.append("detail / 详情: " + json.dumps(alert.get("detail") or {}, ensure_ascii=False, sort_keys=True))
    lines.append("raised / 发生: " + time.strftime("%Y-%m-%d %H:%M:%S %z", time.localtime(alert["raised_at"])))
    return "\n".join(lines) + "\n"


def _secret(name: str, hook: Webhook) -> bytes | None:
    if not hook.secret_env:
        return None
    value = os.environ.get(hook.secret_env)
    if not value:
        raise ConfigError(f"alerts.webhooks.{name}.secret_env: environment variable {hook.secret_env} is not set")
    return value.encode()
