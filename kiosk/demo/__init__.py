"""The demo: a fictitious government backend (backend) and what the demo changes in a kiosk's configuration
(settings). Production never imports it; `kiosk demo` and the soak bench do."""
