"""The WebRTC help panel's options, as `[devices.help_panel]` in kiosk.toml takes them (driver = "webrtc")."""

OPTIONS = {
    "url": ("", "the help desk's kiosk socket, e.g. wss://backoffice.example/ws/kiosk"),
    "kiosk_id": ("", "this kiosk's fleet id (as in [fleet])"),
    "credential_file": ("", "file with the help-desk credential from `backoffice kiosks credential` (mode 0600)"),
    "video": ("/dev/video0", "camera: a V4L2 device, or a lavfi spec in tests; empty: audio only"),
    "video_format": ("v4l2", "PyAV input format of the camera: v4l2 (lavfi in tests)"),
    "video_size": ("640x480", "camera picture size asked of V4L2"),
    "framerate": (15, "camera frames per second asked of V4L2"),
    "audio": ("default", "microphone: a PulseAudio source or ALSA device (lavfi spec in tests)"),
    "audio_format": ("pulse", "PyAV input format of the microphone: pulse or alsa (lavfi in tests)"),
    "speaker": ("", "where staff's voice plays (e.g. default); empty: the panel's own speakerphone"),
    "speaker_format": ("pulse", "PyAV output format of the speaker: pulse or alsa"),
    "ice_servers": ([], "the hall's own ICE servers, [{urls = [...], username, credential}]; never a public one"),
    "skill": ("general", "the help desk queue calls go to unless the step names one"),
    "heartbeat_s": (1.0, "seconds between heartbeats on the control channel"),
    "heartbeat_misses": (3, "missed heartbeats that mean the network dropped"),
    "connect_timeout_s": (10.0, "how long to keep trying to reach the desk before a call is unavailable"),
    "backoff_max_s": (4.0, "longest wait between two attempts to reach the desk"),
    "resume_window_s": (30.0, "how long a dropped call tries to come back before it ends"),
    "quality_s": (5.0, "seconds between call.quality samples (round trip, loss, frames per second) to the desk"),
    "callback_timeout_s": (10.0, "how long to wait for the desk to book a call back before telling the citizen"),
}
