"""The flow engine: sessions that turn flows into step views and take actions from any source.

Nothing here imports Kivy. ``session`` is a pure state machine (events in,
commands out); ``runner`` executes its commands against devices, backend
services and a clock.
"""
