"""The staff page's queue at the two screens a help desk has (1280x800 laptops, 1920x1080 monitors), in both
languages: with a call waiting, every column of the queue, its header included, shows whole: no cell's text is
cut (scrollWidth <= clientWidth) and no cell reaches past its panel or the window."""
import pytest

from tests.backoffice.kiosk_peer import KioskPeer, loopback_ice
from tests.backoffice.staff_helpers import AGENT, AGENT_PW, CONTEXT, ITEM, KIOSK, STEP, desk_console, wait_state
from tests.fleet.mqtt_helpers import free_port

# For each cell of the queue (header and rows): what does not show of it, in CSS pixels (0: all of it).
HIDDEN = """() => {
  const table = document.querySelector('[data-test=queue]');
  const panel = table.closest('section').getBoundingClientRect();
  const right = Math.min(panel.right, window.innerWidth);
  return [...table.querySelectorAll('th, td')].map((c) => {
    const r = c.getBoundingClientRect();
    return [c.textContent, Math.max(0, c.scrollWidth - c.clientWidth, Math.ceil(r.right - right))];
  });
}"""


@pytest.fixture
def desk(tmp_path, console_broker, monkeypatch):
    loopback_ice(monkeypatch)
    console = desk_console(tmp_path, free_port(), console_broker.port)
    kiosk = None
    try:
        kiosk = KioskPeer(console.url, KIOSK, console.credential, CONTEXT).start(ITEM, STEP, "social_security")
        yield console
    finally:
        if kiosk is not None:
            kiosk.stop()
        console.stop()


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_every_column_of_the_queue_shows_whole_on_a_laptop_and_a_monitor(desk, browser, locale):
    context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 800})
    try:
        page = context.new_page()
        page.set_default_timeout(20_000)
        desk.sign_in(page, AGENT, AGENT_PW, "/helpdesk/staff")
        wait_state(page, "not_ready")
        page.locator(f"[data-test=queue] tr:has-text('{KIOSK}')").wait_for()
        for width, height in ((1280, 800), (1920, 1080)):
            page.set_viewport_size({"width": width, "height": height})
            cut = [(text, px) for text, px in page.evaluate(HIDDEN) if px > 0]
            assert cut == [], f"{width}x{height}: cut cells {cut}"
    finally:
        context.close()
