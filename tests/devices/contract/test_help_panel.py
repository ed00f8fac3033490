"""The help panel contract; only the twin exists until the live call arrives (a later issue)."""
from __future__ import annotations

import pytest

from tests.devices.contract.conftest import rig_fixture

rig = rig_fixture("help_panel")


async def test_a_guide_plays(rig):
    await rig.device.play_guide("place-id-card")
    assert rig.device.capabilities()["speaker"] is True


@pytest.mark.parametrize("answer", ["resumed", "ended", "unavailable"])
async def test_a_call_ends_with_one_of_the_three_outcomes(rig, answer):
    rig.device.answer = answer
    assert await rig.device.call_staff({"flow": "social"}) == answer
