"""The console's shell in a real browser: served by `backoffice serve`, styled, in both languages."""
from __future__ import annotations

from backoffice.web import i18n


def test_the_stylesheet_is_served_and_applied(console, page):
    page.set_content('<html><head><link rel="stylesheet" href="%s/static/console.css"></head>'
                     '<body><header class="top">x</header></body></html>' % console.url)
    page.wait_for_load_state("networkidle")
    colour = page.eval_on_selector("header.top", "e => getComputedStyle(e).backgroundColor")
    assert colour == "rgb(11, 61, 145)"


def test_every_console_text_has_both_languages():
    assert i18n.text("nav.fleet", "en") == "Fleet"
    assert i18n.text("nav.fleet", "zh-CN") == "设备总览"
    assert i18n.text("no.such.key", "en") == "no.such.key"
