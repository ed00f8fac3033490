"""The console's two languages. Each page module registers its own texts: key -> {"zh-CN": ..., "en": ...}.

The locale comes from `?lang=`, then the `lang` cookie, then Accept-Language; zh-CN by default.
"""
from __future__ import annotations

from aiohttp import web

LOCALES = ("zh-CN", "en")
DEFAULT = "zh-CN"
_TEXTS: dict[str, dict[str, str]] = {}


def add(texts: dict[str, dict[str, str]]) -> None:
    for key, by_locale in texts.items():
        missing = set(LOCALES) - set(by_locale)
        if missing:
            raise ValueError(f"console text {key!r} lacks {', '.join(sorted(missing))}")
        _TEXTS[key] = by_locale


def text(key: str, locale: str, **values) -> str:
    """The text in `locale`; an unregistered key shows itself, so a missing text is visible, not blank."""
    found = _TEXTS.get(key, {}).get(locale, key)
    return found.format(**values) if values else found


def locale_of(request: web.Request) -> str:
    for candidate in (request.query.get("lang"), request.cookies.get("lang")):
        if candidate in LOCALES:
            return candidate
    accept = request.headers.get("Accept-Language", "").lower()
    if accept.startswith("en"):
        return "en"
    return DEFAULT


add({
    "console.title": {"zh-CN": "自助终端运维平台", "en": "Kiosk operations console"},
    "nav.fleet": {"zh-CN": "设备总览", "en": "Fleet"},
    "nav.signout": {"zh-CN": "退出", "en": "Sign out"},
    "nav.language": {"zh-CN": "English", "en": "中文"},
})
