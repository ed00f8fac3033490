"""Help panel (camera, microphone, speaker, call button): only the twin until the live call arrives."""
