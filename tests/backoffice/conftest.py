"""Fixtures for the back office: a broker, a `backoffice serve` process, and Chromium."""
from __future__ import annotations

import os

import pytest

from tests.backoffice.console import CHROMIUM, CHROMIUM_ARGS, Console
from tests.fleet.mqtt_helpers import Broker, free_port


@pytest.fixture
def db_engine(tmp_path):
    """A migrated database for storage tests: SQLite (WAL) here; the PostgreSQL part parametrizes this
    fixture so every storage test runs on both."""
    from backoffice import db
    eng = db.engine(f"sqlite:///{tmp_path / 'backoffice.db'}")
    db.upgrade(eng)
    yield eng
    eng.dispose()


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
    """Per test: Playwright's sync API keeps an event loop running while it is open, which pytest-asyncio's
    tests cannot share, so it must not outlive the test (a launch costs about half a second)."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"no Chromium at {CHROMIUM}: `make test` installs Debian's chromium package")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1440, "height": 900})
    p = context.new_page()
    p.set_default_timeout(10_000)
    yield p
    context.close()
