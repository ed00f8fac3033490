"""The overlap check and the pixel contrast check catch what they are for, and real screens pass them.

Run in the shared 1080x1920 window (tests/ui/conftest.py). Each check is
first shown failing on a screen built to be wrong, so a silent check cannot
pass these tests.
"""
import pytest

from kiosk.engine.views import FieldView, StepView
from kiosk.ui import theme as th
from tests.ui.conftest import pump

SCREEN = (1080, 1920)


def bars(body):
    """Header, body, footer: the frame of every step screen."""
    from kivy.uix.boxlayout import BoxLayout

    from kiosk.ui.widgets import Panel, Text

    t = th.Theme()
    root = Panel(orientation="vertical")
    header = Panel(bg=th.SECONDARY, size_hint_y=None, height=t.target)
    header.add_widget(Text("住房公积金缴存查询", t.small, th.ON_SECONDARY))
    root.add_widget(header)
    holder = BoxLayout(orientation="vertical")
    holder.add_widget(body)
    root.add_widget(holder)
    root.add_widget(Panel(bg=th.SECONDARY, size_hint_y=None, height=128))
    return root


def chrome():
    from kiosk.ui.screens import Chrome

    return Chrome(lambda *a: None, lambda loc: None, lambda on: None, lambda: None, lambda: False)


def long_form(elderly=True):
    text = "请核对以下信息。" * 40
    return StepView(session="s", flow="f", flow_title="无犯罪记录证明", step="contact", kind="form", locale="zh-CN",
                    title="请输入联系电话", text=text, elderly=elderly,
                    fields=(FieldView("phone", "手机号码", "phone", True, 11, "phone"),))


def test_content_taller_than_its_room_is_reported_running_into_the_header(show):
    from kivy.uix.boxlayout import BoxLayout
    from kivy.uix.widget import Widget

    body = BoxLayout(orientation="vertical")
    body.add_widget(Widget(size_hint_y=None, height=2400))  # no scrolling: taller than the room between the bars
    root = show(bars(body))
    from kiosk.ui import check_layout

    found = check_layout.problems(root, SCREEN)
    assert any("leaves" in p and "住房公积金" in p for p in found), found


def test_text_too_long_for_a_fixed_button_is_reported(show):
    from kiosk.ui import check_layout
    from kiosk.ui.widgets import TapButton

    button = TapButton("视频求助 " * 30, "nav:help", lambda: None, th.Theme(), "warning", grow=False)
    root = show(bars(button))
    found = check_layout.problems(root, SCREEN)
    assert any(p.startswith("nav:help: its text") for p in found), found


def test_a_long_elderly_form_scrolls_between_fixed_bars_and_passes(show):
    from kiosk.ui import check_contrast, check_layout
    from kiosk.ui.screens import step_screen
    from kiosk.ui.widgets import find

    root = show(step_screen(long_form(), th.Theme(), chrome(), {}))
    assert check_layout.problems(root, SCREEN) == []
    cue = find(root, "scroll:more")
    assert cue.opacity == 1 and not cue.disabled and "下方还有内容" in cue.text
    area = cue.parent
    assert area.scroller.viewport_size[1] > area.scroller.height  # more than fits, so the bar is drawn
    header_before = find(root, "nav:home").to_window(0, 0)
    top = SCREEN[1] - area.scroller.top  # the bars above and below the scrolling area, in image rows
    bars_before = check_contrast.screen_image(root)
    cue.dispatch("on_release")
    pump()
    assert area.scroller.scroll_y < 1  # a tap on the cue scrolls down without a swipe
    assert find(root, "nav:home").to_window(0, 0) == header_before  # the footer did not move
    bars_after = check_contrast.screen_image(root)
    for box in ((0, 0, SCREEN[0], int(top)), (0, int(SCREEN[1] - cue.y), SCREEN[0], SCREEN[1])):
        # the text scrolled up under the header is clipped away, not drawn over it (nor over the footer)
        assert bars_after.crop(box).tobytes() == bars_before.crop(box).tobytes(), box


def test_an_elderly_field_has_a_placeholder_and_a_cursor_and_the_keypad_is_full_width(show):
    from kiosk.ui.keyboard import OnScreenKeyboard
    from kiosk.ui.screens import step_screen
    from kiosk.ui.widgets import find, walk

    root = show(step_screen(long_form(), th.Theme(), chrome(), {}))
    field = find(root, "field:phone")
    assert "请输入 11 位手机号码" in field.text and "|" in field.text
    pad = next(w for w in walk(root) if isinstance(w, OnScreenKeyboard))
    column = pad.parent
    assert pad.width >= column.width - 1  # full width in elderly mode
    root2 = show(step_screen(long_form(elderly=False), th.Theme(), chrome(), {}))
    pad2 = next(w for w in walk(root2) if isinstance(w, OnScreenKeyboard))
    assert pad2.width < pad2.parent.width
    assert abs(pad2.center_x - pad2.parent.center_x) <= 2  # narrower in standard mode, but centred


def test_the_footer_in_elderly_mode_is_no_taller_than_in_standard_mode(show):
    from kiosk.ui.screens import step_screen
    from kiosk.ui.widgets import find

    heights = []
    for elderly in (False, True):
        root = show(step_screen(long_form(elderly), th.Theme(), chrome(), {}))
        heights.append(find(root, "nav:home").parent.parent.height)
    assert heights[1] <= heights[0]


def test_the_home_grid_has_one_column_in_elderly_mode():
    from kiosk.ui import layout

    assert layout.home_columns(th.Theme().for_view(True), 7) == 1
    assert layout.home_columns(th.Theme(width=1920, height=1080, low_reach=True).for_view(True), 7) == 1
    assert layout.home_columns(th.Theme(), 7) == 2


def test_kivys_disabled_look_is_measured_unreadable_and_the_kiosks_disabled_tile_is_readable(show):
    from kivy.uix.button import Button
    from kivy.uix.gridlayout import GridLayout

    from kiosk.ui import check_contrast
    from kiosk.ui.widgets import Panel, TapButton

    t = th.Theme()
    label = "社保参保证明打印\n暂停服务：打印机缺纸"
    grid = GridLayout(cols=1, spacing=32, padding=32, size_hint_y=None, height=600)
    stock = Button(text=label, font_name=th.FONT, font_size=t.body, disabled=True, size_hint_y=None, height=200,
                   background_normal="", background_color=th.MUTED_BG, color=th.MUTED)
    ours = TapButton(label, "tile:x", lambda: None, t, "muted", height=200, disabled=True)
    grid.add_widget(stock)
    grid.add_widget(ours)
    root = Panel(orientation="vertical")
    root.add_widget(grid)
    show(root)
    img = check_contrast.screen_image(root)
    assert check_contrast.text_contrast(img, check_contrast.box(stock)) < 2  # the issue measured 1.16:1
    assert check_contrast.text_contrast(img, check_contrast.box(ours)) >= 4.5
    found = check_contrast.problems(root, img, SCREEN)
    assert any(p.startswith("Button") and "text contrast" in p for p in found), found
    assert not any(p.startswith("tile:x") for p in found), found


def test_a_light_button_without_an_edge_fails_the_boundary_check_and_a_bordered_one_passes(show):
    from kivy.uix.boxlayout import BoxLayout
    from kivy.uix.button import Button

    from kiosk.ui import check_contrast
    from kiosk.ui.widgets import Panel, TapButton

    t = th.Theme()
    row = BoxLayout(spacing=32, padding=32, size_hint_y=None, height=200)
    bare = Button(text="English", font_name=th.FONT, font_size=t.body, background_normal="",
                  background_color=th.SECONDARY, color=th.ON_SECONDARY)
    row.add_widget(bare)
    for style, kid in (("secondary", "toggle:locale"), ("warning", "nav:help"), ("primary", "action:ok")):
        row.add_widget(TapButton("English", kid, lambda: None, t, style))
    root = Panel(bg=th.SECONDARY, orientation="vertical")  # the footer's colour, where light buttons vanished
    root.add_widget(row)
    show(root)
    found = check_contrast.problems(root, check_contrast.screen_image(root), SCREEN)
    assert any(p.startswith("Button") and "boundary" in p for p in found), found
    assert not any(p.split(":")[0] in ("toggle", "nav", "action") for p in found), found


def test_real_screens_pass_both_checks_in_elderly_mode(show):
    from kiosk.ui import check_contrast, check_layout
    from kiosk.ui.screens import step_screen

    root = show(step_screen(long_form(), th.Theme(), chrome(), {}))
    img = check_contrast.screen_image(root)
    assert check_layout.problems(root, SCREEN) == []
    assert check_contrast.problems(root, img, SCREEN) == []


def test_elderly_mode_shows_the_flows_short_text_where_it_gives_one(show):
    from kiosk.ui.screens import step_screen
    from kiosk.ui.widgets import walk

    def texts(elderly):
        view = StepView(session="s", flow="f", flow_title="无犯罪记录证明", step="consent", kind="notice",
                        locale="zh-CN", title="本人申请确认", text="钱**，本证明只能由本人申请。我们将向公安机关查询您的违法犯罪记录。",
                        text_short="钱**，仅限本人申请。", consent="我是本人，同意查询", elderly=elderly)
        root = show(step_screen(view, th.Theme(), chrome(), {}))
        return [getattr(w, "text", "") for w in walk(root)]

    assert "钱**，仅限本人申请。" in texts(True) and not any("公安机关" in t for t in texts(True))
    assert any("公安机关" in t for t in texts(False)) and "钱**，仅限本人申请。" not in texts(False)


@pytest.mark.parametrize("size", [(1080, 1920), (1920, 1080)], ids=["portrait", "landscape"])
@pytest.mark.parametrize("elderly", [False, True], ids=["standard", "elderly"])
@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_the_home_and_out_of_service_screens_pass_both_checks(show, size, elderly, locale):
    """Screens the scenario runner does not draw, built from the real controller; a screen of either
    orientation is laid out at its own size inside the test window (the pixels are read off-screen)."""
    import asyncio

    from kiosk.controller import KioskController
    from kiosk.engine.clock import VirtualClock
    from kiosk.flow.registry import FlowRegistry
    from kiosk.scenario.twins import open_devices
    from kiosk.ui import check_contrast, check_layout
    import datetime as dt

    from kiosk.ui.home import HomeActions, HomeScreen
    from kiosk.ui.screens import out_of_service_screen
    from tests.ui.test_touch_ui import ROOT

    reg = FlowRegistry(ROOT / "flows")
    reg.reload()
    devices = asyncio.run(open_devices())
    devices["document_printer"].inject("paper_out")  # greyed tiles with their reason: the 1.16:1 case
    c = KioskController(reg, devices, None, VirtualClock(), kiosk={"id": "K1"})
    c.set_locale(locale)
    c.set_elderly(elderly)
    c.refresh_home()
    assert any(not t.available for t in c.state.tiles)
    theme = th.Theme(width=size[0], height=size[1])
    actions = HomeActions(lambda flow: None, lambda **_: None, lambda: None)
    home = HomeScreen(c.state.home, theme.for_view(elderly), chrome(), actions, dt.datetime(2026, 12, 6, 9, 30),
                      elderly=elderly)
    for screen in (home,
                   out_of_service_screen(locale, theme.for_view(elderly))):
        screen.size_hint = (None, None)
        screen.size = size
        show(screen)
        found = check_layout.problems(screen, size)
        found += check_contrast.problems(screen, check_contrast.screen_image(screen), size)
        assert found == [], found


def test_every_panel_is_painted_where_it_is(show):
    """The fixed bars by a clear, the scrolling ones by a rectangle. A clear's box is in window coordinates;
    Kivy moves a scrolling area's content by a transform, so a panel painted by a clear inside a scrolling
    area (kiosk.ui.widgets.Fill) would be painted off to one side."""
    import dataclasses
    from pathlib import Path

    from kiosk.engine.views import MediaView
    from kiosk.ui import check_contrast
    from kiosk.ui.screens import step_screen
    from kiosk.ui.widgets import Fill, Panel, walk

    root_dir = Path(__file__).resolve().parents[2]
    view = dataclasses.replace(long_form(elderly=False), idle_warning_s=20.0,
                               media=MediaView(image=str(root_dir / "assets" / "illustrations" / "id_card.zip")))
    root = show(step_screen(view, th.Theme(), chrome(), {}))
    img = check_contrast.screen_image(root)
    panels = [w for w in walk(root) if isinstance(w, Panel) and hasattr(w, "_fill")]
    kinds = {isinstance(w._fill, Fill) for w in panels}
    assert kinds == {True, False}, "both kinds of fill on this screen"
    for w in panels:
        colour = tuple(round(c * 255) for c in w._bg[:3])
        (left, bottom), (right, top) = w.to_window(w.x, w.y), w.to_window(w.right, w.top)
        x0, y0 = int(left) + 1, SCREEN[1] - int(top) + 1  # image rows count from the top
        x1, y1 = int(right) - 2, SCREEN[1] - int(bottom) - 2
        corners = [img.getpixel((x, y))[:3] for x in (x0, x1) for y in (y0, y1)]
        assert corners.count(colour) >= 3, (w, colour, corners)  # a child may reach one corner, not three
