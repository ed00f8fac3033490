"""Operators read a peripheral's trouble under the name they know (凭条打印机缺纸), never the kiosk's role id."""
import html
import re

from backoffice.pages.fleet_texts import DEVICES
from tests.backoffice.fleet_seed import seed
from tests.backoffice.live_console import live  # noqa: F401  (fixture)
from tests.backoffice.test_fleet_api import opened


def cells(page: str, pattern: str) -> list[str]:
    return [html.unescape(c) for c in re.findall(pattern, page, re.S)]


def test_paper_out_names_the_receipt_printer_in_the_consoles_language(live):
    seed(live.store, 8)  # K-00007: the receipt printer and the ticket dispenser out of paper (fleet_seed MIX)
    live.settle()
    for lang, expected in (("zh-CN", "凭条打印机缺纸"), ("en", "Receipt printer: paper out")):
        with opened(live, f"/fleet?lang={lang}&paper=out") as r:
            reasons = cells(r.read().decode(), r'<td class="reasons">(.*?)</td>')
        assert len(reasons) == 1 and expected in reasons[0], reasons
        assert not any(role in reasons[0] for role in DEVICES), reasons[0]
    with opened(live, "/kiosks/K-00007?lang=en") as r:
        page = r.read().decode()
    listed = cells(page, r'<ul class="reasons" data-test="reasons">(.*?)</ul>')[0]
    assert "Receipt printer: paper out" in listed and "receipt_printer:" not in re.sub(r'data-reason="[^"]*"', "", listed)
    assert cells(page, r'<td data-role="receipt_printer">(.*?)</td>') == ["Receipt printer"]  # the devices table


def test_the_page_script_gets_every_device_name():
    """The live rows are drawn by fleet.js from the same texts: each role of the contracts has its name there."""
    from backoffice.pages.fleet import client_texts

    texts = client_texts("zh-CN")
    assert {texts[f"device.{role}"] for role in DEVICES} == {zh for zh, _ in DEVICES.values()}
