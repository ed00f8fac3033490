"""The state the console shows, rule by rule, at the clock's edges: pure functions of facts and `now`."""
import pytest

from backoffice.fleetstate import Rules, counts, derive, device_kind

NOW = 1_000_000.0
RULES = Rules(health_interval_s=60, grace_percent=100)  # offline after 120 s of silence


def health(state="in_service", mode="home", devices=None, items=None, pending=False):
    return {"state": state, "mode": mode, "maintenance_pending": pending, "devices": devices or {},
            "items": items or {"queue": {"available": True, "reasons": []}}, "system": {}}


def kiosk(**kw):
    base = {"id": "K-1", "state": "in_service", "state_at": 10.0, "last_seen": NOW - 5, "health": health(),
            "health_at": 11.0, "health_interval_s": None}
    return {**base, **kw}


def test_a_kiosk_reporting_on_time_with_nothing_wrong_is_in_service():
    d = derive(kiosk(), NOW, RULES)
    assert (d.state, d.reasons, d.paper) == ("in_service", (), None)


@pytest.mark.parametrize("silent, state", [(119.999, "in_service"), (120.0, "in_service"), (120.001, "offline"),
                                           (0.0, "in_service")])
def test_heartbeat_age_against_interval_plus_grace_at_the_edge(silent, state):
    assert derive(kiosk(last_seen=NOW - silent), NOW, RULES).state == state


def test_the_kiosks_own_interval_from_its_birth_wins_over_the_configured_one():
    slow = kiosk(last_seen=NOW - 500, health_interval_s=300)  # limit 600
    assert derive(slow, NOW, RULES).state == "in_service"
    assert derive(slow, NOW + 100.001, RULES).state == "offline"
    assert derive(kiosk(last_seen=NOW - 500, health_interval_s=0), NOW, RULES).state == "offline"  # 0: not said


def test_grace_is_a_percentage_of_the_interval():
    assert derive(kiosk(last_seen=NOW - 80), NOW, Rules(60, 50)).state == "in_service"
    assert derive(kiosk(last_seen=NOW - 91), NOW, Rules(60, 50)).state == "offline"


def test_a_back_office_clock_that_stepped_back_counts_as_just_heard():
    d = derive(kiosk(last_seen=NOW + 3600), NOW, RULES)
    assert (d.state, d.silent_s) == ("in_service", 0.0)


def test_never_heard_of_is_unknown_not_offline():
    assert derive(kiosk(last_seen=None, health=None), NOW, RULES).state == "unknown"


def test_the_will_marks_it_lost_even_when_recently_heard():
    d = derive(kiosk(state="lost", state_at=20.0), NOW, RULES)
    assert (d.state, d.reasons[0]) == ("lost", "will")


def test_a_clean_stop_is_disconnected_not_an_alarm():
    assert derive(kiosk(state="disconnected", last_seen=NOW - 9999), NOW, RULES).state == "disconnected"


def test_paper_low_and_out_from_the_latest_health():
    low = health("degraded", devices={"receipt_printer": {"state": "warning", "reasons": ["paper_low"], "detail": ""}})
    d = derive(kiosk(health=low), NOW, RULES)
    assert (d.state, d.paper, d.reasons) == ("degraded", "low", ("paper_low:receipt_printer",))
    out = health("degraded", devices={
        "receipt_printer": {"state": "warning", "reasons": ["paper_low"], "detail": ""},
        "document_printer": {"state": "error", "reasons": ["paper_out"], "detail": ""}})
    d = derive(kiosk(health=out), NOW, RULES)
    assert d.paper == "out"  # the worst printer
    assert "paper_out:document_printer" in d.reasons
    assert not any(r.startswith("printer_fault") for r in d.reasons)  # paper out is not a broken printer


def test_printer_and_reader_faults_are_named_by_kind():
    h = health("degraded", devices={
        "receipt_printer": {"state": "error", "reasons": ["cover_open"], "detail": ""},
        "id_reader": {"state": "offline", "reasons": ["no_reply"], "detail": ""},
        "help_panel": {"state": "error", "reasons": [], "detail": ""},
        "code_scanner": {"state": "ok", "reasons": [], "detail": ""}})
    d = derive(kiosk(health=h), NOW, RULES)
    assert set(d.reasons) == {"printer_fault:receipt_printer", "reader_fault:id_reader", "device_fault:help_panel"}
    assert d.paper == "ok"


def test_a_kiosk_saying_in_service_with_a_broken_device_is_degraded():
    h = health("in_service", devices={"id_reader": {"state": "error", "reasons": ["sam_error"], "detail": ""}})
    assert derive(kiosk(health=h), NOW, RULES).state == "degraded"


def test_an_unavailable_item_is_listed_and_degrades():
    h = health("degraded", items={"queue": {"available": False, "reasons": ["ticket_dispenser:paper_out"]},
                                  "pension": {"available": True, "reasons": []}})
    d = derive(kiosk(health=h), NOW, RULES)
    assert (d.state, d.unavailable, d.reasons) == ("degraded", ("queue",), ("item_unavailable:queue",))


def test_maintenance_and_out_of_service_from_state_or_mode():
    assert derive(kiosk(health=health("maintenance", "maintenance")), NOW, RULES).state == "maintenance"
    assert derive(kiosk(health=health("in_service", "remote_maintenance")), NOW, RULES).state == "maintenance"
    assert derive(kiosk(health=health("out_of_service", "out_of_service")), NOW, RULES).state == "out_of_service"
    pending = derive(kiosk(health=health(pending=True)), NOW, RULES)
    assert "maintenance_pending" in pending.reasons


def test_silence_outranks_what_the_kiosk_last_said_of_itself():
    stale = kiosk(health=health("out_of_service", "out_of_service"), last_seen=NOW - 1000)
    assert derive(stale, NOW, RULES).state == "offline"


def test_the_newer_of_retained_state_and_health_is_the_kiosks_word():
    newer_state = kiosk(state="maintenance", state_at=20.0, health=health("in_service"), health_at=11.0)
    assert derive(newer_state, NOW, RULES).state == "maintenance"
    newer_health = kiosk(state="maintenance", state_at=20.0, health=health("in_service"), health_at=21.0)
    assert derive(newer_health, NOW, RULES).state == "in_service"


def test_bad_shapes_in_stored_health_do_not_raise():
    h = {"devices": {"x": "not a dict"}, "items": {"q": None}}
    assert derive(kiosk(health=h), NOW, RULES).state in ("in_service", "degraded", "unknown")


def test_counts_include_every_state():
    c = counts(["offline", "offline", "in_service"])
    assert c["offline"] == 2 and c["in_service"] == 1 and c["lost"] == 0


def test_device_kinds_from_role_names():
    assert [device_kind(r) for r in ("receipt_printer", "ticket_dispenser", "id_reader", "code_scanner",
                                     "help_panel")] == ["printer", "printer", "reader", "reader", "other"]
