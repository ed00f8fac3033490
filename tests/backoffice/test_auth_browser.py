"""Signing in and out in Chromium, against a real `backoffice serve` in demo mode, in both languages."""
import json
import re
import urllib.request

import pytest

from tests.backoffice.console import Console
from tests.fleet.mqtt_helpers import free_port


@pytest.fixture
def demo_console(tmp_path, console_broker):
    c = Console(tmp_path, free_port(), console_broker.port, extra_toml='\n[auth]\nmode = "demo"\n').start()
    yield c
    c.stop()


def test_sign_in_in_chinese_lands_where_asked_and_sign_out_ends_it(demo_console, page):
    page.goto(f"{demo_console.url}/audit")
    assert re.search(r"/login\?next=/audit$", page.url)
    assert page.locator("h1").inner_text() == "登录"
    page.get_by_label("用户名").fill("admin")
    page.get_by_label("密码").fill("wrong-password")
    page.get_by_role("button", name="登录").click()
    assert "请检查用户名和密码" in page.locator("[data-test=login-error]").inner_text()
    page.get_by_label("密码").fill("admin-demo")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{demo_console.url}/audit")
    assert page.locator("h1").inner_text() == "审计日志"
    assert page.locator(".user").inner_text() == "admin · admin"
    assert "login.success" in page.locator("table[data-test=audit] tbody tr").first.inner_text()
    page.get_by_role("button", name="退出").click()
    page.wait_for_url(re.compile(r"/login$"))
    page.goto(f"{demo_console.url}/audit")
    assert "/login" in page.url  # signed out: the page asks again


def test_sign_in_in_english_with_an_account_made_by_the_command_then_goes_home(console, page):
    """The `console` fixture's serve is in production mode, with accounts made by `backoffice users add`."""
    console.add_user("olga", "operator", "olga-on-duty-2026")
    page.goto(f"{console.url}/login?lang=en")
    page.get_by_label("Name").fill("olga")
    page.get_by_label("Password").fill("operator-demo")  # a demo password: never in production
    page.get_by_role("button", name="Sign in").click()
    assert page.locator("[data-test=login-error]").inner_text().startswith("Sign-in failed")
    page.get_by_label("Password").fill("olga-on-duty-2026")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/fleet$"))  # home is the fleet page
    page.goto(f"{console.url}/audit")
    assert page.locator("nav a[aria-current=page]").inner_text() == "Audit log"
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/login$"))
    assert page.get_by_role("button", name="Sign in").is_visible()
    console.sign_in(page, "olga", "olga-on-duty-2026", "/audit")  # the helper other page tests use
    assert page.locator("h1").inner_text() == "Audit log"
    request = urllib.request.Request(f"{console.url}/api/v1/kiosks",
                                     headers={"Authorization": f"Bearer {console.token()}"})
    with urllib.request.urlopen(request, timeout=10) as r:  # and another system reads the API with a token
        assert json.load(r)["kiosks"] == []
