"""The console end to end, real processes only: `backoffice serve`, `backoffice fleet simulate 30` publishing
to its broker, Debian's Chromium. An operator, in Chinese and then in English, signs in, filters the fleet
down to the kiosks out of paper, opens one, acknowledges its alert, pings it with a reason and watches the
answer come back, and finds all three in the audit log. Every wait is on something the page shows."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.backoffice.console import ROOT
from tests.processes import end_process

OPERATOR, PASSWORD = "olga", "kiosk-console-e2e-5531"
TEXTS = {  # what an operator reads on the page, per language
    "zh-CN": {"done": "已完成", "acknowledged": "已确认"},
    "en": {"done": "Done", "acknowledged": "Acknowledged"},
}


@pytest.fixture
def fleet(console, console_broker, tmp_path):
    """30 simulated kiosks (two of them out of paper) obeying this back office's signing key."""
    log = (tmp_path / "simulate.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "backoffice.cli", "--config", str(console.config), "fleet",
                             "simulate", "30", "--broker", f"127.0.0.1:{console_broker.port}", "--interval", "5"],
                            cwd=console.workdir, stdout=log, stderr=subprocess.STDOUT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    yield proc
    end_process(proc)
    log.close()


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_an_operator_signs_in_filters_acknowledges_and_pings_a_kiosk(console, fleet, browser, lang):
    console.add_user(OPERATOR, "operator", PASSWORD)
    context = browser.new_context(locale=lang, viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    text = TEXTS[lang]
    try:
        console.sign_in(page, OPERATOR, PASSWORD, "/fleet")
        assert page.locator("html").get_attribute("lang") == lang
        page.wait_for_selector("[data-live='1']")
        page.wait_for_function("document.querySelectorAll('#rows tr[data-id]').length === 30")
        page.select_option("[data-test=paper]", "out")
        page.wait_for_function("document.querySelectorAll('#rows tr[data-id]').length === 2")
        kiosk = page.locator("#rows tr[data-id]").first.get_attribute("data-id")

        page.click(f"#rows tr[data-id='{kiosk}'] a")
        page.wait_for_url(f"**/kiosks/{kiosk}")
        page.locator("[data-test=timeline]").wait_for()

        page.goto(f"{console.url}/alerts")
        row = page.locator(f'tr.alert[data-kiosk="{kiosk}"][data-rule="paper_out"]')
        row.locator('[data-test="ack"]').click()
        page.locator(f'tr.alert[data-kiosk="{kiosk}"][data-rule="paper_out"]', has_text=text["acknowledged"]) \
            .wait_for()
        assert OPERATOR in row.inner_text()

        page.goto(f"{console.url}/kiosks/{kiosk}")
        page.select_option("[data-test=command-name]", "ping")
        page.fill("[data-test=command-reason]", "link check after a paper-out call")
        page.click("[data-test=command-send]")
        command = page.locator("tr[data-command-id]").first
        page.wait_for_function("document.querySelector('tr[data-command-id]').dataset.state === 'done'")
        assert command.locator("[data-test=command-state]").inner_text() == text["done"]
        assert "link check after a paper-out call" in command.inner_text()
        page.reload()  # the timeline tells it too, beside the kiosk's faults and restarts
        page.locator("[data-test=timeline] [data-kind=command_answered]", has_text="ping: done").wait_for()

        page.goto(f"{console.url}/audit?actor={OPERATOR}")
        audit = page.locator("[data-test=audit]").inner_text()
        for action in ("login.success", "alert.acknowledge", "command.create"):
            assert action in audit, action
        assert kiosk in audit
    finally:
        context.close()
