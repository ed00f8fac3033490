"""Maintenance asked for by the fleet: it never cuts a visit, never opens the technician's panel, and ends by itself."""

import pytest

from kiosk.controller import END_SCREEN_S
from kiosk.scenario.twins import make_card
from tests.kiosk_kit import settle, shipped_kiosk

LIMIT_S = 600


@pytest.fixture
async def kiosk(tmp_path):
    return await shipped_kiosk(tmp_path, remote_maintenance_s=LIMIT_S)


async def citizen_at_consent(c, devices):
    assert c.start("social-security-certificate")
    devices["id_reader"].insert_card(make_card({"name": "赵示例"}))
    await settle()
    assert c.state.view.step == "consent"


async def test_maintenance_on_waits_for_the_visit_to_end_then_replaces_home(kiosk):
    c, devices, clock = kiosk
    await citizen_at_consent(c, devices)
    assert c.enter_maintenance_remotely() == "pending"
    assert c.state.mode == "visit" and c.state.view.step == "consent"  # the citizen carries on
    c.act("cancel")
    clock.fire_next(clock.now + END_SCREEN_S)
    assert c.state.mode == "remote_maintenance" and c.state.view is None
    assert not c.start("queue-ticket")  # no new visit begins
    (row,) = c.journal.rows()
    assert row["result"] == "cancelled" and row["ended_at"]


async def test_force_ends_the_visit_cleanly_as_interrupted(kiosk):
    c, devices, clock = kiosk
    await citizen_at_consent(c, devices)
    session = c.runner.session
    assert c.enter_maintenance_remotely(force=True) == "started"
    assert c.state.mode == "remote_maintenance" and c.state.view is None
    assert session.vars["id"] == {}  # nothing of the citizen is kept
    (row,) = c.journal.rows()
    assert row["result"] == "interrupted" and row["ended_at"] and row["duration_ms"] is not None
    assert c.journal.counts() == {"started": 1, "ended": 1}


async def test_remote_maintenance_is_not_the_technicians_panel(kiosk):
    c, _, _ = kiosk
    c.enter_maintenance_remotely()
    assert c.state.mode == "remote_maintenance"
    assert c.state.maintenance == {}  # the panel's devices, bundle and actions are never shown without a PIN
    c.maintenance_action("out_of_service")  # the panel's buttons do nothing here
    c.maintenance_action("leave")
    assert c.state.mode == "remote_maintenance"


def advance(clock, seconds):
    until = clock.now + seconds
    while clock.fire_next(until):
        pass
    clock.now = until


async def test_remote_maintenance_ends_by_itself_unless_renewed(kiosk):
    c, _, clock = kiosk
    c.enter_maintenance_remotely()
    advance(clock, LIMIT_S - 1)
    assert c.enter_maintenance_remotely() == "renewed"
    advance(clock, LIMIT_S - 1)
    assert c.state.mode == "remote_maintenance"  # the renewal counts from when it came
    advance(clock, 2)
    assert c.state.mode == "home"
    assert c.start("queue-ticket")


async def test_maintenance_off_cancels_a_pending_request(kiosk):
    c, devices, clock = kiosk
    await citizen_at_consent(c, devices)
    c.enter_maintenance_remotely()
    assert c.leave_maintenance_remotely() == "cancelled"
    c.act("cancel")
    clock.fire_next(clock.now + END_SCREEN_S)
    assert c.state.mode == "home"
