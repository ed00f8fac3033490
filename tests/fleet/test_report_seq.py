"""Report numbers (wire: Health.seq, Event.seq) only grow, across restarts, so the back office can store
each report once and never let an older health replace a newer one."""
from kiosk.fleet.outbox import Outbox
from wire import messages


def test_report_numbers_grow_across_a_restart(tmp_path):
    box = Outbox(tmp_path / "outbox.db")
    first = [box.next_seq() for _ in range(3)]
    box.close()
    again = Outbox(tmp_path / "outbox.db")
    later = again.next_seq()
    again.close()
    assert first == sorted(set(first)) and later > first[-1]


def test_a_new_outbox_does_not_start_below_numbers_an_older_disk_used(tmp_path):
    """A kiosk whose disk was replaced starts from the clock, above any number a counter from 1 reached."""
    box = Outbox(tmp_path / "outbox.db")
    assert box.next_seq() > 10**12
    box.close()


def test_seq_is_optional_on_the_wire_and_read_back_when_present():
    visit = messages.Visit(flow="queue", result="completed", reason="", printed={}, tickets=0, session_seq=1, at=1.0)
    body = visit.as_dict()
    del body["seq"]
    assert messages.decode_event(messages.codec.dump(body)).seq is None  # an older kiosk's report
    numbered = messages.decode_event(messages.Visit(**{**vars(visit), "seq": 7}).encode())
    assert numbered.seq == 7
