"""Fixtures for the back office: a broker, a `backoffice serve` process, and Chromium."""
from __future__ import annotations


import pytest

from tests.backoffice import pg
from tests.backoffice.console import CHROMIUM_ARGS, Console, chromium
from tests.fleet.mqtt_helpers import Broker, connected_client, disconnect_client, free_port


@pytest.fixture(scope="session")
def pg_server():
    """One PostgreSQL 15 cluster for the session; each test gets its own database in it."""
    why = pg.missing()
    if why:
        pytest.skip(why)
    server = pg.PostgresServer().start()
    yield server
    server.remove()


@pytest.fixture
def db_url(request, tmp_path):
    """An empty database's URL, on each of the two engines the back office supports: every storage test that
    takes it (or db_engine) runs on SQLite, the embedded default, and on PostgreSQL 15, the production one."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'backoffice.db'}"
        return
    server = request.getfixturevalue("pg_server")
    url = server.create_database()
    yield url
    server.drop_database(url)


@pytest.fixture
def db_engine(db_url):
    """A migrated database for storage tests, on both engines (see db_url)."""
    from backoffice import db
    eng = db.engine(db_url)
    db.upgrade(eng)
    yield eng
    eng.dispose()


def pytest_generate_tests(metafunc):
    if "db_url" in metafunc.fixturenames:
        metafunc.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture
def broker(tmp_path):
    """A Mosquitto of the test's own (a module may define its own `broker` instead)."""
    (tmp_path / "mqtt").mkdir()
    b = Broker(tmp_path / "mqtt").start()
    yield b
    b.stop()


@pytest.fixture
def kiosk(broker):
    """One MQTT client standing in for any number of kiosks: tests publish on each kiosk's topics with it."""
    c = connected_client(broker.port, "fake-kiosks")
    yield c
    disconnect_client(c)


@pytest.fixture
def console_broker(tmp_path):
    (tmp_path / "mqtt").mkdir()
    b = Broker(tmp_path / "mqtt").start()
    yield b
    b.stop()


@pytest.fixture
def console(tmp_path, console_broker):
    c = Console(tmp_path, free_port(), console_broker.port).start()
    yield c
    c.stop()


@pytest.fixture
def browser():
    """Per test (a launch costs about half a second): see tests.backoffice.console.chromium."""
    with chromium(CHROMIUM_ARGS) as b:
        yield b


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1440, "height": 900})
    p = context.new_page()
    p.set_default_timeout(10_000)
    yield p
    context.close()
