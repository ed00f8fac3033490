"""Queue numbering and ticket dispensing: never a duplicate, never a lost number, never a fake ticket."""
import datetime as dt
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from aiohttp import web

from devices.errors import DeviceTimeout, MediaError, ProtocolError
from devices.queue_provider import HttpQueueProvider, QueueError, SqliteQueueProvider
from devices.sim import SimReceiptPrinter
from devices.ticket_dispenser import PrinterTicketDispenser
from devices.testing.fake_escpos import FakeEscposPrinter
from devices.testing.escpos_decode import decode

ROOT = Path(__file__).resolve().parents[2]
MONDAY = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


async def test_numbers_have_prefixes_count_up_and_reset_each_day(tmp_path):
    clock = {"now": MONDAY}
    q = SqliteQueueProvider(tmp_path / "q.db", {"social": "A", "housing": "B"}, now=lambda: clock["now"])
    a1 = await q.take_number("social", "社保", request_id="r1")
    a2 = await q.take_number("social", "社保", request_id="r2")
    b1 = await q.take_number("housing", "不动产", request_id="r3")
    assert (a1.number, a2.number, b1.number) == ("A001", "A002", "B001")
    assert (a1.waiting_ahead, a2.waiting_ahead) == (0, 1)
    q.mark_called("A001")
    assert (await q.take_number("social", "社保", request_id="r4")).waiting_ahead == 1  # A002 still waits
    clock["now"] = MONDAY + dt.timedelta(days=1)
    assert (await q.take_number("social", "社保", request_id="r5")).number == "A001"


async def test_the_same_request_gets_the_same_number_even_after_a_restart(tmp_path):
    q = SqliteQueueProvider(tmp_path / "q.db", {"social": "A"}, now=lambda: MONDAY)
    first = await q.take_number("social", "社保", request_id="visit-1")
    again = SqliteQueueProvider(tmp_path / "q.db", {"social": "A"}, now=lambda: MONDAY)
    assert (await again.take_number("social", "社保", request_id="visit-1")).number == first.number
    assert (await again.take_number("social", "社保", request_id="visit-2")).number == "A002"


async def test_past_999_numbers_widen_instead_of_wrapping(tmp_path):
    q = SqliteQueueProvider(tmp_path / "q.db", {"c": "C"}, now=lambda: MONDAY)
    q._connect().execute("INSERT INTO counters VALUES (?, 'c', 999)", (MONDAY.date().isoformat(),))
    assert (await q.take_number("c", "x", request_id="r")).number == "C1000"


def test_kill_9_between_numbers_never_duplicates(tmp_path):
    writer = (f"import sys, asyncio; sys.path.insert(0, {str(ROOT)!r})\n"
              "from devices.queue_provider import SqliteQueueProvider\n"
              "q = SqliteQueueProvider(sys.argv[1], {'s': 'A'}, digits=4)\n"
              "async def main():\n"
              "    for i in range(100000):\n"
              "        n = await q.take_number('s', 'x', request_id=f'{sys.argv[2]}-{i}')\n"
              "        print(n.number, flush=True)\n"
              "asyncio.run(main())\n")
    seen = []
    for round_ in range(3):
        proc = subprocess.Popen([sys.executable, "-c", writer, str(tmp_path / "q.db"), str(round_)],
                                stdout=subprocess.PIPE, text=True)
        for line in proc.stdout:
            seen.append(line.strip())
            if len(seen) >= 30 * (round_ + 1):
                break
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert len(seen) == len(set(seen)) == 90
    assert seen[:3] == ["A0001", "A0002", "A0003"]


async def test_paper_out_fails_the_job_and_a_retry_prints_the_same_number(tmp_path):
    printer = SimReceiptPrinter("ticket-printer")
    d = PrinterTicketDispenser("ticket", printer=printer,
                               provider=SqliteQueueProvider(tmp_path / "q.db", {"social": "A"}, now=lambda: MONDAY),
                               hall_name="示例政务服务中心", qr_url="https://hall.example/q/{number}")
    await d.open()
    printer.inject("paper_out")
    assert d.status == printer.status and not d.status.usable  # the dispenser reports its printer
    with pytest.raises(MediaError):
        await d.dispense("social", "社保业务", request_id="visit-7")
    assert printer.printed == []
    printer.clear("paper_out")
    ticket = await d.dispense("social", "社保业务", request_id="visit-7")
    assert ticket.number == "A001" and ticket.qr_payload == "https://hall.example/q/A001"
    text = printer.printed[0].plain_text()
    assert "A001" in text and "示例政务服务中心" in text and "前方等待 0 人" in text


async def test_a_ticket_over_real_escpos_bytes(tmp_path):
    with FakeEscposPrinter() as fake:
        d = PrinterTicketDispenser("ticket", printer_uri=fake.uri, queue_db=str(tmp_path / "q.db"),
                                   prefixes={"social": "A"}, hall_name="示例大厅")
        await d.open()
        ticket = await d.dispense("social", "社保业务", timeout=10)
        await d.close()
        decoded = decode(b"".join(fake.jobs()), chinese_default=False)
    assert ticket.number == "A001"
    assert "A001" in decoded.text() and "社保业务" in decoded.text() and decoded.cuts()


@pytest.fixture
async def queue_system():
    state = {"reply": {"status": 0, "num": "C007", "wsn": 5}, "code": 200, "hang": False}

    async def take(request):
        if state["hang"]:
            import asyncio
            await asyncio.sleep(30)
        body = state["reply"]
        return web.Response(status=state["code"], body=body if isinstance(body, bytes) else None,
                            text=None if isinstance(body, bytes) else __import__("json").dumps(body),
                            content_type="application/json")

    app = web.Application()
    app.router.add_post("/take", take)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}", state
    await runner.cleanup()


async def test_a_halls_queue_system_over_http(queue_system):
    url, state = queue_system
    q = HttpQueueProvider(url, timeout=0.5)
    n = await q.take_number("c", "x", request_id="r")
    assert (n.number, n.waiting_ahead) == ("C007", 5)
    for reply, error in [(b"<html>", ProtocolError), ({"status": 0, "num": 7, "wsn": 1}, QueueError),
                         ({"status": 0, "num": "C1", "wsn": True}, QueueError), ({"status": 1}, QueueError),
                         (b"[1]", QueueError), (b"x" * 70000, QueueError)]:
        state["reply"] = reply
        with pytest.raises(error):
            await q.take_number("c", "x", request_id="r")
    state["reply"], state["code"] = {"status": 0, "num": "C1", "wsn": 0}, 500
    with pytest.raises(QueueError):
        await q.take_number("c", "x", request_id="r")
    state["code"], state["hang"] = 200, True
    with pytest.raises(DeviceTimeout):
        await q.take_number("c", "x", request_id="r")
