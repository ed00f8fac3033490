"""Service statistics from stored Visit events: per item, hall and day in the statistics' time zone,
completion and failure rates with reasons, busiest hours, printed pages; and the CSV hall managers open in
Excel. Storage tests: they run on every database the `db_engine` fixture gives."""
from __future__ import annotations

import csv
import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest

from backoffice.stats import facts
from backoffice.store import FleetStore
from tests.backoffice import reports
from tests.backoffice.served import start_console

TZ = ZoneInfo("Asia/Shanghai")


def at(day: str, hour: int, minute: int = 0) -> float:
    return dt.datetime.fromisoformat(f"{day}T{hour:02d}:{minute:02d}").replace(tzinfo=TZ).timestamp()


@pytest.fixture
def visits(db_engine):
    """Two halls; a day of visits, one just before midnight Shanghai time (still the same day there, though
    already 15:50 UTC), one on the next day."""
    store = FleetStore(db_engine)
    store.birth("K-1", reports.birth("K-1", hall="市民中心"))
    store.birth("K-2", reports.birth("K-2", hall="=HYPERLINK(\"x\")"))
    for kiosk, v in (
            ("K-1", reports.visit("social_security", pages=2, at=at("2025-05-01", 9, 5))),
            ("K-1", reports.visit("social_security", pages=1, at=at("2025-05-01", 9, 40))),
            ("K-1", reports.visit("social_security", "failed", reason="backend_unavailable", at=at("2025-05-01", 10))),
            ("K-1", reports.visit("housing_fund", "timeout", reason="no_input", at=at("2025-05-01", 23, 50))),
            ("K-1", reports.visit("housing_fund", "cancelled", at=at("2025-05-02", 8))),
            ("K-2", reports.visit("social_security", pages=3, at=at("2025-05-01", 9, 30))),
            ("K-2", reports.visit("social_security", "failed", reason="backend_unavailable", at=at("2025-05-01", 14)))):
        store.event(kiosk, v)  # (its True/False is the ingest part's concern, not counted here)
    store.event("K-1", reports.visit("social_security", pages=2, at=at("2025-05-01", 9, 5)))  # a redelivery
    return db_engine


def test_per_item_with_rates_pages_and_reasons(visits):
    assert facts.sync(visits, "Asia/Shanghai") == 7
    assert facts.sync(visits, "Asia/Shanghai") == 0
    st = facts.Statistics(visits, "2025-05-01", "2025-05-01")
    items = {r["flow"]: r for r in st.per_item()}
    assert {k: items["social_security"][k] for k in ("visits", "completed", "failed", "pages")} == \
        {"visits": 5, "completed": 3, "failed": 2, "pages": 6}
    assert items["social_security"]["completion_rate"] == pytest.approx(0.6)
    assert items["housing_fund"]["failure_rate"] == 1.0  # a timeout is a failure; the cancel was the next day
    assert st.failure_reasons()[0] == {"flow": "social_security", "result": "failed",
                                       "reason": "backend_unavailable", "visits": 2}
    assert [(h["hour"], h["visits"]) for h in st.per_hour()] == [(9, 3), (10, 1), (14, 1), (23, 1)]
    assert st.totals()["visits"] == 6
    assert [(r["hall"], r["visits"], r["pages"]) for r in st.per_hall()] == [("=HYPERLINK(\"x\")", 2, 3),
                                                                           ("市民中心", 4, 3)]


def test_a_hall_and_a_range_narrow_it(visits):
    facts.sync(visits, "Asia/Shanghai")
    st = facts.Statistics(visits, "2025-05-01", "2025-05-02", "市民中心")
    assert [(r["day"], r["visits"]) for r in st.per_day()] == [("2025-05-01", 4), ("2025-05-02", 1)]
    rows = facts.Statistics(visits, "2025-05-01", "2025-05-02").per_hall_day_item()
    assert [(r["hall"], r["day"], r["flow"], r["visits"]) for r in rows] == [
        ("=HYPERLINK(\"x\")", "2025-05-01", "social_security", 2),
        ("市民中心", "2025-05-01", "housing_fund", 1), ("市民中心", "2025-05-01", "social_security", 3),
        ("市民中心", "2025-05-02", "housing_fund", 1)]
    assert facts.Statistics(visits, "2025-05-03", "2025-05-09").totals()["visits"] == 0


async def test_the_csv_opens_in_excel_in_the_readers_language(tmp_path, visits):
    console = await start_console(tmp_path, None, engine=visits, user=("m1", "viewer"))
    try:
        async with console.session() as http:
            async with http.get(f"{console.url}/stats.csv?from=2025-05-01&to=2025-05-02") as r:
                assert r.status == 200 and r.headers["Content-Type"].startswith("text/csv")
                assert "attachment" in r.headers["Content-Disposition"]
                zh = await r.read()
            async with http.get(f"{console.url}/stats.csv?from=2025-05-01&to=2025-05-02&lang=en") as r:
                en = (await r.read()).decode("utf-8-sig")
            async with http.get(f"{console.url}/stats.csv?from=2025-05-09&to=2025-05-01") as r:
                assert r.status == 400
    finally:
        await console.stop()
    assert zh.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(zh.decode("utf-8-sig"))))
    assert table[0][:4] == ["网点", "日期", "事项", "办理次数"]
    assert table[1][:4] == ["'=HYPERLINK(\"x\")", "2025-05-01", "social_security", "2"]  # never run as a formula
    assert ["市民中心", "2025-05-01", "social_security", "3", "2", "1", "0", "66.7%", "33.3%", "3", "0"] in table
    assert en.splitlines()[0].startswith("Hall,Day,Item,Visits,Completed,Failed")
