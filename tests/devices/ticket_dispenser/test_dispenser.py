"""The ticket dispenser: a number is printed or the call fails, and a retry never costs a second number."""
import asyncio
import datetime as dt
import time
import unicodedata

import pytest

from devices import registry
from devices.contracts import ReceiptPrinter
from devices.errors import ConfigError, DeviceError, DeviceTimeout, MediaError
from devices.records import Cut, PrintResult, QrCode, Receipt, Text, Ticket
from devices.status import Reason, State
from devices.ticket_dispenser.dispenser import PrinterTicketDispenser, ticket_layout
from devices.ticket_dispenser.queue import QueueError, QueueProvider, QueueUnavailable
from devices.ticket_dispenser.queue_http import HttpQueueProvider
from devices.ticket_dispenser.queue_sqlite import SqliteQueueProvider

CST = dt.timezone(dt.timedelta(hours=8))
MONDAY = dt.datetime(2026, 3, 2, 9, 5, tzinfo=CST)
HALL = "示例市政务服务中心"


class RecordingPrinter(ReceiptPrinter):
    """A receipt printer double: records receipts, fails on demand, reports the status it is told."""

    def __init__(self, name: str = "ticket-printer"):
        super().__init__(name)
        self.printed: list[Receipt] = []
        self.timeouts: list[float] = []
        self.fail_with: DeviceError | None = None  # raised by the next job
        self.result: PrintResult | None = None  # returned by the next job instead of success
        self.hang = False  # the next job never finishes, whatever its timeout
        self.after_check: set[Reason] | None = None  # what a fresh status check finds
        self.closed = False

    async def open(self) -> None:
        self._set_reasons(set())

    async def close(self) -> None:
        self.closed = True
        await super().close()

    def set(self, *reasons: Reason) -> None:
        self._set_reasons(set(reasons))

    async def check_health(self):
        if self.after_check is not None:
            self._set_reasons(self.after_check)
        return self.status

    async def print_receipt(self, receipt: Receipt, *, timeout: float = 30.0) -> PrintResult:
        self.timeouts.append(timeout)
        if self.hang:
            await asyncio.Event().wait()
        if self.fail_with is not None:
            exc, self.fail_with = self.fail_with, None
            raise exc
        if self.result is not None:
            return self.result
        self.printed.append(receipt)
        return PrintResult(receipt.job_id, True, 1)


class CountingProvider(QueueProvider):
    """Wraps a real provider to count calls; ``hang`` makes the next call never answer."""

    def __init__(self, inner: QueueProvider):
        self.inner, self.calls, self.hang, self.closed = inner, 0, False, False

    async def take_number(self, category, service_name, *, request_id):
        self.calls += 1
        if self.hang:
            await asyncio.Event().wait()
        return await self.inner.take_number(category, service_name, request_id=request_id)

    async def close(self):
        self.closed = True
        await self.inner.close()


@pytest.fixture
async def parts(tmp_path):
    printer = RecordingPrinter()
    provider = CountingProvider(SqliteQueueProvider(tmp_path / "q.db", {"social": "A"}, clock=lambda: MONDAY))
    d = PrinterTicketDispenser("ticket", printer=printer, provider=provider, hall_name=HALL,
                               qr_url="https://hall.example.gov.cn/rate?no={number}&d={date}")
    await d.open()
    yield d, printer, provider
    await d.close()


def columns(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def test_the_layout_has_everything_a_ticket_carries_and_fits_a_58mm_roll():
    ticket = Ticket("A023", "social", "社保业务", 3, MONDAY, HALL, "https://hall.example.gov.cn/rate?no=A023")
    receipt = ticket_layout(ticket, HALL)
    texts = [e for e in receipt.elements if isinstance(e, Text)]
    assert texts[0] == Text(HALL, "center", 1, True)
    assert Text("A023", "center", 4, True) in texts
    lines = [t.text for t in texts]
    for expected in ("社保业务", "前方等待 3 人", "Waiting ahead: 3", "取号时间 Time 2026-03-02 09:05",
                     "Please listen for your number", "谢谢您的耐心等候 Thank you"):
        assert expected in lines
    assert QrCode("https://hall.example.gov.cn/rate?no=A023") in receipt.elements
    assert receipt.elements[-1] == Cut() and receipt.job_id == "ticket-A023"
    assert all(columns(t.text) * t.scale <= 32 for t in texts if t.text not in (HALL, "社保业务"))


def test_the_layout_leaves_out_what_is_not_there():
    receipt = ticket_layout(Ticket("B001", "housing", "不动产登记", 0, MONDAY), "")
    assert not any(isinstance(e, QrCode) for e in receipt.elements)
    assert receipt.plain_text().splitlines()[0] == "排队号 Queue number"
    assert ticket_layout(Ticket("B001", "h", "x", 0, MONDAY, hall_name="Hall"), None).plain_text().startswith("Hall")


async def test_a_ticket_is_printed_and_returned(parts):
    d, printer, _ = parts
    ticket = await d.dispense("social", "社保业务", request_id="visit-1")
    assert ticket == Ticket("A001", "social", "社保业务", 0, MONDAY, HALL,
                            "https://hall.example.gov.cn/rate?no=A001&d=20260302")
    assert printer.printed == [ticket_layout(ticket, HALL)]
    assert 29 < printer.timeouts[0] <= 30  # the printer gets what is left of the dispense's deadline


async def test_a_printer_known_to_be_out_of_paper_takes_no_number(parts):
    d, printer, provider = parts
    printer.set(Reason.PAPER_OUT)
    printer.after_check = {Reason.PAPER_OUT}
    with pytest.raises(MediaError) as err:
        await d.dispense("social", "社保业务", request_id="visit-1")
    assert err.value.reason == Reason.PAPER_OUT and provider.calls == 0  # no ghost number for the hall to call
    printer.after_check = set()  # refilled, but the driver has not polled yet: the dispenser asks again
    assert (await d.dispense("social", "社保业务", request_id="visit-1")).number == "A001"


async def test_status_is_the_printers(parts):
    d, printer, _ = parts
    seen = []
    d.on_status(lambda event: seen.append(event.new.state))
    printer.set(Reason.PAPER_LOW)
    assert d.status == printer.status and d.status.state == State.WARNING
    assert (await d.dispense("social", "社保业务", request_id="r")).number == "A001"  # paper low still prints
    printer.set(Reason.COVER_OPEN)
    assert seen == [State.WARNING, State.ERROR] and not d.status.usable


async def test_a_queue_failure_prints_nothing(parts, tmp_path):
    d, printer, provider = parts
    with pytest.raises(QueueError, match="no number prefix"):
        await d.dispense("unknown", "x", request_id="r")
    provider.hang = True
    started = time.monotonic()
    with pytest.raises(QueueUnavailable, match="deadline") as err:
        await d.dispense("social", "社保业务", timeout=0.2, request_id="r")
    assert time.monotonic() - started < 1.0 and err.value.request_id == "r"
    assert printer.printed == []


async def test_a_printer_that_ignores_its_timeout_is_cut_off_at_the_callers_deadline(parts):
    """The backstop only a driver bug reaches; the hanging printer itself is in the contract suite."""
    d, printer, _ = parts
    printer.hang = True
    # The budget covers taking the number from SQLite too: small enough to keep the test quick, large
    # enough that a loaded machine still reaches the hanging printer before the deadline.
    with pytest.raises(DeviceTimeout, match="did not finish"):
        await asyncio.wait_for(d.dispense("social", "社保业务", timeout=1.0, request_id="r"), 5.0)
    printer.hang = False
    assert (await d.dispense("social", "社保业务", request_id="r")).number == "A001"


async def test_a_job_the_printer_does_not_confirm_is_not_a_ticket(parts):
    d, printer, _ = parts
    printer.result = PrintResult("ticket-A001", False, detail="no GS r answer")
    with pytest.raises(MediaError) as err:
        await d.dispense("social", "社保业务", request_id="r")
    assert err.value.reason == Reason.HARDWARE_ERROR  # the flow's printer_error branch, not paper_out


async def test_close_closes_printer_and_provider(tmp_path):
    printer = RecordingPrinter()
    provider = CountingProvider(SqliteQueueProvider(tmp_path / "q.db", {"s": "A"}))
    d = PrinterTicketDispenser("ticket", printer=printer, provider=provider)
    await d.open()
    await d.close()
    assert printer.closed and provider.closed


async def test_built_from_configuration_through_the_registry(tmp_path):
    d = registry.build("ticket_dispenser", "ticket_dispenser", "printer", printer={"driver": "sim"},
                       queue_file=str(tmp_path / "q.db"), prefixes={"social": "A"}, hall_name=HALL)
    assert isinstance(d, PrinterTicketDispenser) and d.capabilities()["queue"] == "local"
    await d.open()
    ticket = await d.dispense("social", "社保业务", request_id="r")
    assert ticket.number == "A001" and d.printer.printed[0] == ticket_layout(ticket, HALL)
    await d.close()


@pytest.mark.parametrize("options, message", [
    ({}, "option 'printer' is required"),
    ({"printer": {"driver": "nope"}, "queue_file": "q.db"}, "ticket.printer: unknown driver 'nope'"),
    ({"printer": {"driver": "sim"}}, "option 'queue_file' is required"),
    ({"printer": {"driver": "sim"}, "queue_file": "q.db", "prefix": {}}, "unknown option 'prefix'"),
    ({"printer": {"driver": "sim"}, "queue_file": "q.db", "prefixes": {"s": "a"}}, "capital letters"),
    ({"printer": {"driver": "sim"}, "queue_file": "q.db", "qr_url": "https://x/{nope}"}, "qr_url"),
    ({"printer": {"driver": "sim"}, "queue": "ftp://hall"}, "http"),
    ({"printer": {"driver": "sim"}, "queue": "http://hall", "token_env": "KIOSK_TEST_NO_SUCH_VAR"},
     "KIOSK_TEST_NO_SUCH_VAR is not set"),
])
def test_configuration_errors_name_the_option(options, message):
    with pytest.raises(ConfigError, match=message):
        PrinterTicketDispenser("ticket", **options)


def test_a_halls_queue_system_from_configuration(monkeypatch):
    monkeypatch.setenv("KIOSK_TEST_QUEUE_TOKEN", "s3cret")
    d = PrinterTicketDispenser("ticket", printer={"driver": "sim"}, queue="https://queue.hall.example/api",
                               queue_timeout_s=3, token_env="KIOSK_TEST_QUEUE_TOKEN")
    assert isinstance(d.provider, HttpQueueProvider) and d.provider.url == "https://queue.hall.example/api/take"
    assert d.capabilities()["queue"] == "http" and "s3cret" not in repr(d.describe())


async def test_a_broken_queue_database_does_not_stop_start_up_but_fails_each_dispense(tmp_path):
    (tmp_path / "file").write_text("")
    printer = RecordingPrinter()
    d = PrinterTicketDispenser("ticket", printer=printer, queue_file=str(tmp_path / "file" / "q.db"))
    await d.open()  # logged, not raised: the kiosk starts and shows the fault
    with pytest.raises(QueueError):
        await d.dispense("A", "x", request_id="r")
    assert printer.printed == []
    await d.close()
