"""The scenario file format (``*.test.yaml``), declared once like the flow format."""
from __future__ import annotations

from typing import Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Stub(Strict):
    """A canned backend reply. Every stub must be used, or the scenario fails."""

    call: str = Field(pattern=r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")
    data: dict[str, Any] | None = Field(default=None, description="Reply data for an ok answer.")
    error: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_]*$", description="Backend error code.")
    fail: Literal["timeout", "unavailable", "bad_reply"] | None = None
    delay_s: float = Field(default=0, ge=0, le=3600)
    times: int = Field(default=1, ge=1, le=100, description="How many calls this stub answers.")


class Expect(Strict):
    step: str | None = None
    text: str | list[str] | None = Field(default=None, description="Shown on screen (any locale text, masked).")
    no_text: str | list[str] | None = Field(default=None, description="Must not be on screen.")
    printed: dict[str, Any] | None = Field(default=None, description="{contains: ..., printer: ..., count: n}")
    not_printed: bool | None = None
    ticket: str | None = Field(default=None, description="Regular expression the ticket number must match.")
    ended: Literal["completed", "cancelled", "failed", "timeout"] | None = None
    ending: Literal["completed", "cancelled", "failed", "timeout"] | None = Field(
        default=None, description="The ending the citizen is shown (timeout also where a wait ran out and the "
        "flow gave up).")
    take: list[Literal["card", "document", "receipt", "ticket"]] | None = Field(
        default=None, description="What the ending tells the citizen to take away, in this order.")
    rejected: bool | None = None
    busy: bool | None = None
    idle_warning: bool | None = None
    option: str | None = Field(default=None, description="An option that must be offered.")
    no_option: str | None = None
    field_error: str | None = Field(default=None, description="A form field that must show an error.")


class Scenario(Strict):
    name: str
    locale: Literal["zh-CN", "en"] = "zh-CN"
    elderly: bool = False
    devices: dict[str, list[str]] = Field(default_factory=dict, description="Faults present at the start. The "
                                          "home screen's rules apply: a fault on a required device is an error "
                                          "unless the scenario starts mid-visit.")
    mid_visit: bool = Field(default=False, description="The faults in `devices` struck after the citizen started "
                            "the item, so the home screen's availability check does not apply.")
    stubs: list[Stub] = Field(default_factory=list)
    steps: list[dict[str, Any]] = Field(min_length=1)


class ScenarioFile(Strict):
    format: int
    flow: str
    scenarios: list[Scenario] = Field(min_length=1)


STEP_KEYS = ("expect", "card", "scan", "action", "choose", "submit", "wait", "fault", "clear", "fault_after",
             "help_answer", "source")
StepKind = Union[str]
