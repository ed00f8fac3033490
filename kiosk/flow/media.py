"""An item's guidance on screen: which picture or video each step's media area shows, and checks of the files.

The flow names files in its own folder; the linter checks that each exists, is
a regular file of an allowed kind and size, and that subtitles parse, so a
kiosk never discovers a missing or oversized video in front of a citizen.
Device steps show a shipped illustration of the device (assets/illustrations)
unless the item replaces it; other steps play the item's guide video.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from kiosk.flow import model
from kiosk.flow.problems import Problem

ASSETS = Path(__file__).resolve().parents[2] / "assets"
ILLUSTRATIONS = ASSETS / "illustrations"
ICONS = ASSETS / "icons"

VIDEO = {".mp4", ".webm"}
PICTURE = {".png", ".zip"}  # a .zip of PNG frames is an animation in Kivy's Image (its GIF reader is unreliable)
SUBTITLES = {".srt"}
MAX_BYTES = {".mp4": 20 << 20, ".webm": 20 << 20, ".png": 2 << 20, ".zip": 8 << 20,
             ".srt": 64 << 10}  # guide videos of a minute or two at kiosk resolution; anything bigger is a mistake
MAX_CUES = 500

# The device a step waits on, drawn in the media area unless the step says otherwise.
DEFAULTS = {"read_id_card": "id_card", "scan_code": "scan_code", "dispense_ticket": "ticket"}
PRINTED = {"document_printer": "print_document", "receipt_printer": "print_slip"}
NO_MEDIA = {"end", "branch", "subflow"}  # nothing to watch: the ending, or steps never shown


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    text: str


class SubtitleError(ValueError):
    pass


TIME = re.compile(r"^(\d{1,2}):(\d{2}):(\d{2})[,.](\d{3})\s*-->\s*(\d{1,2}):(\d{2}):(\d{2})[,.](\d{3})")


def parse_srt(text: str) -> tuple[Cue, ...]:
    """SubRip cues; a malformed block raises SubtitleError naming its line."""
    cues: list[Cue] = []
    lines = text.lstrip("\ufeff").replace("\r\n", "\n").split("\n")
    i = 0
    while i < len(lines):
        if not lines[i].strip():
            i += 1
            continue
        if lines[i].strip().isdigit():
            i += 1
        m = TIME.match(lines[i].strip()) if i < len(lines) else None
        if m is None:
            raise SubtitleError(f"line {i + 1}: expected a time line like 00:00:01,000 --> 00:00:04,000")
        g = [int(x) for x in m.groups()]
        start = g[0] * 3600 + g[1] * 60 + g[2] + g[3] / 1000
        end = g[4] * 3600 + g[5] * 60 + g[6] + g[7] / 1000
        if end <= start:
            raise SubtitleError(f"line {i + 1}: the cue ends before it starts")
        i += 1
        body = []
        while i < len(lines) and lines[i].strip():
            body.append(re.sub(r"<[^>]{0,20}>", "", lines[i].strip()))  # <i>…</i> and the like: plain text on screen
            i += 1
        cues.append(Cue(start, end, "\n".join(body)))
        if len(cues) > MAX_CUES:
            raise SubtitleError(f"more than {MAX_CUES} cues")
    return tuple(cues)


def cue_at(cues: tuple[Cue, ...], position: float) -> str:
    return next((c.text for c in cues if c.start <= position < c.end), "")


def illustration_for(step) -> str | None:
    """The picture a step shows by default (None: the guide video, if any)."""
    if step.media is not None and step.media.illustration:
        return step.media.illustration
    if step.kind == "print":
        return PRINTED.get(step.printer)
    return DEFAULTS.get(step.kind)


def subtitle_file(media: model.FlowMedia, locale: str) -> str | None:
    subs = media.subtitles
    if isinstance(subs, dict):
        return subs.get(locale) or subs.get("zh-CN") or next(iter(subs.values()), None)
    return subs


def icon_path(icon: str | None, folder: Path) -> Path | None:
    """The tile icon: a .png beside the flow, or one of the shipped icons by name."""
    if not icon:
        return None
    if icon.endswith(".png"):
        p = folder / icon
    else:
        p = ICONS / f"{icon}.png"
    return p if p.is_file() else None


def _check_file(folder: Path, name: str, kinds: set[str], what: str) -> str | None:
    """Why the named file cannot be used, or None."""
    suffix = Path(name).suffix.lower()
    if suffix not in kinds:
        return f"{what} {name!r} must be {', '.join(sorted(kinds))}"
    p = folder / name
    if p.is_symlink() or not p.is_file():
        return f"no file {name!r} beside the flow"
    size = p.stat().st_size
    if size > MAX_BYTES[suffix]:
        return f"{name} is {size >> 10} KiB; a {suffix} may be at most {MAX_BYTES[suffix] >> 10} KiB"
    if suffix == ".zip":
        return _frames_problem(p)
    return None


def _frames_problem(path: Path) -> str | None:
    """An animation is a zip of PNG frames and nothing else (Kivy shows its members in name order)."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
    except (zipfile.BadZipFile, OSError) as exc:
        return f"{path.name} is not a zip of PNG frames ({exc})"
    if not names or len(names) > 200 or any(not n.lower().endswith(".png") or "/" in n for n in names):
        return f"{path.name} must hold 1 to 200 PNG frames at its top level, nothing else"
    return None


def media_problems(flow: model.Flow, located, file: str, folder: Path) -> Iterator[Problem]:
    """Every media file the flow names exists beside it, is of a kind the kiosk plays, and is not too big."""
    def problem(path: tuple, rule: str, message: str, severity: str = "error") -> Problem:
        from kiosk.flow.yamlsafe import format_path

        line, col = located.where(path)
        return Problem(file, line, col, rule, message, severity, format_path(path))

    media = flow.media
    if media is not None:
        if media.video:
            why = _check_file(folder, media.video, VIDEO, "a guide video")
            if why:
                yield problem(("media", "video"), "media/file", why)
        subs = media.subtitles
        named = subs.items() if isinstance(subs, dict) else ([(None, subs)] if subs else [])
        for loc, name in named:
            path = ("media", "subtitles") + ((loc,) if loc else ())
            why = _check_file(folder, name, SUBTITLES, "subtitles")
            if why is None:
                try:
                    parse_srt((folder / name).read_text(encoding="utf-8"))
                except (SubtitleError, UnicodeDecodeError) as exc:
                    why = f"{name}: {exc}"
            if why:
                yield problem(path, "media/file", why)
        if subs and not media.video:
            yield problem(("media", "subtitles"), "media/subtitles-without-video", "subtitles but no video")
        for name, picture in media.illustrations.items():
            why = _check_file(folder, picture, PICTURE, "an illustration")
            if why:
                yield problem(("media", "illustrations", name), "media/file", why)
    if flow.icon and flow.icon.endswith(".png"):
        why = _check_file(folder, flow.icon, {".png"}, "an icon")
        if why:
            yield problem(("icon",), "media/file", why)
    elif flow.icon and not (ICONS / f"{flow.icon}.png").is_file():
        names = sorted(p.stem for p in ICONS.glob("*.png"))
        yield problem(("icon",), "media/unknown-icon", f"no shipped icon {flow.icon!r} (there are "
                      f"{', '.join(names) or 'none'}); name one, or a .png beside the flow", "warning")


@dataclass(frozen=True)
class Guidance:
    """What one step's media area shows: a looping muted video with its cues, or a (possibly animated) picture."""

    video: str = ""
    image: str = ""
    cues: tuple[Cue, ...] = ()


class MediaCache:
    """Subtitles parsed once per compiled flow, not on every view."""

    def __init__(self):
        self._cues: dict[tuple[str, str], tuple[Cue, ...]] = {}

    def cues(self, folder: Path, name: str | None) -> tuple[Cue, ...]:
        if not name:
            return ()
        key = (str(folder), name)
        if key not in self._cues:
            try:
                self._cues[key] = parse_srt((folder / name).read_text(encoding="utf-8"))
            except (OSError, SubtitleError, UnicodeDecodeError):
                self._cues[key] = ()  # the linter refuses such a bundle; a file changed since shows no subtitles
        return self._cues[key]


CACHE = MediaCache()


def guidance(flow: model.Flow, folder: Path, step, locale: str) -> Guidance | None:
    """The media of ``step`` of ``flow`` (whose folder is ``folder``); None where the step shows none."""
    if step.kind in NO_MEDIA:
        return None
    media = flow.media or model.FlowMedia()
    picture = illustration_for(step)
    if picture:
        own = media.illustrations.get(picture)
        path = folder / own if own else ILLUSTRATIONS / f"{picture}.zip"
        return Guidance(image=str(path)) if path.is_file() else None
    wanted = step.media is None or step.media.video
    if media.video and wanted and step.kind != "form":  # a form's keyboard needs the room
        return Guidance(video=str(folder / media.video), cues=CACHE.cues(folder, subtitle_file(media, locale)))
    return None
