"""Screenshots of the console's sign-in, fleet, kiosk and audit pages for docs/screenshots/console/
(`make console-screenshots`; the alerts and statistics pages: scripts/shoot_alerts_stats.py).

A seeded fleet (tests/backoffice/fleet_seed.py: made-up halls, a realistic mix of states) served in-process,
an operator account signed in through /login, photographed by Debian's Chromium in both languages.
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.backoffice.auth_helpers import add_account, sign_in_page  # noqa: E402
from tests.backoffice.console import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.backoffice.fleet_seed import seed  # noqa: E402
from tests.backoffice.live_console import LiveConsole  # noqa: E402
from tests.fleet.mqtt_helpers import Broker  # noqa: E402

OUT = ROOT / "docs" / "screenshots" / "console"


def main() -> None:
    from playwright.sync_api import sync_playwright
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as d:
        broker = Broker(Path(d)).start()
        console = LiveConsole(Path(d), broker.port)
        try:
            console.start()
            seed(console.store, 120, history_for=("K-00007",))
            console.settle()
            add_account(console.server.engine, "ops", "operator")
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
                for lang in ("zh-CN", "en"):
                    page = browser.new_page(viewport={"width": 1440, "height": 900}, locale=lang)
                    page.goto(f"{console.url}/login?lang={lang}")
                    page.screenshot(path=OUT / f"login-{lang}.png")
                    sign_in_page(page, console.url, "ops", path=f"/fleet?lang={lang}")
                    page.wait_for_selector("[data-live='1']")
                    page.screenshot(path=OUT / f"fleet-{lang}.png")
                    page.select_option("[data-test=paper]", "any")
                    page.wait_for_function("document.querySelectorAll('#rows tr[data-id]').length < 40")
                    page.screenshot(path=OUT / f"fleet-paper-{lang}.png")
                    page.goto(f"{console.url}/kiosks/K-00007")
                    page.wait_for_selector("[data-test=timeline]")
                    page.screenshot(path=OUT / f"kiosk-{lang}.png", full_page=True)
                    page.goto(f"{console.url}/audit?lang={lang}")
                    page.screenshot(path=OUT / f"audit-{lang}.png", full_page=True)
                    page.close()
                browser.close()
        finally:
            console.stop()
            broker.stop()
    for p in sorted(OUT.glob("*.png")):
        print(p.relative_to(ROOT))


if __name__ == "__main__":
    main()
