"""The kiosk's calls to government backends: HTTP transport (http) and what a reply may be (reply)."""
