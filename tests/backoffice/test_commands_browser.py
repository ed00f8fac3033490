"""In Chromium: an operator sends a command from the kiosk's command form to a kiosk that is offline; it waits,
and when the kiosk comes back the list shows it done, live, without a reload."""
from __future__ import annotations

import asyncio
import threading

from backoffice.simulator import Fleet
from tests.backoffice.commands_helpers import sign_in_as, start_server
from tests.fleet.mqtt_helpers import Broker
from wire import signing


class Loop:
    """An asyncio loop in a thread for the back office and the kiosk: Playwright's sync API owns the test's."""

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro, timeout: float = 30):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


class OneKiosk:
    """A simulated kiosk (wire only) that obeys this back office's key, switched on and off."""

    def __init__(self, broker_port: int, public_key):
        self.fleet = Fleet("127.0.0.1", broker_port, 1, command_key=public_key, interval_s=5)
        self.stop_event: asyncio.Event | None = None
        self.task: asyncio.Task | None = None

    async def on(self) -> None:
        self.stop_event = asyncio.Event()
        self.task = asyncio.get_running_loop().create_task(self.fleet.run(self.stop_event))

    async def off(self) -> None:
        self.stop_event.set()
        await self.task


async def until_state(server, state: str, timeout: float = 20) -> None:
    for _ in range(int(timeout / 0.05)):
        rows = [k for k in server.store.kiosks() if k["id"] == "SIM-0001"]
        if rows and rows[0]["state"] == state:
            return
        await asyncio.sleep(0.05)  # polling ingest, bounded
    raise AssertionError(f"SIM-0001 never {state}")


def test_a_command_waits_for_an_offline_kiosk_and_shows_done_live_when_it_returns(tmp_path, page):
    (tmp_path / "mqtt").mkdir()
    broker = Broker(tmp_path / "mqtt").start()
    loop = Loop()
    server = kiosk = None
    try:
        server = loop.run(start_server(tmp_path, broker.port))
        public = signing.load_private_key(server.cfg.var_dir / "command-signing.key").public_key()
        kiosk = OneKiosk(broker.port, public)
        loop.run(kiosk.on())
        loop.run(until_state(server, "in_service"))
        loop.run(kiosk.off())
        loop.run(until_state(server, "disconnected"))

        sign_in_as(page, server, "olga:operator", "/kiosks/SIM-0001/commands?lang=en")
        page.select_option("[data-test=command-name]", "ping")
        page.fill("[data-test=command-reason]", "is it back after the power cut?")
        page.click("[data-test=command-send]")
        row = page.locator("tr[data-command-id]").first
        assert row.locator("[data-test=command-state]").inner_text() == "Waiting for the kiosk"
        assert "is it back after the power cut?" in row.inner_text() and "olga" in row.inner_text()
        page.evaluate("window.notReloaded = true")

        loop.run(kiosk.on())  # the kiosk comes back: its birth, then its first health, then the command
        page.wait_for_function("document.querySelector('tr[data-command-id]').dataset.state === 'done'",
                               timeout=20_000)
        assert row.locator("[data-test=command-state]").inner_text() == "Done"
        assert '"pong":true' in row.locator(".command-result").inner_text().replace(" ", "")
        assert page.evaluate("window.notReloaded") is True
        page.goto(f"http://127.0.0.1:{server.port}/kiosks/SIM-0001/commands?lang=zh-CN")
        assert page.locator("[data-test=command-state]").first.inner_text() == "已完成"
    finally:
        if kiosk is not None and kiosk.task is not None and not kiosk.task.done():
            loop.run(kiosk.off())
        if server is not None:
            loop.run(server.stop())
        loop.close()
        broker.stop()

