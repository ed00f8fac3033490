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
