"""The home screen's data, as the halls arrange it: header, items by category, most asked-for first, search.

Built from the controller's tiles without any UI toolkit, so that tests and
the help desk's mirror see what a citizen sees. Search takes what the
on-screen keyboard gives: Chinese characters, pinyin initials (sbcx finds
社保查询), whole syllables (shebao), or a mix, matched against each item's
title and keywords; English words against the English title. The readings of
every character are computed once per flow bundle (kiosk.search_index).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from kiosk.i18n import pick

# Headings for the categories government halls commonly use; a flow names any other with `category_title`.
CATEGORIES: dict[str, dict[str, str]] = {
    "social_security": {"zh-CN": "社会保障", "en": "Social security"},
    "medical_insurance": {"zh-CN": "医疗保障", "en": "Medical insurance"},
    "housing_fund": {"zh-CN": "住房公积金", "en": "Housing fund"},
    "public_security": {"zh-CN": "公安服务", "en": "Public security"},
    "real_estate": {"zh-CN": "不动产登记", "en": "Real estate"},
    "tax": {"zh-CN": "税务服务", "en": "Tax"},
    "civil_affairs": {"zh-CN": "民政服务", "en": "Civil affairs"},
    "traffic": {"zh-CN": "交通出行", "en": "Traffic"},
    "bundle": {"zh-CN": "一件事一次办", "en": "All in one visit"},
    "queue": {"zh-CN": "排队取号", "en": "Queue numbers"},
}


@dataclass(frozen=True)
class HomeTile:
    flow: str
    title: str
    summary: str
    icon: str  # absolute path of the icon picture, "" for none
    available: bool
    reasons: tuple[str, ...] = ()
    priority: int = 50


@dataclass(frozen=True)
class CategoryView:
    id: str
    title: str
    tiles: tuple[HomeTile, ...]


@dataclass(frozen=True)
class HomeView:
    """Everything the home screen draws; the clock is the only thing the screen adds (it ticks)."""

    locale: str
    hall: str = ""  # the hall's name (kiosk.toml [kiosk] hall)
    kiosk_name: str = ""  # [kiosk] name
    device: str = ""  # the device number ([kiosk] id)
    categories: tuple[CategoryView, ...] = ()
    query: str = ""  # what the citizen typed into search; "" shows every item
    searching: bool = False  # the search keyboard is open
    matches: int = 0  # items shown
    identity: dict = field(default_factory=dict)  # the device's identity card, when it is open; {} when closed
    help: bool = True  # the video-help button (视频求助) is offered
    calling: bool = False  # a help call from the home screen is ringing or under way

    def tiles(self) -> list[HomeTile]:
        return [t for c in self.categories for t in c.tiles]

    def all_text(self) -> str:
        parts = [self.hall, self.kiosk_name, self.device, self.query]
        for c in self.categories:
            parts.append(c.title)
            parts += [x for t in c.tiles for x in (t.title, t.summary)]
        parts += list(self.identity.values())
        return "\n".join(p for p in parts if p)


def category_title(category: str, flows, locale: str) -> str:
    """The known heading, else the first flow's `category_title`, else the id itself."""
    for f in flows:
        if f.category_title:
            return pick(f.category_title, locale)
    known = CATEGORIES.get(category)
    return pick(known, locale) if known else category.replace("_", " ")


def build_home(tiles, flows: dict, locale: str, *, kiosk: dict, icons: dict[str, str], query: str = "",
               searching: bool = False, index=None, identity: dict | None = None, help: bool = True, calling: bool = False) -> HomeView:
    """Group ``tiles`` (controller.Tile) by category; categories by their most asked-for item, items by priority.

    ``flows`` maps flow id to its model.Flow; ``index`` (kiosk.search_index.SearchIndex) narrows to ``query``.
    """
    chosen = [t for t in tiles if not query or index is None or index.matches(t.flow, query)]
    groups: dict[str, list] = {}
    for t in chosen:
        groups.setdefault(t.category, []).append(t)

    def tile(t) -> HomeTile:
        f = flows[t.flow]
        summary = pick(f.summary, locale) if f.summary else t.description
        return HomeTile(t.flow, t.title, summary, icons.get(t.flow, ""), t.available, t.reasons, f.priority)

    cats = []
    for cat, members in groups.items():
        ordered = sorted((tile(t) for t in members), key=lambda h: (-h.priority, h.title))
        cats.append(CategoryView(cat, category_title(cat, [flows[t.flow] for t in members], locale), tuple(ordered)))
    cats.sort(key=lambda c: (-c.tiles[0].priority, c.title))
    return HomeView(locale, kiosk.get("hall", ""), kiosk.get("name", ""), kiosk.get("id", ""), tuple(cats), query,
                    searching, len(chosen), dict(identity or {}), help, calling)
