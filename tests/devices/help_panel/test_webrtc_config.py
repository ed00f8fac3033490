"""The live panel's configuration: every mistake is a configuration error naming the option, at build time."""
import pytest

from devices import registry
from devices.errors import ConfigError

GOOD = {"url": "ws://127.0.0.1:9/ws/kiosk", "kiosk_id": "K-0001", "credential_file": "/nonexistent/credential"}


def test_the_registry_builds_it_with_explicit_ice_servers():
    panel = registry.build("help_panel", "help_panel", "webrtc", **GOOD,
                           ice_servers=[{"urls": ["turn:turn.hall.example:3478"], "username": "u", "credential": "c"}])
    assert [s.urls for s in panel.ice_servers] == [["turn:turn.hall.example:3478"]]


@pytest.mark.parametrize("options, says", [
    ({**GOOD, "vidoe": "/dev/video0"}, "unknown option 'vidoe'"),
    ({k: v for k, v in GOOD.items() if k != "url"}, "option 'url' is required"),
    ({**GOOD, "ice_servers": [{"username": "u"}]}, "ice_servers needs urls"),
])
def test_a_mistake_is_named(options, says):
    with pytest.raises(ConfigError, match=says):
        registry.build("help_panel", "help_panel", "webrtc", **options)
