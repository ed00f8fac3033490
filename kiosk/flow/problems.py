"""A problem found in an input file, addressed the way editors want it."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, order=True)
class Problem:
    file: str
    line: int  # 1-based
    col: int  # 1-based
    rule: str  # e.g. graph/unreachable
    message: str
    severity: str = field(default="error", compare=False)
    path: str = field(default="", compare=False)  # JSON path, e.g. steps[3].next.timeout

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}: {self.severity}[{self.rule}]: {self.message}"

    def as_dict(self) -> dict:
        return {"file": self.file, "line": self.line, "col": self.col, "rule": self.rule,
                "severity": self.severity, "message": self.message, "path": self.path}


class ProblemsError(Exception):
    """Raised by loaders that found problems; carries all of them, sorted."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def did_you_mean(name: str, candidates) -> str:
    import difflib

    best = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean {best[0]!r}?)" if best else ""
