"""Screenshots of the console's alerts and statistics pages for docs/screenshots/console/, in both languages.

A throwaway database is filled through the same stores and evaluator that ingest uses (a dozen kiosks in
three halls, a mix of faults, a week of visits drawn from a fixed seed), then the pages are shot in
Debian's Chromium, signed in through /login as an operator (tests/backoffice/served.py).

    PYTHONPATH=. .venv/bin/python scripts/shoot_alerts_stats.py
"""
from __future__ import annotations

import datetime as dt
import random
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from backoffice import db  # noqa: E402
from backoffice.alerts.evaluator import Evaluator  # noqa: E402
from backoffice.alerts.settings import AlertsConfig  # noqa: E402
from backoffice.alerts.store import AlertStore  # noqa: E402
from backoffice.store import FleetStore  # noqa: E402
from tests.backoffice import reports  # noqa: E402
from tests.backoffice.console import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.backoffice.served import ThreadedConsole  # noqa: E402

OUT = ROOT / "docs" / "screenshots" / "console"
HALLS = ("市民中心", "东城区政务服务中心", "和平里社区服务站")
ITEMS = ("social_security_certificate", "housing_fund_query", "queue_ticket", "medical_insurance_query")


def seed(engine) -> None:
    fleet, alerts = FleetStore(engine), AlertStore(engine)
    evaluator = Evaluator(alerts, AlertsConfig(), lambda event, alert: False)

    def report(kiosk_id, msg):
        {"Birth": fleet.birth, "Health": fleet.health}[type(msg).__name__](kiosk_id, msg)
        evaluator.on_report(kiosk_id, msg)
    faults = (dict(paper="paper_out", state="degraded"), dict(paper="paper_low"),
              dict(reader="offline", state="degraded"), dict(system={"clock_synchronized": False}), {},
              dict(system={"disk_free_mib": 312}))
    for i in range(12):
        k = f"K-{i + 1:04d}"
        report(k, reports.birth(k, hall=HALLS[i % 3]))
        report(k, reports.health(**faults[i % 6]))
    alerts.acknowledge(alerts.alerts(kiosk_id="K-0002")[0]["id"], "张工")
    report("K-0007", reports.health())  # paper refilled: its alert cleared itself
    for seq in (2, 3):
        report("K-0011", reports.birth("K-0011", seq=seq, hall=HALLS[1]))
    alerts.add_window(kiosk_id=None, hall=HALLS[2], starts_at=time.time(), ends_at=time.time() + 7200,
                      reason="更换打印机", user="张工")
    rnd, tz = random.Random(7), ZoneInfo("Asia/Shanghai")
    today = dt.datetime.now(tz).date()
    for back in range(7):
        day = today - dt.timedelta(days=back)
        for _ in range(rnd.randint(30, 60)):
            hour = rnd.choice((9, 9, 10, 10, 10, 11, 14, 14, 15, 16, 19, 21))
            at = dt.datetime.combine(day, dt.time(hour, rnd.randint(0, 59), rnd.randint(0, 59)), tz).timestamp()
            result = rnd.choices(("completed", "failed", "cancelled", "timeout"), (80, 7, 9, 4))[0]
            reason = {"failed": "backend_unavailable", "timeout": "no_input"}.get(result, "")
            pages = rnd.randint(0, 3) if result == "completed" else 0
            fleet.event(f"K-{rnd.randint(1, 12):04d}", reports.visit(rnd.choice(ITEMS), result, reason=reason,
                                                                      pages=pages, at=at))


def main() -> None:
    from playwright.sync_api import sync_playwright
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        engine = db.engine(f"sqlite:///{tmp}/shots.db")
        db.upgrade(engine)
        seed(engine)
        console = ThreadedConsole(Path(tmp), None, engine=engine)
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
                for lang in ("zh-CN", "en"):
                    page = browser.new_page(viewport={"width": 1440, "height": 900}, locale=lang)
                    console.sign_in(page, f"/alerts?lang={lang}")
                    for name in ("alerts", "stats"):
                        page.goto(f"{console.url}/{name}?lang={lang}")
                        page.screenshot(path=str(OUT / f"{name}-{lang}.png"), full_page=True)
                browser.close()
        finally:
            console.stop()
    print(f"written to {OUT}")


if __name__ == "__main__":
    main()
