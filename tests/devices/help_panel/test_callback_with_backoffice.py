"""The aiortc help panel against a real `backoffice serve` with nobody on duty (night at a 24-hour kiosk): the
desk offers a call back at once, the panel leaves the citizen's number, the desk answers with its target time
and ends the call, and the task is on the console's call-back list, masked. The number is in no log of either
side, nor in the desk's database in clear."""
from __future__ import annotations

import asyncio
import time
import urllib.request

import structlog

from tests.devices.help_panel.test_call_with_backoffice import LIMIT, desk, panel, until  # noqa: F401 (fixture)

PHONE = "13700001234"


async def test_nobody_on_duty_offers_a_call_back_and_the_number_becomes_a_masked_task(desk):  # noqa: F811
    kiosk = panel(desk)
    await kiosk.open()
    with structlog.testing.capture_logs() as logged:
        try:
            call = asyncio.ensure_future(kiosk.call_staff({"flow": "social-security-certificate", "step": "query"}))
            await until(lambda: kiosk.call_state.callback_offered, "the desk's call-back offer (nobody on duty)")
            assert kiosk.call_state.phase == "waiting"
            before = time.time()
            target = await asyncio.wait_for(kiosk.request_callback(PHONE), LIMIT)
            assert await asyncio.wait_for(call, LIMIT) == "ended"
        finally:
            await kiosk.close()
    assert kiosk.call_state.reason == "callback_booked" and kiosk.call_state.callback_target_at == target
    assert 4 * 3600 - 60 < target - before < 4 * 3600 + 60  # the desk's callback_target_s (4 h by default)
    request = urllib.request.Request(desk.url + "/helpdesk/callbacks",
                                     headers={"Authorization": f"Bearer {desk.token('agent', name='night')}"})
    with urllib.request.urlopen(request, timeout=5) as r:
        listing = r.read().decode()
    assert "K-0001" in listing and "*******1234" in listing and PHONE not in listing
    assert PHONE not in repr(logged)
    assert PHONE not in desk.log.read_text(errors="replace")
    stored = b"".join(p.read_bytes() for p in desk.workdir.glob("backoffice.db*"))
    assert PHONE.encode() not in stored
