"""paho's MQTT client, imported without dnspython.

paho.mqtt.client imports dnspython at import time (56 modules, 13 MiB
resident on a kiosk whose goal is 250 MiB) for one method, connect_srv,
which finds a broker through DNS SRV records. The kiosk never calls it: it
connects to the host in kiosk.toml. So dnspython is hidden from that one
import (paho catches the ImportError and leaves connect_srv unavailable) and
unhidden at once: the help panel's video calls (aioice) import it by
themselves when a call needs it. Nothing moves a failure later: paho itself
is imported here, at start, as before.
"""
from __future__ import annotations

import sys


def _import_without_dnspython():
    hide = "dns" not in sys.modules
    if hide:
        sys.modules["dns"] = None  # `import dns.resolver` raises ImportError while this is set
    try:
        import paho.mqtt.client as client
    finally:
        if hide and "dns" in sys.modules and sys.modules["dns"] is None:
            del sys.modules["dns"]
    return client


mqtt = _import_without_dnspython()
