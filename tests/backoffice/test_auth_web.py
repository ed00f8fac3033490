"""The sign-in middleware, the login page, CSRF, tokens and the audit page, over real HTTP in-process.

The application is the real one (app.build) with a clock the test moves, plus one operator action
(/test/act) standing in for the commands other parts add.
"""
import re

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from backoffice import app as console_app
from backoffice import audit
from backoffice.auth import MARK, require
from backoffice.auth.service import Auth
from backoffice.config import parse
from backoffice.ingest import Ingest
from backoffice.keys import AUTH
from backoffice.openapi import load
from backoffice.store import FleetStore
from backoffice.web import render
from tests.backoffice.auth_helpers import Clock, csrf_of, sign_in

OPERATOR_PW, VIEWER_PW, ADMIN_PW = "operator-passphrase-1", "viewer-passphrase-1", "admin-passphrase-1"


def build(engine, tmp_path, clock=None, **auth):
    cfg = parse({"auth": {"lockout_failures": 3, "lockout_minutes": 10, **auth.pop("auth", {})}, **auth},
                "backoffice.toml", base=tmp_path)
    store = FleetStore(engine)
    application = console_app.build(cfg, store, Ingest(store, "127.0.0.1", 1))
    clock = clock or Clock()
    application[AUTH] = Auth(engine, cfg, clock=clock, monotonic=clock)

    @require("operator")
    async def act(request):
        return web.json_response({"done": (await request.post()).get("what", "")})
    application.router.add_post("/test/act", act)

    @require("viewer")
    async def viewer_page(request):  # any signed-in page: the layout, with its sign-out form
        return render(request, "base.html")
    application.router.add_get("/test/page", viewer_page)
    return application


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
async def client(db_engine, tmp_path, clock):
    application = build(db_engine, tmp_path, clock)
    accounts = application[AUTH].accounts
    accounts.add("olga", "operator", OPERATOR_PW, actor="test")
    accounts.add("victor", "viewer", VIEWER_PW, actor="test")
    accounts.add("ada", "admin", ADMIN_PW, actor="test")
    async with TestClient(TestServer(application)) as c:
        yield c


def set_cookie(response, name):
    return next(h for h in response.headers.getall("Set-Cookie") if h.startswith(name + "="))


async def test_sign_in_gives_an_httponly_samesite_session_cookie_and_goes_where_it_was_asked(client):
    first = await client.get("/audit", allow_redirects=False)
    assert (first.status, first.headers["Location"]) == (302, "/login?next=/audit")
    r = await sign_in(client, "olga", OPERATOR_PW, "/audit")
    assert (r.status, r.headers["Location"]) == (302, "/audit")
    cookie = set_cookie(r, "bo_session")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain http on loopback, secure_cookies not set
    page = await client.get("/audit")
    assert page.status == 200 and "olga · operator" in await page.text()


async def test_the_cookie_is_secure_when_configured(db_engine, tmp_path):
    application = build(db_engine, tmp_path, server={"secure_cookies": True})
    application[AUTH].accounts.add("olga", "operator", OPERATOR_PW, actor="test")
    async with TestClient(TestServer(application)) as c:
        form = await c.get("/login")
        nonce = set_cookie(form, "bo_login")
        assert "Secure" in nonce  # so the jar, on plain http, will not send it back: the test does
        nonce = nonce.split(";")[0].split("=", 1)[1]
        r = await c.post("/login", data={"name": "olga", "password": OPERATOR_PW, "csrf": nonce},
                         cookies={"bo_login": nonce}, allow_redirects=False)
        assert r.status == 302 and "Secure" in set_cookie(r, "bo_session")


async def test_a_wrong_password_and_an_unknown_name_get_the_same_generic_answer(client):
    wrong = await sign_in(client, "olga", "not-her-password")
    unknown = await sign_in(client, "nobody-here", "not-her-password")
    assert wrong.status == unknown.status == 403
    texts = [re.sub(r'name="(name|csrf)" value="[^"]*"', "", await r.text()) for r in (wrong, unknown)]
    assert texts[0] == texts[1] and "请检查用户名和密码" in texts[0]
    assert "bo_session" not in str(wrong.cookies)


async def test_the_sign_in_form_needs_its_own_token(client):
    r = await client.post("/login", data={"name": "olga", "password": OPERATOR_PW}, allow_redirects=False)
    assert r.status == 403


async def test_a_post_from_a_session_needs_the_sessions_csrf_token(client):
    await sign_in(client, "olga", OPERATOR_PW)
    token = await csrf_of(client)
    assert (await client.post("/test/act", data={"what": "restart"})).status == 403
    assert (await client.post("/test/act", data={"what": "restart", "csrf": "forged"})).status == 403
    assert (await client.post("/test/act", data={"what": "restart"}, headers={"X-CSRF-Token": "x"})).status == 403
    ok = await client.post("/test/act", data={"what": "restart", "csrf": token})
    assert (ok.status, await ok.json()) == (200, {"done": "restart"})
    ok = await client.post("/test/act", json={}, headers={"X-CSRF-Token": token})
    assert ok.status == 200


async def test_a_viewer_cannot_take_an_operator_action_nor_read_the_audit_log(client):
    await sign_in(client, "victor", VIEWER_PW)
    token = await csrf_of(client, "/test/page")
    assert (await client.post("/test/act", data={"what": "restart", "csrf": token})).status == 403
    assert (await client.get("/audit")).status == 403


async def test_lockout_through_the_form_then_the_window_passes(client, clock):
    for _ in range(3):
        assert (await sign_in(client, "olga", "wrong-password")).status == 403
    assert (await sign_in(client, "olga", OPERATOR_PW)).status == 403  # locked: the right password too
    clock.advance(10 * 60 + 1)
    assert (await sign_in(client, "olga", OPERATOR_PW)).status == 302
    engine = client.app[AUTH].engine
    assert [r.action for r in audit.entries(engine, actor="olga", action="login")] == [
        "login.success", "login.failure", "login.lockout", "login.failure", "login.failure"]


async def test_rate_limit_per_address_answers_429_until_the_minute_has_passed(db_engine, tmp_path, clock):
    application = build(db_engine, tmp_path, clock, auth={"attempts_per_address": 3, "lockout_failures": 50})
    application[AUTH].accounts.add("olga", "operator", OPERATOR_PW, actor="test")
    async with TestClient(TestServer(application)) as c:
        for name in ("a", "b", "c"):  # different names: the address is what is counted
            assert (await sign_in(c, name, "guess-guess")).status == 403
        limited = await sign_in(c, "olga", OPERATOR_PW)
        assert limited.status == 429 and "尝试次数过多" in await limited.text()
        assert (await sign_in(c, "olga", OPERATOR_PW)).status == 429
        flood = audit.entries(db_engine, action="login.rate_limited")
        assert [(e.actor, e.detail["by"]) for e in flood] == [("olga", "address")]  # once, not per attempt
        clock.advance(61)
        assert (await sign_in(c, "olga", OPERATOR_PW)).status == 302


@pytest.mark.parametrize("trusted", [True, False])
async def test_behind_a_trusted_proxy_the_forwarded_address_is_counted_and_otherwise_ignored(db_engine, tmp_path,
                                                                                            clock, trusted):
    application = build(db_engine, tmp_path, clock, auth={"attempts_per_address": 2, "lockout_failures": 50},
                        server={"trusted_proxies": ["127.0.0.1"] if trusted else []})
    async with TestClient(TestServer(application)) as c:
        for name in ("a", "b"):
            c.session.headers["X-Forwarded-For"] = "203.0.113.9, 10.0.0.1"
            assert (await sign_in(c, name, "guess-guess")).status == 403
        assert (await sign_in(c, "c", "guess-guess")).status == 429
        c.session.headers["X-Forwarded-For"] = "10.0.0.2"  # another client behind the proxy, or a spoofed header
        assert (await sign_in(c, "d", "guess-guess")).status == (403 if trusted else 429)
    assert audit.entries(db_engine, actor="a")[0].detail["address"] == ("10.0.0.1" if trusted else "127.0.0.1")


async def test_rate_limit_per_account_counts_a_name_from_any_address(db_engine, tmp_path, clock):
    application = build(db_engine, tmp_path, clock, auth={"attempts_per_account": 2, "lockout_failures": 50})
    application[AUTH].accounts.add("olga", "operator", OPERATOR_PW, actor="test")
    async with TestClient(TestServer(application)) as c:
        for _ in range(2):
            assert (await sign_in(c, "olga", "guess-guess")).status == 403
        assert (await sign_in(c, "olga", OPERATOR_PW)).status == 429
        assert (await sign_in(c, "someone-else", "guess-guess")).status == 403  # another name is not limited


async def test_sign_out_ends_the_session_and_is_audited(client):
    await sign_in(client, "olga", OPERATOR_PW)
    cookie = client.session.cookie_jar.filter_cookies(client.make_url("/"))["bo_session"].value
    token = await csrf_of(client)
    assert (await client.post("/logout", data={"csrf": "wrong"})).status == 403  # CSRF guards sign-out too
    r = await client.post("/logout", data={"csrf": token}, allow_redirects=False)
    assert (r.status, r.headers["Location"]) == (302, "/login")
    again = await client.get("/audit", allow_redirects=False, cookies={"bo_session": cookie})
    assert again.status == 302  # the old cookie, replayed, opens nothing
    assert audit.entries(client.app[AUTH].engine, action="logout")[0].actor == "olga"


async def test_next_never_leads_off_the_console(client):
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        client.session.cookie_jar.clear()
        r = await sign_in(client, "olga", OPERATOR_PW, target)
        assert r.headers["Location"] == "/"


async def test_api_tokens_authenticate_without_csrf_and_stop_at_once_when_revoked(client):
    tokens = client.app[AUTH].tokens
    assert (await client.get("/api/v1/kiosks")).status == 401
    viewer = tokens.issue("city-dashboard", "viewer", actor="test")
    operator = tokens.issue("ticketing", "operator", actor="test")
    r = await client.get("/api/v1/kiosks", headers={"Authorization": f"Bearer {viewer}"})
    assert (r.status, (await r.json())["kiosks"]) == (200, [])
    assert (await client.post("/test/act", headers={"Authorization": f"Bearer {viewer}"})).status == 403
    assert (await client.post("/test/act", headers={"Authorization": f"Bearer {operator}"})).status == 200
    tokens.revoke("city-dashboard", actor="test")
    r = await client.get("/api/v1/kiosks", headers={"Authorization": f"Bearer {viewer}"})
    assert r.status == 401 and "revoked" in (await r.json())["error"]
    for bad in ("Bearer bo_made-up", "Basic b2xnYTp4", "Bearer"):
        assert (await client.get("/api/v1/kiosks", headers={"Authorization": bad})).status == 401
    assert [r.action for r in audit.entries(client.app[AUTH].engine, action="token")] == [
        "token.revoke", "token.add", "token.add"]


async def test_a_token_past_its_expiry_is_refused(client, clock):
    token = client.app[AUTH].tokens.issue("short-lived", "viewer", actor="test", days=1)
    assert (await client.get("/api/v1/ingest", headers={"Authorization": f"Bearer {token}"})).status == 200
    clock.advance(86400)
    assert (await client.get("/api/v1/ingest", headers={"Authorization": f"Bearer {token}"})).status == 401


async def test_the_audit_page_lists_newest_first_and_filters(client):
    engine = client.app[AUTH].engine
    audit.record(engine, "ops1", "command.restart", "K-001", {"reason": "screen frozen"})
    audit.record(engine, "ops2", "command.ping", "K-002")
    await sign_in(client, "olga", OPERATOR_PW)
    text = await (await client.get("/audit")).text()
    assert text.index("login.success") < text.index("command.ping") < text.index("command.restart")
    assert 'href="/audit" aria-current="page"' in text  # the nav link, shown to an operator
    only = await (await client.get("/audit", params={"actor": "ops1"})).text()
    assert "command.restart" in only and "command.ping" not in only and "reason=screen frozen" in only
    only = await (await client.get("/audit", params={"action": "login"})).text()
    assert "login.success" in only and "command." not in only
    assert (await client.get("/audit", params={"before": "x"})).status == 400


async def test_the_login_page_speaks_both_languages(client):
    assert "用户名" in await (await client.get("/login")).text()
    assert "Name" in await (await client.get("/login", params={"lang": "en"})).text()


async def test_the_api_description_is_served_to_anyone(client):
    r = await client.get("/api/v1/openapi.json")
    doc = await r.json()
    assert r.status == 200 and doc["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_every_route_checks_a_role_or_says_it_is_public(db_engine, tmp_path):
    """A handler added without @require(role) or @public would be open to anyone: name it here."""
    application = build(db_engine, tmp_path)
    unchecked = [f"{r.method} {r.resource.canonical}" for r in application.router.routes()
                 if r.method != "HEAD" and not isinstance(r.resource, web.StaticResource)
                 and not hasattr(r.handler, MARK)]
    assert unchecked == [], "decorate these handlers with @require(role) or @public (backoffice.auth)"


def test_every_api_route_is_in_the_openapi_document(db_engine, tmp_path):
    application = build(db_engine, tmp_path)
    paths = load()["paths"]
    routes = {(r.resource.canonical, r.method.lower()) for r in application.router.routes()
              if r.resource is not None and r.resource.canonical.startswith("/api/v1") and r.method != "HEAD"}
    missing = sorted(f"{m.upper()} {p}" for p, m in routes if m not in paths.get(p, {}))
    assert routes and missing == [], "describe these routes in backoffice/openapi.yaml"


async def test_an_administrator_disables_unlocks_and_revokes_from_the_accounts_page(client, db_engine):
    auth = client.app[AUTH]
    token = auth.tokens.issue("old-feed", "viewer", actor="test")
    for _ in range(3):
        await sign_in(client, "victor", "wrong-password")  # victor locked
    await sign_in(client, "olga", OPERATOR_PW)
    assert (await client.get("/accounts")).status == 403  # an operator may not
    client.session.cookie_jar.clear()
    await sign_in(client, "ada", ADMIN_PW)
    text = await (await client.get("/accounts")).text()
    assert 'href="/accounts" aria-current="page"' in text and "old-feed" in text and token not in text
    csrf = await csrf_of(client, "/accounts")
    assert (await client.post("/accounts/olga/disable")).status == 403  # no CSRF token
    for path in ("/accounts/olga/disable", "/accounts/victor/unlock", "/tokens/old-feed/revoke"):
        r = await client.post(path, data={"csrf": csrf}, allow_redirects=False)
        assert r.status == 302, path
    assert auth.accounts.sign_in("olga", OPERATOR_PW, address="t").reason == "disabled"
    assert auth.accounts.sign_in("victor", VIEWER_PW, address="t").reason == "ok"
    assert auth.tokens.resolve(token) is None
    assert (await client.post("/accounts/ada/disable", data={"csrf": csrf})).status == 400  # not oneself
    assert (await client.post("/accounts/nobody/enable", data={"csrf": csrf})).status == 404
    assert [(e.actor, e.action, e.target) for e in audit.entries(db_engine, actor="ada")[:3]] == [
        ("ada", "token.revoke", "old-feed"), ("ada", "user.unlock", "victor"), ("ada", "user.disable", "olga")]
