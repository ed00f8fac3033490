"""The on-screen keyboard widget: big keys drawn from ``keyboard_model``, one finger, no gestures.

All rules live in the model; this widget only draws the state and turns a
tap into ``KeyboardState.apply``. Keys that would do nothing are greyed out
(an X before an ID's 17th digit, digits once a phone number is complete),
so an older citizen sees why a key "does not work" instead of guessing.

Each key carries ``key_id`` (the model's id, e.g. ``"7"``, ``"A"``,
``"CAND:张"``) and ``kid`` (``"key:" + key_id``), so ``kiosk.ui.widgets.find``,
``KioskWindow.tap`` and tests find and tap keys like a finger would.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from kivy.graphics import Color, Rectangle
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button
from kivy.uix.label import Label
from kivy.uix.widget import Widget

from kiosk.ui.keyboard_model import LABELS, Key, KeyboardState, PinyinTable, layout
from kiosk.ui.theme import FONT


def _hex(value: str) -> tuple[float, float, float, float]:
    return (int(value[1:3], 16) / 255, int(value[3:5], 16) / 255, int(value[5:7], 16) / 255, 1.0)


# Colours (text on background, WCAG 2 contrast ratio computed with kiosk.ui.theme.contrast;
# tests/ui/test_keyboard_widget.py recomputes them). All text pairs are at least 4.5:1.
PANEL = _hex("#2E3B4E")  # keyboard background; light keys on it stand out at 8.5:1 or more
PANEL_TEXT = _hex("#FFFFFF")  # composed pinyin and hint, white on #2E3B4E: 11.34:1
KEY_BG, KEY_FG = _hex("#F4F6F9"), _hex("#1C1C1F")  # letters and digits: 15.70:1
ACTION_BG, ACTION_FG = _hex("#D5E0EE"), _hex("#0A2949")  # delete, clear, space, letters, pages: 11.03:1
CAND_BG, CAND_FG = _hex("#FFFFFF"), _hex("#0B4F8A")  # candidate characters, theme blue on white: 8.40:1
PRESSED_BG, PRESSED_FG = _hex("#FFC83D"), _hex("#1C1C1F")  # amber under the finger: 10.99:1
OFF_BG, OFF_FG = _hex("#44546A"), _hex("#C8D0D9")  # inert keys sink into the panel, label still 4.95:1
PAIRS = {"panel": (PANEL_TEXT, PANEL), "key": (KEY_FG, KEY_BG), "action": (ACTION_FG, ACTION_BG),
         "candidate": (CAND_FG, CAND_BG), "pressed": (PRESSED_FG, PRESSED_BG), "disabled": (OFF_FG, OFF_BG)}
STYLE = {"char": (KEY_BG, KEY_FG), "candidate": (CAND_BG, CAND_FG)}  # anything else: ACTION colours


@dataclass(frozen=True)
class Metrics:
    """Pixel sizes (1 dp ≈ 1 px on a 21.5–32" 1080p panel at 50 cm).

    The MIIT ageing-friendly app rules ask ≥ 60 dp targets in elderly mode;
    the hall guidance for kiosks asks ≥ 80 px with ≥ 8 px gaps. Ten keys and
    their gaps must still fit 1080 px, which bounds the key width near 98 px.
    """

    key: int  # key height
    gap: int  # between keys and around the keyboard
    font: int  # key labels
    cand_font: int  # candidate characters: the thing an older eye must recognise
    page_size: int  # candidates per page


# Key labels take the theme's body size and the page keys its small one (font * 0.8): each other size is one
# more font face held open, ~1 MiB resident (kiosk.ui.theme.FONT).
NORMAL = Metrics(key=80, gap=8, font=30, cand_font=40, page_size=8)
ELDERLY = Metrics(key=100, gap=12, font=45, cand_font=54, page_size=6)
PAD_KEY_WIDTH = 1.75  # a digit pad's key is this many times as wide as it is high


class KeyButton(Button):
    """One key. Colours follow its state (normal, pressed, inert), never colour alone: inert keys also
    stop reacting, and the label never changes meaning."""

    key_id = StringProperty("")
    kid = StringProperty("")

    def __init__(self, key: Key, metrics: Metrics, on_tap: Callable[[str], object], **kw):
        self._bg, fg = STYLE.get(key.action, (ACTION_BG, ACTION_FG))
        font = metrics.cand_font if key.action == "candidate" else metrics.font
        if key.action not in ("char", "candidate") and len(key.label) > 2 and key.width < 2:
            font = int(font * 0.8)  # "Prev" and "Next" fit a page key's ~110 px in elderly mode
        super().__init__(text=key.label, font_name=FONT, font_size=font, color=fg, disabled_color=OFF_FG,
                         background_normal="", background_down="", background_disabled_normal="",
                         background_disabled_down="", background_color=self._bg,
                         size_hint_x=key.width, halign="center", valign="middle", **kw)
        self.key_id, self.kid = key.key_id, f"key:{key.key_id}"
        self._fg = fg
        self.bind(state=self._paint, disabled=self._paint)
        self.bind(on_release=lambda *_: on_tap(self.key_id))

    def _paint(self, *_):
        if self.disabled:
            self.background_color = OFF_BG
        elif self.state == "down":
            self.background_color, self.color = PRESSED_BG, PRESSED_FG
        else:
            self.background_color, self.color = self._bg, self._fg


class OnScreenKeyboard(BoxLayout):
    """A keyboard of one kind (``digits``, ``id_number``, ``phone``, ``latin``, ``pinyin``).

    ``on_text(text)`` is called after every tap that changed the committed
    text; the ``text`` and ``buffer`` properties can be bound as well.
    ``field`` ("name", "address", "text") orders pinyin candidates.
    """

    text = StringProperty("")
    buffer = StringProperty("")
    elderly = BooleanProperty(False)

    def __init__(self, kind: str, on_text: Callable[[str], object] | None = None, elderly: bool = False, *,
                 text: str = "", field: str = "text", max_length: int | None = None, locale: str = "zh-CN",
                 letters: str = "qwerty", table: PinyinTable | None = None, **kwargs):
        self._rows = layout(kind, locale, letters)  # validates kind and locale before anything is drawn
        metrics = ELDERLY if elderly else NORMAL
        self._state = KeyboardState.start(kind, text, field, max_length, metrics.page_size, table)
        self._on_text, self._locale, self._keys, self._bar = on_text, locale, {}, None
        self._pad = kind in ("digits", "phone", "id_number")
        if self._pad:
            kwargs.setdefault("size_hint_x", None)
        super().__init__(orientation="vertical", size_hint_y=None, **kwargs)
        with self.canvas.before:
            Color(*PANEL)
            self._panel = Rectangle(pos=self.pos, size=self.size)
        self.bind(pos=self._sync_panel, size=self._sync_panel)
        self.elderly = elderly
        self._build()
        self.bind(elderly=lambda *_: self._build())

    @property
    def state(self) -> KeyboardState:
        return self._state

    @property
    def metrics(self) -> Metrics:
        return ELDERLY if self.elderly else NORMAL

    def keys(self) -> dict[str, KeyButton]:
        """Every key on screen by ``key_id``, candidates included."""
        return dict(self._keys)

    def press(self, key_id: str) -> bool:
        """What a tap on ``key_id`` does; False when the key is inert now."""
        new = self._state.apply(key_id)
        if new is self._state:
            return False
        changed = new.text != self._state.text
        self._state = new
        self._refresh()
        if changed and self._on_text is not None:
            self._on_text(new.text)
        return True

    def set_text(self, text: str) -> None:
        """Replace the text from outside (kept to what the keyboard could type); ``on_text`` is not called."""
        self._state = self._state.with_text(text)
        self._refresh()

    def _sync_panel(self, *_):
        self._panel.pos, self._panel.size = self.pos, self.size

    def _build(self) -> None:
        m = self.metrics
        if self._state.page_size != m.page_size:
            self._state = KeyboardState.start(self._state.kind, "", self._state.field, self._state.max_length,
                                              m.page_size, self._state.table).with_text(self._state.text)
        self.clear_widgets()
        self._keys = {}
        self.padding, self.spacing = m.gap, m.gap
        rows = len(self._rows)
        if self._state.kind == "pinyin":
            self._bar = BoxLayout(spacing=m.gap, size_hint_y=None, height=m.key)
            self.add_widget(self._bar)
            rows += 1
        for keys in self._rows:
            row = BoxLayout(spacing=m.gap, size_hint_y=None, height=m.key)
            for key in keys:
                row.add_widget(self._make(key, m))
            self.add_widget(row)
        self.height = rows * m.key + (rows + 1) * m.gap
        if self._pad:
            self.width = 3 * int(m.key * PAD_KEY_WIDTH) + 4 * m.gap
        self._refresh()

    def _make(self, key: Key, m: Metrics) -> Widget:
        if key.action == "spacer":
            return Widget(size_hint_x=key.width)
        button = KeyButton(key, m, self.press)
        self._keys[key.key_id] = button
        return button

    def _refresh(self) -> None:
        state = self._state
        self.text, self.buffer = state.text, state.buffer
        if self._bar is not None:
            self._fill_bar(state)
        for key_id, button in self._keys.items():
            button.disabled = not state.can_press(key_id)

    def _fill_bar(self, state: KeyboardState) -> None:
        """Composition, this page's candidates, then the page keys, which never move (blank slots pad)."""
        m = self.metrics
        for key_id in [k for k in self._keys if k.startswith("CAND:") or k.startswith("PAGE_")]:
            del self._keys[key_id]
        self._bar.clear_widgets()
        *cands, prev_key, next_key = state.candidate_keys(self._locale)
        shown = state.buffer or LABELS[self._locale]["HINT"]
        label = Label(text=shown, font_name=FONT, font_size=int(m.font * 0.8), color=PANEL_TEXT,
                      size_hint_x=2 if state.buffer else 2 + m.page_size, shorten=True, shorten_from="left",
                      halign="center", valign="middle")
        label.bind(size=lambda w, s: setattr(w, "text_size", s))
        self._bar.add_widget(label)
        if state.buffer:
            for key in cands:
                self._bar.add_widget(self._make(key, m))
            for _ in range(m.page_size - len(cands)):
                self._bar.add_widget(Widget())
        for key in (prev_key, next_key):
            self._bar.add_widget(self._make(Key(key.key_id, key.label, key.action, 1.25), m))
