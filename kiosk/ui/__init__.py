"""The citizen touch UI (Kivy): renders the engine's views and sends actions back, nothing more.

Kivy reads the command line and writes to ~/.kivy when it is first imported;
the kiosk has its own command line (``--config`` would be taken as Kivy's),
so these process settings are made before any module here can import Kivy.
Pictures are PNG (icons, illustrations and their .zip frames), which SDL2
reads: Kivy's default image readers also loaded its ffpyplayer and PIL
readers at start, 18 MiB resident before any video played. The kiosk plays
no sound through SDL (guide videos are muted, the voice is espeak-ng's own
process), yet ffpyplayer opened the sound device for every video: 3.5 MiB
of PulseAudio client; SDL's dummy audio driver keeps it closed.
"""
import os as _os

for _key, _value in (("KIVY_NO_ARGS", "1"), ("KIVY_NO_CONSOLELOG", "1"), ("KIVY_NO_FILELOG", "1"),
                     ("KIVY_LOG_MODE", "PYTHON"), ("KIVY_NO_CONFIG", "1"),
                     ("KIVY_VIDEO", "ffpyplayer"),  # the media area's guide videos (kiosk.ui.media)
                     ("KIVY_IMAGE", "tex,dds,sdl2"), ("SDL_AUDIODRIVER", "dummy")):
    _os.environ.setdefault(_key, _value)
