"""Backend stubs for flow tests: canned replies on the virtual clock, and a record of use."""
from __future__ import annotations

from dataclasses import dataclass

from kiosk.scenario.model import Stub


@dataclass
class StubState:
    stub: Stub
    line: int
    used: int = 0


class StubServices:
    def __init__(self, stubs: list[StubState], clock):
        self.stubs = stubs
        self.clock = clock
        self.unexpected: list[str] = []
        self.calls: list[tuple[str, dict, str | None]] = []

    async def call(self, ref: str, request: dict, *, timeout: float, idempotency_key: str | None = None):
        self.calls.append((ref, dict(request), idempotency_key))
        state = next((s for s in self.stubs if s.stub.call == ref and s.used < s.stub.times), None)
        if state is None:
            self.unexpected.append(ref)
            return "error", None, "no stub"
        state.used += 1
        stub = state.stub
        if stub.delay_s:
            await self.clock.sleep(stub.delay_s)
        if stub.fail == "timeout":
            await self.clock.sleep(10 * 3600)  # never answers; the step's timeout decides
        if stub.fail == "unavailable":
            return "unavailable", None, "stub: unavailable"
        if stub.fail == "bad_reply":
            return "ok", "not a mapping", ""
        if stub.error:
            return "backend_error", {"code": stub.error}, stub.error
        return "ok", dict(stub.data or {}), ""
