"""While the broker or the database is away, every console page says its data is not current."""
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from backoffice import db, keys
from backoffice.pipeline import Pipeline
from backoffice.store import FleetStore
from backoffice.web import render


async def page_text(pipeline: Pipeline, lang: str) -> str:
    app = web.Application()
    app[keys.INGEST] = pipeline
    async def handler(request):
        return render(request, "base.html")
    app.router.add_get("/", handler)
    async with TestClient(TestServer(app)) as client:
        response = await client.get(f"/?lang={lang}")
        return await response.text()


async def test_pages_say_when_the_data_is_stale_and_why(tmp_path):
    engine = db.engine(f"sqlite:///{tmp_path / 'b.db'}")
    pipeline = Pipeline(FleetStore(engine))
    assert 'data-test="stale"' in await page_text(pipeline, "en")  # not connected yet: stale from the start
    pipeline.broker.mark(True)
    assert 'data-test="stale"' not in await page_text(pipeline, "en")  # current: no banner
    pipeline.database.mark(False, "OperationalError")
    en, zh = await page_text(pipeline, "en"), await page_text(pipeline, "zh-CN")
    assert "The database is unreachable" in en and "last known states" in en
    assert "数据库无法访问" in zh
    engine.dispose()
