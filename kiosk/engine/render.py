"""Builds the step view of a session's current state: localized, masked, complete."""
from __future__ import annotations

from kiosk import privacy
from kiosk.engine.views import KEYBOARDS, FieldView, ItemView, MediaView, OptionView, StepView
from kiosk.expr import EvalError
from kiosk.flow.media import guidance
from kiosk.i18n import pick, t

WAITING_FOR = {"read_id_card": "id_card", "scan_code": "code", "video_help": "staff", "print": "printer",
               "dispense_ticket": "printer", "call": "backend"}


class ViewBuilder:
    def __init__(self, session):
        self.s = session
        self.sorry = False
        self.help_requested = False

    def forget(self) -> None:
        self.help_requested = False

    def text(self, key: tuple, fallback: dict | None = None) -> str:
        """Render one localized template, masked; an evaluation error shows the raw locale text's fallback."""
        fc = self.s.frame.flow
        tmpl = fc.exprs.get(key + (self.s.locale,)) or fc.exprs.get(key + ("zh-CN",))
        if tmpl is None:
            return pick(fallback, self.s.locale) if fallback else ""
        try:
            return tmpl.render(self.s.context(), show=privacy.show)
        except EvalError:
            return ""

    def options(self, step) -> list[OptionView]:
        fc = self.s.frame.flow
        out = []
        for opt in getattr(step, "options", None) or []:
            guard = fc.exprs.get((step.id, "when", opt.id))
            if guard is not None and not guard.test(self.s.context()):
                continue
            out.append(OptionView(opt.id, self.text((step.id, "option", opt.id)), True, opt.icon))
        return out

    def build(self) -> StepView:
        s = self.s
        step = s.step
        fc = s.frame.flow
        locale = s.locale
        common = dict(session=s.id, flow=fc.id, flow_title=self.text(("", "title")), step=step.id, kind=step.kind,
                      locale=locale, elderly=s.elderly, extensions_left=s.extensions_left,
                      idle_warning_s=s.remaining("idle_warn") if s.idle_warning else None,
                      deadline=s.deadlines.get("idle_warn" if s.idle_warning else "step"),
                      extra={"help_requested": True} if self.help_requested else {})
        if s.result is not None and s.ending is not None:  # how the visit ended, what to take (engine.endings)
            e = s.ending
            return StepView(**common, title=e.title(locale), text=e.thanks(locale), ending=e.view(locale),
                            speak=" ".join((e.title(locale), e.thanks(locale), *e.view(locale).take_texts)),
                            result=s.result, can_cancel=False,
                            progress=self.progress(step) if step.kind == "end" else (0, 0))
        if s.result is not None:
            if self.sorry:
                return StepView(**common, title=t("sorry_title", locale), text=t("sorry_text", locale),
                                speak=t("sorry_title", locale), result=s.result, can_cancel=False)
            if step.kind != "end":
                return StepView(**common, result=s.result, can_cancel=False)
        title = self.text((step.id, "title"))
        text = self.text((step.id, "text"))
        fields = tuple(self._field(step, f) for f in getattr(step, "fields", None) or [])
        items = tuple(row for j, item in enumerate(getattr(step, "items", None) or []) for row in self._rows(step, j, item))
        progress = self.progress(step)
        depth = len(s.frames)
        return StepView(
            **common, title=title, text=text, text_short=self.text((step.id, "text_short")), speak=self.text((step.id, "speak")) or " ".join(x for x in (title, text) if x),
            consent=self.text((step.id, "consent")), options=tuple(self.options(step)), fields=fields, items=items,
            progress=progress, busy=s.busy, waiting_for=WAITING_FOR.get(step.kind, ""),
            timeout_s=s.remaining("step"),
            can_back=step.kind != "end" and not s.busy and len([h for h in s.history if h[0] == depth]) > 1,
            can_cancel=step.kind != "end" and not s.busy,
            result=getattr(step, "result", "") if step.kind == "end" else "",
            attempt=s.attempts.get(s._key(), 0), media=self.media(step),
        )

    def media(self, step) -> MediaView | None:
        """The media area: the device's illustration on a device step, else the item's guide video."""
        fc = self.s.frame.flow
        g = guidance(fc.flow, fc.folder, step, self.s.locale)
        return MediaView(g.video, g.image, g.cues) if g else None

    def progress(self, step) -> tuple[int, int]:
        """(steps seen so far in this item, that plus the fewest still to come); (0, 0) off the way to success."""
        walked, left = self.s.frame.walked, self.s.frame.flow.steps_left.get(step.id)
        if left is None or not walked or walked[-1] != step.id or len(walked) + left < 2:
            return (0, 0)
        return (len(walked), len(walked) + left)

    def _field(self, step, f) -> FieldView:
        choices = tuple(OptionView(c.id, self.text((step.id, "choice", f.name, c.id))) for c in f.choices or [])
        return FieldView(f.name, self.text((step.id, "field", f.name)), str(f.type), f.required, f.max_length,
                         KEYBOARDS.get(str(f.type), "pinyin"), self.text((step.id, "help", f.name)),
                         self.s.form_errors.get(f.name, ""), choices)

    def _rows(self, step, j, item) -> list[ItemView]:
        """One row, or with ``for_each`` one per item (the ``empty`` row, if any, when there is none)."""
        context = self.s.context()
        each = self.s.frame.flow.exprs.get((step.id, "item_each", j))
        if item.for_each is None:
            return [ItemView(self.text((step.id, "item_label", j)), self._value(step, j, context))]
        try:
            contexts = each.contexts(context) if each is not None else []
        except EvalError:
            contexts = []
        if not contexts:
            empty = self.text((step.id, "item_empty", j))
            return [ItemView(self._label(step, j, context), empty)] if empty else []
        return [ItemView(self._label(step, j, row), self._value(step, j, row)) for row in contexts]

    def _label(self, step, j, context: dict) -> str:
        return self._render(self.s.frame.flow.exprs.get((step.id, "item_label", j, self.s.locale))
                            or self.s.frame.flow.exprs.get((step.id, "item_label", j, "zh-CN")), context)

    def _value(self, step, j, context: dict) -> str:
        return self._render(self.s.frame.flow.exprs.get((step.id, "item_value", j)), context)

    @staticmethod
    def _render(tmpl, context: dict) -> str:
        if tmpl is None:
            return ""
        try:  # screens never reveal (the linter refuses `reveal: true` on personal items)
            return tmpl.render(context, show=privacy.show)
        except EvalError:
            return ""
