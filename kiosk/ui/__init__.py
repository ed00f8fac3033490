"""The citizen touch UI (Kivy): renders the engine's views and sends actions back, nothing more."""
