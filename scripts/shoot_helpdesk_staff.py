"""Screenshots of the staff page mid-call for docs/screenshots/console/ (helpdesk-staff-*.png), both languages.

A real `backoffice serve` with an agent and a kiosk whose identity card is in the fleet store; a simulated
kiosk (aiortc with ffmpeg's testsrc and a sine, the tests' KioskPeer) calls; Debian's Chromium with its fake
camera signs in as the agent, accepts, and is photographed with the citizen's video and the masked context.

    PYTHONPATH=. .venv/bin/python scripts/shoot_helpdesk_staff.py
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.backoffice.console import CHROMIUM  # noqa: E402
from tests.backoffice.kiosk_peer import KioskPeer, ice_module  # noqa: E402
from tests.backoffice.staff_helpers import (AGENT, AGENT_PW, CONTEXT, ITEM, KIOSK, MEDIA_ARGS, STEP,  # noqa: E402
                                            VIDEO_MEAN, desk_console, wait_state)
from tests.fleet.mqtt_helpers import Broker, free_port  # noqa: E402

OUT = ROOT / "docs" / "screenshots" / "console"


def main() -> None:
    from playwright.sync_api import sync_playwright
    ice_module().get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]  # loopback ICE on this machine only
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "mqtt").mkdir()
        broker = Broker(work / "mqtt").start()
        console = desk_console(work, free_port(), broker.port)
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=MEDIA_ARGS, headless=True)
                for lang in ("zh-CN", "en"):
                    context = browser.new_context(locale=lang, viewport={"width": 1440, "height": 860})
                    page = context.new_page()
                    page.set_default_timeout(20_000)
                    console.sign_in(page, AGENT, AGENT_PW, f"/helpdesk/staff?lang={lang}")
                    wait_state(page, "not_ready")
                    page.click("[data-test=set-available]")
                    kiosk = KioskPeer(console.url, KIOSK, console.credential, CONTEXT).start(ITEM, STEP)
                    try:
                        page.wait_for_selector("[data-test=ring]:not([hidden])")
                        page.click("[data-test=accept]")
                        page.wait_for_function(f"({VIDEO_MEAN})() > 20")
                        page.wait_for_selector("[data-test=ctx-values] dd")
                        page.wait_for_selector("[data-test=mute]:not([disabled])")
                        page.wait_for_selector("[data-test=queue] tbody tr")
                        page.screenshot(path=str(OUT / f"helpdesk-staff-{lang}.png"))
                        page.click("[data-test=end]")
                        wait_state(page, "wrap_up")
                        page.click("[data-test=wrapup-done]")
                        wait_state(page, "available")
                    finally:
                        kiosk.stop()
                    context.close()
                browser.close()
        finally:
            console.stop()
            broker.stop()
    print(f"wrote {OUT}/helpdesk-staff-{{zh-CN,en}}.png")


if __name__ == "__main__":
    main()
