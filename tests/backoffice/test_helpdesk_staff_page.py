"""/helpdesk/staff as the server draws it: for agents and administrators only, in the console's two languages,
with every skill and outcome the wire allows labelled (no key shown raw). Its live part is tested in Chromium
(test_helpdesk_staff_browser.py)."""
import json
import re

import pytest

from tests.backoffice.auth_helpers import sign_in
from tests.backoffice.helpdesk_helpers import PW, desk_client
from wire import signaling as sig

CONFIG = re.compile(r'<script id="staff-config" type="application/json"[^>]*>(.*?)</script>', re.S)


@pytest.fixture
async def client(db_engine, tmp_path):
    async with desk_client(db_engine, tmp_path) as c:
        yield c


@pytest.mark.parametrize("name, status", [("li", 200), ("ada", 200), ("victor", 403), ("olga", 403)])
async def test_the_staff_page_is_for_agents_and_administrators(client, name, status):
    await sign_in(client, name, PW)
    assert (await client.get("/helpdesk/staff", allow_redirects=False)).status == status


async def test_signed_out_the_staff_page_sends_to_the_login(client):
    response = await client.get("/helpdesk/staff", allow_redirects=False)
    assert response.status in (302, 303) and "/login" in response.headers["Location"]


@pytest.mark.parametrize("lang, title, skill", [("zh-CN", "坐席工作台", "社保"), ("en", "Staff desk", "Social security")])
async def test_the_staff_page_speaks_the_consoles_language_and_labels_every_choice(client, lang, title, skill):
    await sign_in(client, "li", PW)
    html = await (await client.get(f"/helpdesk/staff?lang={lang}")).text()
    assert f"<h1>{title}</h1>" in html and f">{skill}</option>" in html
    texts = json.loads(CONFIG.search(html).group(1))
    keys = [f"skill.{s}" for s in sig.SKILLS] + [f"outcome.{o}" for o in sig.OUTCOMES] + \
        [f"reason.{r}" for r in sig.END_REASONS] + [f"state.{s}" for s in sig.AGENT_STATUSES]
    assert [k for k in keys if texts.get(k, k) == k] == []
    assert 'data-relay=""' in html  # host candidates allowed unless ?relay=1


async def test_relay_is_forced_only_when_asked(client):
    await sign_in(client, "li", PW)
    assert 'data-relay="1"' in await (await client.get("/helpdesk/staff?relay=1")).text()
