"""The home screen's data: header, items by category with the most asked-for first, search, identity card, help."""
from pathlib import Path

import pytest

from kiosk.controller import KioskController
from kiosk.engine.clock import VirtualClock
from kiosk.flow.registry import FlowRegistry
from kiosk.scenario.twins import open_devices
from kiosk.search_index import SearchIndex
from tests.kiosk_kit import FLOWS, NoBackend, settle

KIOSK = {"id": "DEMO-07", "name": "市民中心自助区 7号机", "hall": "示例市政务服务中心"}
IDENTITY = {"maintainer": "示例科技有限公司", "maintainer_phone": "400-800-1234", "model": "ZW-8000"}


@pytest.fixture
async def kiosk():
    registry = FlowRegistry(FLOWS)
    registry.reload()
    devices = await open_devices()
    c = KioskController(registry, devices, NoBackend(), VirtualClock(), kiosk=dict(KIOSK), identity=IDENTITY)
    return c, devices


def shown(c) -> list[str]:
    return [t.flow for t in c.state.home.tiles()]


async def test_the_header_names_the_hall_and_the_device(kiosk):
    c, _ = kiosk
    home = c.state.home
    assert (home.hall, home.device, home.kiosk_name) == ("示例市政务服务中心", "DEMO-07", "市民中心自助区 7号机")


async def test_items_are_grouped_by_category_most_asked_for_first(kiosk):
    c, _ = kiosk
    cats = c.state.home.categories
    assert [x.title for x in cats][:3] == ["社会保障", "医疗保障", "住房公积金"]  # priorities 90, 80, 70
    assert cats[-1].title == "一件事一次办"  # the bundle, priority 40
    assert len({x.id for x in cats}) == len(cats) == 7
    social = cats[0].tiles[0]
    assert social.summary == "打印参保证明（A4）"  # the flow's summary, not its long description
    assert social.icon.endswith("assets/icons/shield.png") and Path(social.icon).is_file()
    prios = [t.priority for x in cats for t in x.tiles]
    assert prios == sorted(prios, reverse=True)


async def test_english_headings_and_summaries(kiosk):
    c, _ = kiosk
    c.set_locale("en")
    assert c.state.home.categories[0].title == "Social security"
    assert c.state.home.categories[0].tiles[0].summary == "Print your insurance certificate (A4)"


@pytest.mark.parametrize("query, found", [
    ("sbcx", ["social-security-certificate"]),  # pinyin initials of a keyword, 社保查询
    ("SBCX", ["social-security-certificate"]),  # the Latin keyboard types capitals
    ("社保", ["social-security-certificate"]),  # characters from the pinyin keyboard
    ("gjj", ["housing-fund-query"]),  # 公积金, in the title
    ("yibao", ["medical-insurance-query"]),  # whole syllables
    ("医b", ["medical-insurance-query"]),  # a character, then the next one's initial
    ("qh", ["queue-ticket"]),  # 取号
    ("queue", ["queue-ticket"]),  # an English word of the title
    ("zzzz", []),
])
async def test_search_by_pinyin_initials_syllables_or_characters_narrows_the_tiles(kiosk, query, found):
    c, _ = kiosk
    everything = shown(c)
    c.home_ui(searching=True, query=query)
    assert shown(c) == found and c.state.home.matches == len(found)
    c.home_ui(searching=False)
    assert shown(c) == everything and c.state.home.query == ""


async def test_polyphones_match_every_reading():
    """参 reads can (参保) and shen; a citizen typing either finds the item."""
    from kiosk.flow.bundle import load_bundle

    idx = SearchIndex({fid: cf.flow for fid, cf in load_bundle(FLOWS).flows.items()})
    assert idx.matches("social-security-certificate", "cbzm")
    assert idx.matches("social-security-certificate", "sbcbzm")  # 社保参保证明 with 参 read as shen
    assert not idx.matches("social-security-certificate", "gjj")


async def test_the_identity_card_is_one_tap_away_and_the_next_citizen_starts_clean(kiosk):
    c, _ = kiosk
    assert c.state.home.identity == {}
    c.home_ui(identity=True)
    card = c.state.home.identity
    assert card["maintainer"] == "示例科技有限公司" and card["maintainer_phone"] == "400-800-1234"
    assert card["name"] == "市民中心自助区 7号机" and card["id"] == "DEMO-07"
    c.home_ui(searching=True, query="gjj")
    assert c.start("housing-fund-query")
    c.home_ui(identity=True)  # not during a visit
    c.go_home()
    assert (c.state.home.identity, c.state.home.query, c.state.home.searching) == ({}, "", False)
    assert len(shown(c)) == 7


async def test_video_help_from_home_rings_the_help_panel(kiosk):
    c, devices = kiosk
    assert c.state.home.help
    c.home_help()
    assert c.state.home.calling  # the button says so at once
    await settle()
    assert devices["help_panel"].calls, "the help panel was not asked to call"
    assert c.state.call is not None  # the call panel shows its state (here: no one answered the simulator)
    c.act("call_end")
    await settle()
    assert not c.state.home.calling


async def test_without_a_help_panel_the_help_button_is_not_offered():
    registry = FlowRegistry(FLOWS)
    registry.reload()
    devices = await open_devices()
    del devices["help_panel"]
    c = KioskController(registry, devices, NoBackend(), VirtualClock(), kiosk=dict(KIOSK))
    assert not c.state.home.help
    c.home_help()
    assert not c.state.home.calling
