"""Between visits: tiles, starting a visit, returning home with nothing personal left."""

import pytest

from devices.errors import DeviceTimeout
from kiosk.controller import END_SCREEN_S
from kiosk.journal import Journal
from kiosk.scenario.twins import make_card
from tests.kiosk_kit import settle, shipped_kiosk



@pytest.fixture
async def kiosk(tmp_path):
    states = []
    return await shipped_kiosk(tmp_path, on_change=lambda s: states.append(s.mode),
                               journal=Journal(tmp_path / "journal.db", key=bytes(range(32))))


async def test_home_lists_items_and_a_faulty_printer_makes_its_item_unavailable(kiosk):
    c, devices, _ = kiosk
    tiles = {t.flow: t for t in c.state.tiles}
    assert tiles["queue-ticket"].available and tiles["queue-ticket"].title == "排队取号"
    devices["document_printer"].inject("paper_out")
    c.refresh_home()
    t = next(t for t in c.state.tiles if t.flow == "social-security-certificate")
    assert not t.available and t.reasons == ("document_printer:paper_out",)
    assert not c.start("social-security-certificate")


async def test_a_visit_ends_and_the_kiosk_returns_home_wiped(kiosk):
    c, devices, clock = kiosk
    c.set_locale("en")
    c.set_elderly(True)
    assert c.start("social-security-certificate")
    assert c.state.view.title == "Place your ID card on the reader" and c.state.view.elderly
    devices["id_reader"].insert_card(make_card({"name": "赵示例"}))
    await settle()
    assert c.state.view.step == "consent"
    session = c.runner.session
    c.act("cancel")
    assert c.state.mode == "visit" and c.state.view.result == "cancelled"
    clock.fire_next(clock.now + END_SCREEN_S)
    assert c.state.mode == "home" and c.state.view is None
    assert (c.state.locale, c.state.elderly) == ("zh-CN", False)
    assert session.vars["id"] == {}
    (row,) = c.journal.rows()
    assert (row["flow"], row["result"], row["flow_version"]) == ("social-security-certificate", "cancelled", "1.0.0")
    assert row["citizen"] and row["citizen"] == c.journal.citizen_hash("110105196005010014")


async def test_a_switch_of_language_or_elderly_mode_mid_visit_redraws_the_step_once(tmp_path):
    """Each notification is a whole screen built by the window: two for one tap doubled the tap's time."""
    seen = []
    c, _, _ = await shipped_kiosk(tmp_path, on_change=lambda s: seen.append((s.view.locale, s.view.elderly)
                                                                             if s.view else None))
    assert c.start("social-security-certificate")
    seen.clear()
    c.set_locale("en")
    assert seen == [("en", False)]
    c.set_elderly(True)
    assert seen == [("en", False), ("en", True)]
    assert {t.title for t in c.state.tiles} >= {"Take a queue number"}  # the home behind the visit switched too


async def test_a_code_scanned_during_one_visit_never_reaches_the_next(kiosk):
    c, devices, clock = kiosk
    assert c.start("queue-ticket")
    devices["code_scanner"].scan("APPOINTMENT-OF-THE-LAST-CITIZEN")  # scanned, never asked for
    c.act("cancel")
    clock.fire_next(clock.now + END_SCREEN_S)
    assert c.state.mode == "home"
    with pytest.raises(DeviceTimeout):
        await devices["code_scanner"].read_code(timeout=0.01)
