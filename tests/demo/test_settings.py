"""The demo runs the real kiosk against its own backend: every service, and nothing else, is redirected."""
from pathlib import Path

from kiosk import config
from kiosk.demo.settings import demo_config

ROOT = Path(__file__).resolve().parents[2]


def test_every_service_goes_to_the_demo_backend_with_its_own_timeout(monkeypatch):
    monkeypatch.setenv("KIOSK_DEMO_JOURNAL_KEY", "")  # so that the key the demo sets is undone after the test
    cfg = config.load(ROOT / "etc" / "demo.toml")
    demo = demo_config(cfg, "http://127.0.0.1:9")
    assert cfg.services and set(demo.services) == set(cfg.services)
    for name, service in demo.services.items():
        assert service.base_url == "http://127.0.0.1:9" and service.timeout_s == cfg.services[name].timeout_s
    assert demo.devices == cfg.devices and demo.kiosk == cfg.kiosk
    assert demo.journal.key_env == "KIOSK_DEMO_JOURNAL_KEY" and cfg.journal.key_env is None
