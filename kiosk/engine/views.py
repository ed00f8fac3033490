"""Step views: everything a screen needs to draw a step, already localized and masked.

A view holds no personal value unmasked, whatever the flow says (screens are
mirrored to the help desk); the UI, the help desk mirror and the screenshot
tests all draw from the same view, so masking is decided once, here.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from kiosk.engine.endings import EndingView


@dataclass(frozen=True)
class OptionView:
    id: str
    label: str
    enabled: bool = True
    icon: str | None = None


@dataclass(frozen=True)
class FieldView:
    name: str
    label: str
    type: str
    required: bool
    max_length: int
    keyboard: str  # digits, id_number, phone, latin, pinyin
    help: str = ""
    error: str = ""
    choices: tuple[OptionView, ...] = ()


@dataclass(frozen=True)
class ItemView:
    label: str
    value: str


@dataclass(frozen=True)
class MediaView:
    """The step's media area: a muted looping guide video with its subtitle cues, or a (maybe animated) picture."""

    video: str = ""  # absolute path of the item's guide video
    image: str = ""  # absolute path of the illustration (.png, .gif, .zip)
    cues: tuple = ()  # kiosk.flow.media.Cue: (start, end, text) in seconds of the video


@dataclass(frozen=True)
class StepView:
    session: str
    flow: str
    flow_title: str
    step: str
    kind: str
    locale: str
    title: str = ""
    text: str = ""
    text_short: str = ""  # the flow's shorter text, shown instead of text in elderly mode
    speak: str = ""
    consent: str = ""
    options: tuple[OptionView, ...] = ()
    fields: tuple[FieldView, ...] = ()
    items: tuple[ItemView, ...] = ()
    progress: tuple[int, int] = (0, 0)  # (current, total) along the main path; (0, 0) hides it
    busy: bool = False  # the kiosk is working (calling, printing); taps other than help are ignored
    waiting_for: str = ""  # id_card, code, document_taken, staff
    timeout_s: float | None = None  # seconds left of the step's own limit when the view was built
    idle_warning_s: float | None = None  # seconds left of the are-you-still-there warning, while it runs
    deadline: float | None = None  # the engine's monotonic deadline of the countdown above: screens tick to it
    extensions_left: int = 0
    can_back: bool = False
    can_cancel: bool = True
    can_help: bool = True
    elderly: bool = False
    result: str = ""  # for an end step: completed, cancelled, failed, timeout
    attempt: int = 0  # retry in progress (1-based), 0 when none
    extra: dict = field(default_factory=dict)
    ending: EndingView | None = None  # on the screens after a visit: how it ended, what to take, what is on offer
    status: str = ""  # what the kiosk is doing or did just now (printing a slip, staff called), in the locale
    media: MediaView | None = None  # what the media area shows; None: the step has none

    def as_dict(self) -> dict:
        return asdict(self)

    def all_text(self) -> str:
        """Everything a citizen can read on this screen, for tests and privacy scans."""
        parts = [self.flow_title, self.title, self.text, self.text_short, self.consent]
        parts += [o.label for o in self.options]
        for f in self.fields:
            parts += [f.label, f.help, f.error] + [c.label for c in f.choices]
        for i in self.items:
            parts += [i.label, i.value]
        if self.ending is not None:
            parts += [self.ending.title, self.ending.thanks, self.ending.reason, *self.ending.take_texts,
                      *self.ending.notes]
        parts.append(self.status)
        return "\n".join(p for p in parts if p)


KEYBOARDS = {"digits": "digits", "phone": "phone", "id_number": "id_number", "date": "digits",
             "name": "pinyin", "address": "pinyin", "text": "pinyin", "choice": "none"}
