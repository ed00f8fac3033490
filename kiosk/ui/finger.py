"""A finger's touch, made in-process: how the UI scenario runner and the benchmark tap real widgets.

Kivy ships one (``kivy.tests.common.UnitTestTouch``), but that module
imports pytest, and tapping through it loaded pytest, pygments and
unittest into the kiosk: 12 MiB of resident memory the benchmark counted
against the kiosk, which never loads them with a real touch screen. This is
the same event, down and up at one point, as a touch screen's provider
sends it.
"""
from __future__ import annotations

from kivy.base import EventLoop
from kivy.input.motionevent import MotionEvent


class Finger(MotionEvent):
    def __init__(self, x: float, y: float):
        win = EventLoop.window
        super().__init__("finger", 99, (x / (win.width - 1.0), y / (win.height - 1.0)), is_touch=True,
                         type_id="touch")
        self.profile = ["pos"]  # what it carries: a position, no pressure or shape

    def depack(self, args):
        self.sx, self.sy = args
        super().depack(args)

    def tap(self) -> None:
        EventLoop.post_dispatch_input("begin", self)
        EventLoop.post_dispatch_input("end", self)
