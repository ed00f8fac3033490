"""A private X display and one shared Kivy window for UI tests that run in the pytest process.

Kivy reads the command line (pytest's, here) and writes ~/.kivy when first
imported, so its process settings are made before any test module can
import it. Kivy opens one window per process: ``kivy_window`` is session
scoped and every in-process UI test shares it (tests that need a window of
another size run a subprocess instead, as test_touch_ui does).
"""
from __future__ import annotations

import os
import select
import shutil
import subprocess
import time

import pytest

from tests.processes import end_process

for _key, _value in (("KIVY_NO_ARGS", "1"), ("KIVY_NO_CONSOLELOG", "1"), ("KIVY_NO_FILELOG", "1"),
                     ("KIVY_LOG_MODE", "PYTHON"), ("KIVY_NO_CONFIG", "1")):
    os.environ.setdefault(_key, _value)

SCREEN = "1920x1920x24"  # room for a portrait 1080x1920 or a landscape 1920x1080 kiosk window
WINDOW = (1080, 1920)


def _display_number(fd: int, proc: subprocess.Popen, timeout: float) -> str:
    """Xvfb writes the display number it chose once it accepts connections."""
    deadline, data = time.monotonic() + timeout, b""
    while not data.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0 or proc.poll() is not None:
            raise RuntimeError(f"Xvfb did not start (exit code {proc.poll()}, read {data!r})")
        if select.select([fd], [], [], min(left, 0.5))[0]:
            chunk = os.read(fd, 64)
            if not chunk:
                raise RuntimeError(f"Xvfb closed its display pipe (exit code {proc.poll()})")
            data += chunk
    return data.decode().strip()


@pytest.fixture(scope="session")
def xvfb_display():
    """Start Xvfb (-screen 0 1920x1920x24) on a free display, set DISPLAY, yield ":N", stop it.

    ``-displayfd`` lets Xvfb pick the number itself, so parallel test runs
    and a developer's own X server never collide.
    """
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        pytest.skip("Xvfb is not installed (apt-get install xvfb)")
    read, write = os.pipe()
    proc = subprocess.Popen([xvfb, "-displayfd", str(write), "-screen", "0", SCREEN, "-nolisten", "tcp"],
                            pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write)
    previous = os.environ.get("DISPLAY")
    try:
        display = f":{_display_number(read, proc, timeout=30)}"
        os.environ["DISPLAY"] = display
        yield display
    finally:
        os.close(read)
        if previous is None:
            os.environ.pop("DISPLAY", None)
        else:
            os.environ["DISPLAY"] = previous
        end_process(proc)


@pytest.fixture(scope="session")
def kivy_window(xvfb_display):
    """The one Kivy window of this process (1080x1920, portrait kiosk), closed before Xvfb stops."""
    from kivy.config import Config

    Config.set("graphics", "width", str(WINDOW[0]))
    Config.set("graphics", "height", str(WINDOW[1]))
    Config.set("graphics", "resizable", "0")
    Config.set("input", "mouse", "mouse,disable_multitouch")
    from kivy.base import EventLoop

    EventLoop.ensure_window()
    window = EventLoop.window
    yield window
    for child in list(window.children):
        window.remove_widget(child)
    window.close()


def pump(frames: int = 4) -> None:
    """Let Kivy lay out, dispatch input and draw: a finger cannot tap a widget before it is on screen."""
    from kivy.base import EventLoop

    for _ in range(frames):
        EventLoop.idle()


@pytest.fixture
def show(kivy_window):
    """Put a widget tree on the shared window, laid out and drawn; every one shown is taken off after the test."""
    shown = []

    def mount(root):
        kivy_window.add_widget(root)
        shown.append(root)
        pump()
        return root

    yield mount
    for root in shown:
        kivy_window.remove_widget(root)
    pump(1)
