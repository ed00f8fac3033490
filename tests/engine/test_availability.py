"""Items are offered only when open and when every device they need works."""
import datetime as dt

from devices.status import Reason, Status
from kiosk.availability import availability
from kiosk.flow.model import Flow

FLOW = Flow.model_validate({
    "format": 2, "id": "item-x", "version": "1.0.0", "title": {"zh-CN": "x", "en": "x"}, "category": "c",
    "requires": ["id_reader", "document_printer"],
    "hours": [{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "08:30", "end": "17:30"}],
    "steps": [{"id": "e", "kind": "end"}],
})
OK = Status.from_reasons(set())
MONDAY_10 = dt.datetime(2026, 3, 2, 10, 0)


def test_open_with_working_devices():
    assert availability(FLOW, {"id_reader": OK, "document_printer": OK}, MONDAY_10).available


def test_paper_low_still_works_paper_out_does_not():
    low = Status.from_reasons({Reason.PAPER_LOW})
    out = Status.from_reasons({Reason.PAPER_OUT})
    assert availability(FLOW, {"id_reader": OK, "document_printer": low}, MONDAY_10).available
    a = availability(FLOW, {"id_reader": OK, "document_printer": out}, MONDAY_10)
    assert not a.available and a.reasons() == ["document_printer:paper_out"]


def test_a_missing_device_and_closing_time_are_reasons():
    a = availability(FLOW, {"id_reader": OK}, dt.datetime(2026, 3, 7, 10, 0))  # a Saturday
    assert a.reasons() == ["closed", "document_printer:not_configured"]
    assert not availability(FLOW, {"id_reader": OK, "document_printer": OK}, dt.datetime(2026, 3, 2, 17, 30)).available
