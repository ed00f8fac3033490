"""Voice prompts through espeak-ng, switchable, never blocking the UI.

Each new screen is read aloud once; a newer prompt cuts the older one off.
What was said is kept (text only) so tests can check it, and the text is
always on screen too, for citizens who cannot hear it.
"""
from __future__ import annotations

import shutil
import subprocess

import structlog

log = structlog.get_logger("kiosk.voice")
VOICES = {"zh-CN": "cmn", "en": "en"}


class Speaker:
    def __init__(self, enabled: bool = True, command: str = "espeak-ng"):
        self.enabled = enabled
        self.binary = shutil.which(command)
        self.spoken: list[tuple[str, str]] = []
        self._proc: subprocess.Popen | None = None
        self._last = None

    def toggle(self) -> None:
        self.enabled = not self.enabled
        if not self.enabled:
            self.stop()

    def say(self, text: str, locale: str, key=None) -> None:
        """Speak unless this same prompt (key) was the last one spoken."""
        if not self.enabled or not text or (key is not None and key == self._last):
            return
        self._last = key
        self.stop()
        self.spoken.append((locale, text))
        if self.binary is None:
            return
        try:
            self._proc = subprocess.Popen([self.binary, "-v", VOICES.get(locale, "cmn"), "-s", "150", "--", text],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        except OSError as exc:
            log.warning("voice.failed", error=type(exc).__name__)

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
        self._proc = None

    def forget(self) -> None:
        """Between citizens: the prompt history holds personal text (a masked name) too."""
        self.spoken.clear()
        self._last = None
