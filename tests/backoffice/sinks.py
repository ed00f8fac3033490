"""A local webhook receiver (aiohttp on 127.0.0.1) and a local SMTP sink (aiosmtpd), to which alert
notifications are really sent."""
from __future__ import annotations

import asyncio
import email
from email import policy

from aiohttp import web
from aiosmtpd.controller import Controller

from tests.fleet.mqtt_helpers import free_port


class WebhookReceiver:
    """Records every POST (headers and body); answers `fail_first` requests with 503 before accepting."""

    def __init__(self, fail_first: int = 0):
        self.received: list[tuple[dict, bytes]] = []
        self.attempts = 0
        self.fail_first = fail_first
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> "WebhookReceiver":
        app = web.Application()
        app.router.add_post("/hook", self._hook)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", 0).start()
        self.url = f"http://127.0.0.1:{self.runner.addresses[0][1]}/hook"
        return self

    async def _hook(self, request: web.Request) -> web.Response:
        self.attempts += 1
        body = await request.read()
        if self.attempts <= self.fail_first:
            return web.Response(status=503)
        self.received.append((dict(request.headers), body))
        return web.Response(status=204)

    async def stop(self) -> None:
        await self.runner.cleanup()


class SmtpSink:
    """aiosmtpd on a free loopback port; each accepted message parsed, with its envelope recipients."""

    def __init__(self):
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []
        self.port = free_port()  # aiosmtpd checks readiness by connecting, so it needs the real port up front
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((list(envelope.rcpt_tos),
                              email.message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"

    def start(self) -> "SmtpSink":
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()


async def until(predicate, timeout: float = 10.0) -> None:
    """Poll a condition another task or thread makes true, with a deadline."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)  # polling, bounded by the deadline
