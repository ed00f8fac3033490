"""The ``rig`` fixture of a class's contract suite: one test function, every backend of the class."""
from __future__ import annotations

import pytest

from tests.devices.contract.rigs import RIGS


def rig_fixture(device_class: str):
    @pytest.fixture(params=sorted(RIGS[device_class]))
    async def rig(request):
        r = RIGS[device_class][request.param]()
        try:
            await r.start()
            await r.device.open()
            yield r
        finally:
            await r.stop()

    return rig
