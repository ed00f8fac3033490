"""One error type for everything that arrives over the wire and does not fit the contract."""
from __future__ import annotations


class WireError(ValueError):
    """A message that is not what the contract says, located by the field path at fault (`at`).

    `reason` is the refusal code a command answer carries (`malformed` for
    anything structural); `at` is "" when the message as a whole is wrong.
    """

    def __init__(self, at: str, detail: str, reason: str = "malformed"):
        super().__init__(f"{at}: {detail}" if at else detail)
        self.at, self.detail, self.reason = at, detail, reason
