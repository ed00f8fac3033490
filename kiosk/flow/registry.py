"""The active flow bundle, swapped only whole and only when it is good.

Sessions pin the flows they started with; a reload builds a new bundle and
activates it only if it has no errors, so a broken upload keeps the last
good set and running visits are never touched.
"""
from __future__ import annotations

from pathlib import Path

import structlog

from kiosk.flow.bundle import Bundle, load_bundle

log = structlog.get_logger("kiosk.flows")


class FlowRegistry:
    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.active: Bundle | None = None
        self.last_problems: list = []

    def reload(self, loaded: Bundle | None = None) -> bool:
        """Load the bundle from `root` and activate it, or activate `loaded`, the bundle a caller just loaded
        from `root` (the start-up check: loading it twice cost 70 ms of the kiosk's start)."""
        candidate = loaded if loaded is not None else load_bundle(self.root)
        self.last_problems = candidate.problems
        if self.active is not None and not candidate.ok:
            log.error("flows.reload_rejected", problems=len(candidate.problems), first=str(candidate.problems[0]),
                      kept=self.active.sha256[:12])
            return False
        if not candidate.ok:
            log.error("flows.partial_bundle", problems=len(candidate.problems), loaded=sorted(candidate.flows))
        self.active = candidate
        log.info("flows.active", sha256=candidate.sha256[:12], flows=len(candidate.flows))
        return candidate.ok

    @property
    def flows(self) -> dict:
        return dict(self.active.flows) if self.active else {}
