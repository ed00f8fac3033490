"""The flow format, declared once.

These pydantic models are the single source of truth: the loader validates
with them and ``kiosk flows schema`` prints the JSON Schema generated from
them, so the editor schema and the runtime can never disagree. Safety
settings (timeouts, retry counts, privacy classes, device and service names)
are literals, never expressions, so that flows can be linted and audited.
"""
from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

FORMAT_VERSION = 2  # bump with a migration in kiosk.flow.migrate
LOCALES = ("zh-CN", "en")

Ident = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,47}$")]
FlowId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{1,63}$")]
SemVer = Annotated[str, StringConstraints(pattern=r"^\d+\.\d+\.\d+$")]
Locale = Literal["zh-CN", "en"]
Text = Annotated[
    dict[Locale, Annotated[str, StringConstraints(max_length=4000)]],
    Field(description="Localized text: one entry per locale, e.g. {zh-CN: 请刷身份证, en: Place your ID card}. "
          "May contain {{ expression }} interpolations."),
]
Expr = Annotated[str, StringConstraints(max_length=2000), Field(description="An expression in the flow expression language.")]
Template = Annotated[str, StringConstraints(max_length=4000), Field(description="Text with {{ expression }} interpolations.")]
Seconds = Annotated[int, Field(ge=1, le=3600, description="Seconds; a literal, never an expression.")]
Next = Union[Ident, dict[Ident, Ident]]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class DeviceRole(StrEnum):
    ID_READER = "id_reader"
    CODE_SCANNER = "code_scanner"
    RECEIPT_PRINTER = "receipt_printer"
    DOCUMENT_PRINTER = "document_printer"
    TICKET_DISPENSER = "ticket_dispenser"
    HELP_PANEL = "help_panel"


class PrivacyClass(StrEnum):
    """How a value may be shown: public as is, personal masked, identifier masked harder, biometric never."""

    PUBLIC = "public"
    PERSONAL = "personal"
    IDENTIFIER = "identifier"
    BIOMETRIC = "biometric"


class Retry(Strict):
    max_attempts: int = Field(ge=1, le=5, description="Attempts in all, the first included.")
    backoff_s: float = Field(default=1.0, ge=0, le=30, description="Wait before the second attempt; doubles after.")
    on: list[Literal["timeout", "unavailable", "paper_out", "printer_error"]] = Field(
        default_factory=lambda: ["timeout", "unavailable"], description="Outcomes that are retried.")


MediaFile = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"), Field(
    description="A file in the flow's own folder (no path), e.g. guide.mp4.")]
Illustration = Literal["id_card", "scan_code", "print_document", "print_slip", "ticket", "take_document", "take_card",
                       "take_ticket"]


class StepMedia(Strict):
    """What the media area of one step shows instead of the default (kiosk.flow.media.DEFAULTS)."""

    illustration: Illustration | None = Field(default=None, description="A shipped picture of what to do with the "
                                              "device (assets/illustrations), or the flow's own from "
                                              "`media.illustrations`, e.g. take_card on the last step.")
    video: bool = Field(default=True, description="false: this step does not play the item's guide video.")


class FlowMedia(Strict):
    """The item's guidance: its guide video (muted, looping, with subtitles) and its own pictures."""

    video: MediaFile | None = Field(default=None, description="Guide video (.mp4 or .webm, at most 20 MB) beside "
                                    "the flow, played muted and looping on its steps.")
    subtitles: MediaFile | dict[Locale, MediaFile] | None = Field(
        default=None, description="SubRip (.srt) subtitles of the video, one file or one per locale; the video "
        "plays muted, so what it says must be written here.")
    illustrations: dict[Illustration, MediaFile] = Field(
        default_factory=dict, description="Replaces shipped illustrations for this item: name -> a .png, or a .zip "
        "of PNG frames (an animation, shown in name order), beside the flow, e.g. {id_card: our_reader.png}.")


class StepBase(Strict):
    id: Ident = Field(description="Unique within the flow; the target of `next`.")
    title: Text | None = None
    text: Text | None = None
    text_short: Text | None = Field(default=None, description="Fewer words for the same step, shown instead of "
                                    "`text` in elderly mode (长辈模式); unset, elderly mode shows `text`.")
    speak: Text | None = Field(default=None, description="Voice prompt; defaults to the text.")
    next: Next | None = Field(default=None, description="Outcome -> step id; a plain id means the `ok` outcome.")
    timeout_s: Seconds | None = Field(default=None, description="Wait limit; needs a `timeout` branch in `next`.")
    media: StepMedia | None = Field(default=None, description="What this step's media area shows; by default the "
                                    "device's illustration on device steps, else the item's guide video.")


class Notice(StepBase):
    """Information to read, optionally with a consent the citizen must give to go on."""

    kind: Literal["notice"]
    consent: Text | None = Field(default=None, description="If set, outcomes are agree/decline instead of ok.")


class Option(Strict):
    id: Ident
    label: Text
    icon: str | None = None
    when: Expr | None = Field(default=None, description="Shown only when true (fails closed).")


class Choice(StepBase):
    kind: Literal["choice"]
    options: list[Option] = Field(min_length=1, max_length=12)


class FieldType(StrEnum):
    TEXT = "text"
    NAME = "name"
    ADDRESS = "address"
    DIGITS = "digits"
    PHONE = "phone"
    ID_NUMBER = "id_number"
    DATE = "date"
    CHOICE = "choice"


class FormField(Strict):
    name: Ident
    label: Text
    type: FieldType = FieldType.TEXT
    required: bool = True
    min_length: int | None = Field(default=None, ge=0, le=200)
    max_length: int = Field(default=64, ge=1, le=200)
    pattern: str | None = Field(default=None, max_length=200, description="Regular expression the whole value must match.")
    choices: list[Option] | None = None
    privacy: PrivacyClass = PrivacyClass.PUBLIC
    help: Text | None = None


class Form(StepBase):
    kind: Literal["form"]
    fields: list[FormField] = Field(min_length=1, max_length=12)


class ReadIdCard(StepBase):
    """Outcomes: ok, timeout, unreadable, expired, rejected, error."""

    kind: Literal["read_id_card"]
    reuse: bool = Field(default=True, description="Skip if this visit already read a card (bundled items).")
    accept: list[Literal["resident", "hmt_residence", "foreign_permanent"]] = Field(
        default_factory=lambda: ["resident", "hmt_residence", "foreign_permanent"])
    check_expiry: bool = True


class ScanCode(StepBase):
    """Outcomes: ok, timeout, invalid, error."""

    kind: Literal["scan_code"]
    pattern: str | None = Field(default=None, max_length=200)
    privacy: PrivacyClass = PrivacyClass.PERSONAL


class ResultField(Strict):
    path: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*|\[\d+\])*$",
                      description="Where the value sits in the reply's data, e.g. records[0].name.")
    type: Literal["string", "int", "number", "bool", "date", "list", "map"] = "string"
    privacy: PrivacyClass = PrivacyClass.PUBLIC
    required: bool = True
    items: dict[Ident, ResultField] | None = Field(
        default=None, description="For `type: list`: the fields of each item, each with its path inside the item. "
        "Checked when the reply arrives: an item that lacks a required field or has the wrong type is the step's "
        "`error` outcome. Read in a loop: `{% for d in data.deposits %}{{ d.month }}{% endfor %}`.")
    fields: dict[Ident, ResultField] | None = Field(
        default=None, description="For `type: map`: its fields, read as data.<name>.<field>; checked like `items`.")
    codes: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)?$")] | None = Field(
        default=None, description="The code table (services.yaml) whose texts screens and documents show for this "
        "field's values: a table of the called service, or service.table. Guards still compare the codes.")

    def code_table(self, call: str) -> tuple[str, str] | None:
        """(service, table) of ``codes``, for the call step ``call`` (service.operation) that holds this field."""
        if self.codes is None:
            return None
        svc, _, table = self.codes.rpartition(".")
        return svc or call.partition(".")[0], table


class Call(StepBase):
    """A declared backend operation. Outcomes: ok, timeout, unavailable, error, plus mapped error codes."""

    kind: Literal["call"]
    call: str = Field(pattern=r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$", description="service.operation from services.yaml")
    request: dict[Ident, Template] = Field(default_factory=dict)
    result: dict[Ident, ResultField] = Field(default_factory=dict, description="Reply fields stored as data.<name>.")
    errors: dict[Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")], Ident] = Field(
        default_factory=dict, description="Backend error code -> outcome name.")
    retry: Retry | None = None
    idempotency_key: Template | None = None


class Case(Strict):
    when: Expr
    next: Ident


class Branch(StepBase):
    kind: Literal["branch"]
    cases: list[Case] = Field(min_length=1, max_length=20)
    default: Ident


class ResultItem(Strict):
    label: Text
    value: Template
    for_each: Annotated[str, StringConstraints(pattern=r"^\s*[a-z][a-z0-9_]*\s+in\s+\S.*$", max_length=2000)] | None = Field(
        default=None, description="`name in list` (e.g. `p in data.properties`): one row per item, with the item "
        "as `name` and its position as `loop.index` in `label` and `value`.")
    empty: Text | None = Field(default=None, description="With `for_each`: the one row's value when the list is "
                               "empty or missing; its label is `label` rendered without an item (blank if it names the item or `loop`). "
                               "Without `empty`, an empty list shows no row.")
    reveal: bool = Field(default=False, description="Refused by the linter for personal values: screens are seen "
                         "by others and mirrored to help-desk staff, so they show personal data masked only.")


class ShowResult(StepBase):
    """Outcomes: done, plus one per option."""

    kind: Literal["show_result"]
    items: list[ResultItem] = Field(default_factory=list, max_length=30)
    options: list[Option] = Field(default_factory=list, max_length=6)


class Print(StepBase):
    """Outcomes: ok, paper_out, printer_error, timeout, error."""

    kind: Literal["print"]
    printer: Literal["document_printer", "receipt_printer"]
    document: Annotated[str, StringConstraints(pattern=r"^[a-z0-9_-]+$")] = Field(
        description="Template name: <document>.html (A4) or <document>.receipt (thermal) beside the flow.")
    copies: int = Field(default=1, ge=1, le=5)
    personal: bool = Field(default=False, description="The document carries the citizen's personal data (an A4 "
                           "certificate in their name). Only then may its template show personal values, and only "
                           "then does reveal() print them whole. Never allowed on the receipt printer.")
    retry: Retry | None = None
    idempotency_key: Template | None = None


class DispenseTicket(StepBase):
    """Outcomes: ok, paper_out, printer_error, timeout, error."""

    kind: Literal["dispense_ticket"]
    category: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,16}$")]
    service_name: Text
    retry: Retry | None = None
    idempotency_key: Template | None = None


class VideoHelp(StepBase):
    """Outcomes: resumed, ended, unavailable, timeout."""

    kind: Literal["video_help"]


class Subflow(StepBase):
    """Runs another item inside this visit. Outcomes: completed, cancelled, failed."""

    kind: Literal["subflow"]
    flow: FlowId


class End(StepBase):
    kind: Literal["end"]
    result: Literal["completed", "cancelled", "failed"] = "completed"


Step = Annotated[
    Union[Notice, Choice, Form, ReadIdCard, ScanCode, Call, Branch, ShowResult, Print, DispenseTicket, VideoHelp, Subflow, End],
    Field(discriminator="kind"),
]


class ServiceWindow(Strict):
    days: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] = Field(
        default_factory=lambda: ["mon", "tue", "wed", "thu", "fri", "sat", "sun"])
    start: str = Field(default="00:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    end: str = Field(default="24:00", pattern=r"^(([01]\d|2[0-3]):[0-5]\d|24:00)$")


ELDERLY_MULTIPLIER = 1.5  # extra time in elderly mode unless the kiosk or the flow says otherwise (MIIT: allow enough time)


class Accessibility(Strict):
    speak: bool = Field(default=True, description="Read each step aloud when voice is on.")
    timeout_multiplier: float | None = Field(default=None, ge=1.0, le=5.0, description="Applied to every wait "
                                             "(step limits and the idle warning) in elderly mode; unset, the "
                                             "kiosk's `[idle] elderly_multiplier` (1.5 by default).")
    large_text: bool = True
    notes: Text | None = None


class IdlePolicy(Strict):
    """WCAG 2.2.1: warn before expiry, let the citizen extend with one action, at least 10 times."""

    timeout_s: Seconds = 60
    warn_s: Annotated[int, Field(ge=20, le=300)] = 30
    max_extensions: Annotated[int, Field(ge=10, le=100)] = 10


class Flow(Strict):
    format: int = Field(description="Flow format version; older files are migrated on load.")
    id: FlowId
    version: SemVer
    title: Text
    description: Text | None = None
    summary: Text | None = Field(default=None, description="One short line under the tile on the home screen; "
                                 "defaults to the description.")
    keywords: list[Annotated[str, StringConstraints(min_length=1, max_length=32)]] = Field(
        default_factory=list, max_length=20, description="More words the home-screen search finds the item by, "
        "e.g. 社保查询 (found by the pinyin initials sbcx as well).")
    category: Ident
    category_title: Text | None = Field(default=None, description="The category's heading on the home screen, for "
                                        "a category the kiosk does not know (kiosk.home.CATEGORIES).")
    priority: int = Field(default=50, ge=0, le=100, description="Higher comes first on the home screen: the hall's "
                          "high-frequency items. Categories are ordered by their highest item.")
    icon: str | None = Field(default=None, description="Tile icon: a name from assets/icons (shield, medical, "
                             "house, badge, bundle, ticket, building) or a .png beside the flow.")
    media: FlowMedia | None = None
    requires: list[DeviceRole] = Field(default_factory=list, description="Devices the item needs; unavailable otherwise.")
    optional: list[DeviceRole] = Field(default_factory=list, description="Devices some steps use when they can "
                                       "(a receipt slip, a fallback): the item stays available without them, and each "
                                       "step that uses one routes every outcome of the device being unavailable.")
    hours: list[ServiceWindow] = Field(default_factory=lambda: [ServiceWindow()])
    accessibility: Accessibility = Field(default_factory=Accessibility)
    locales: list[Locale] = Field(default_factory=lambda: list(LOCALES), min_length=1)
    idle: IdlePolicy | None = Field(default=None, description="Overrides the kiosk's idle policy.")
    session_cap_s: Annotated[int, Field(ge=60, le=3600)] = 900
    start: Ident | None = Field(default=None, description="First step; defaults to the first in the list.")
    on_error: Ident | None = Field(default=None, description="Catch-all for error outcomes without a branch.")
    on_cancel: Ident | None = Field(default=None, description="Where cancel goes; default ends the visit as cancelled.")
    listed: bool = Field(default=True, description="Shown as a tile; false for parts used only as subflows.")
    steps: list[Step] = Field(min_length=1, max_length=250)


class Operation(Strict):
    method: Literal["GET", "POST"] = "POST"
    path: str = Field(pattern=r"^/[A-Za-z0-9_\-/{}.]*$")
    idempotent: bool = Field(default=False, description="Safe to retry: a query, not a state change.")
    personal: list[Ident] = Field(default_factory=list, description="Request fields that may carry personal data "
                                  "(e.g. id_number). A call step sending personal data in any other field is a lint "
                                  "error; a GET operation may declare none (its request goes in the URL query).")
    max_reply_kb: int = Field(default=256, ge=1, le=10240)


CodeValue = Annotated[str, StringConstraints(min_length=1, max_length=100)]


class Service(Strict):
    description: str = ""
    operations: dict[Ident, Operation]
    codes: dict[Ident, dict[CodeValue, Text]] = Field(
        default_factory=dict, description="Code tables: table -> code value its replies use -> text per locale, "
        "e.g. status: {正常参保: {zh-CN: 正常参保, en: Insured}}. Code values are not personal data.")


class Catalog(Strict):
    """services.yaml at the root of a flow bundle: what backends exist, never where or with which secret."""

    format: int
    services: dict[Ident, Service]
