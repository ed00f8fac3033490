"""The media area of a step: the item's guide video (muted, looping, subtitled) or the device's illustration.

Kivy's Video widget plays through the ffpyplayer provider (KIVY_VIDEO, set in
kiosk.ui before Kivy loads). A video keeps decoding on its own threads until
it is paused or unloaded, so ``MediaPlayer`` keeps the one video of an item
playing across redraws of its steps (the idle banner, a language switch: it
does not start over), ``KioskWindow.render`` pauses a video no new screen
shows, and the player unloads it when another item's video is wanted. The
paused player of the last item stays: the next citizen choosing it (the
common case: a hall's few items) gets the video at once, without a new decoder. Subtitles are the view's cues, shown under the picture, because the
video plays muted: a kiosk in a hall must not talk over its neighbours.
"""
from __future__ import annotations

from kivy.properties import StringProperty
from kivy.uix.image import Image
from kivy.uix.video import Video

from kiosk.engine.views import MediaView
from kiosk.flow.media import cue_at
from kiosk.ui import theme as th
from kiosk.ui.widgets import Contained, Panel, Text

SHARE = {"portrait": 0.2, "landscape": 0.25}  # of the screen's height; a layout may pass its own
FRAME_S = 0.22  # an illustration's frame time, as drawn by scripts/make_assets.py


def media_height(t: th.Theme, share: float | None = None) -> int:
    return round(t.height * (share if share is not None else SHARE["portrait" if t.portrait else "landscape"]))


class GuideVideo(Contained, Video):
    kid = StringProperty("media:video")

    def texture_update(self, *largs):
        """Without a poster image there is nothing to load as a still (Image would log the .mp4 as a bad picture)."""
        if self.preview:
            super().texture_update(*largs)


class Illustration(Contained, Image):
    kid = StringProperty("media:image")


class MediaPlayer:
    """Hands out the media area's widgets, reusing the playing video while the same item is on screen."""

    def __init__(self):
        self.video: GuideVideo | None = None

    def area(self, media: MediaView, t: th.Theme, height: float | None = None) -> Panel:
        box = Panel(bg=th.SECONDARY, orientation="vertical", size_hint_y=None, height=height or media_height(t))
        if media.video:
            video = self._video(media.video)
            box.add_widget(video)
            line = Text(" ", t.body, th.ON_SECONDARY, halign="center")
            line.kid = "media:subtitle"
            box.add_widget(line)

            def show(_w, position, cues=media.cues):
                text = cue_at(cues, position) or " "
                if line.text != text:
                    line.text = text

            video.unbind(position=getattr(video, "_subtitles", show))
            video._subtitles = show
            video.bind(position=show)
            show(video, video.position)
        else:
            box.add_widget(Illustration(source=media.image, anim_delay=FRAME_S, nocache=True))
        return box

    def _video(self, path: str) -> GuideVideo:
        if self.video is not None and self.video.source == path:
            if self.video.parent is not None:
                self.video.parent.remove_widget(self.video)
            if self.video.state != "play":  # paused when a screen without it was drawn
                self.video.state = "play"
            return self.video
        self.release()
        self.video = GuideVideo(source=path, state="play", volume=0, options={"eos": "loop"})
        return self.video

    def release(self) -> None:
        if self.video is not None:
            self.video.unload()
            self.video = None

