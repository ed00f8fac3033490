"""Shared by the accounts tests: a clock the test moves, and signing in through the real form."""
from __future__ import annotations

import re


class Clock:
    """Stands in for time.time and time.monotonic: a lockout window passes without sleeping."""

    def __init__(self, start: float = 1_900_000_000.0):
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


CSRF_FIELD = re.compile(r'name="csrf" value="([^"]*)"')


async def sign_in(client, name: str, password: str, next_path: str = "/"):
    """GET the form (its double-submit token), then POST it, as a browser does; redirects not followed."""
    form = await client.get("/login")
    nonce = CSRF_FIELD.search(await form.text()).group(1)
    return await client.post("/login", data={"name": name, "password": password, "csrf": nonce,
                                              "next": next_path}, allow_redirects=False)


async def csrf_of(client, path: str = "/audit") -> str:
    """The session's CSRF token, as a signed-in page carries it (the sign-out form in the header)."""
    page = await client.get(path)
    return CSRF_FIELD.search(await page.text()).group(1)


PASSWORD = "kiosk-console-test-9271"  # passes the password policy; no known default


def add_account(engine, name: str, role: str, password: str = PASSWORD) -> None:
    """An account in the console's database, as `backoffice users add` makes it (the database is upgraded)."""
    from backoffice.auth.accounts import Accounts
    from backoffice.config import AuthConfig
    Accounts(engine, AuthConfig()).add(name, role, password, actor="test")


def api_token(engine, name: str, role: str) -> str:
    """An API token, as `backoffice tokens add NAME --role ROLE` makes it; its requests act as `token:NAME`."""
    from backoffice.auth.tokens import Tokens
    return Tokens(engine).issue(name, role, actor="test")


async def signed_in_session(base_url: str, name: str, password: str = PASSWORD):
    """An aiohttp session signed in through /login like a browser, sending its session's CSRF token on every
    request (as the console's own script does for its forms and fetches)."""
    from aiohttp import ClientSession, CookieJar
    http = ClientSession(base_url=base_url, cookie_jar=CookieJar(unsafe=True))  # unsafe: cookies for 127.0.0.1
    response = await sign_in(http, name, password)
    if response.status != 302:
        await http.close()
        raise AssertionError(f"sign-in as {name} refused: {response.status}")
    http.headers["X-CSRF-Token"] = await csrf_of(http, "/fleet")
    return http


def sign_in_page(page, base_url: str, name: str, password: str = PASSWORD, path: str = "/") -> None:
    """Sign a Playwright page in through the login form, then land on `path`."""
    from urllib.parse import quote
    page.goto(f"{base_url}/login?next={quote(path, safe='/')}")
    page.locator("input[name=name]").fill(name)
    page.locator("input[name=password]").fill(password)
    page.locator("form[action='/login'] button").click()
    page.wait_for_url(lambda url: "/login" not in url)
