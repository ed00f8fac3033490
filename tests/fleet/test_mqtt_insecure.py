"""A broker password never crosses the network in clear unless the configuration says so, visibly."""
import asyncio
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from kiosk import config
from kiosk.controller import KioskController
from kiosk.engine.clock import VirtualClock
from kiosk.flow.registry import FlowRegistry
from kiosk.fleet.link import start_reporting
from kiosk.scenario.twins import open_devices
from tests.fleet.mqtt_helpers import MOSQUITTO, Broker, Watcher

FLOWS = Path(__file__).resolve().parents[2] / "flows"


def telemetry(**kw) -> dict:
    return {"kiosk": {"id": "K4"}, "flows": {"path": str(FLOWS)}, "telemetry": {"host": "127.0.0.1", **kw}}


@pytest.mark.parametrize("creds", [{"username": "kiosk"}, {"username": "kiosk", "password_env": "MQTT_PW"}])
def test_a_password_without_tls_is_refused_at_load_naming_the_option(creds):
    with pytest.raises(config.ConfigError) as err:
        config.parse(telemetry(**creds))
    (line,) = str(err.value).splitlines()
    assert line.startswith("kiosk.toml: telemetry:") and "insecure = true" in line and "ca_file" in line


def test_tls_or_an_explicit_insecure_is_accepted():
    assert config.parse(telemetry(username="kiosk", ca_file="/etc/kiosk/ca.pem")).telemetry.username == "kiosk"
    assert config.parse(telemetry(username="kiosk", insecure=True)).telemetry.insecure


@pytest.mark.skipif(not Path(MOSQUITTO).exists(), reason="mosquitto is not installed (make test installs it)")
async def test_an_insecure_link_is_reported_in_health_and_warned_once(tmp_path, monkeypatch):
    broker = Broker(tmp_path).start()
    watch = Watcher(broker.port, "kiosk/v1/K4/health")
    monkeypatch.setenv("MQTT_PW", "lab-password")
    cfg = config.parse(dict(telemetry(port=broker.port, username="kiosk", password_env="MQTT_PW", insecure=True),
                            var_dir=str(tmp_path / "var")))
    flows = FlowRegistry(FLOWS)
    flows.reload()
    c = KioskController(flows, await open_devices(), None, VirtualClock(), kiosk={"id": "K4"})
    reporter = None
    try:
        with capture_logs() as logs:
            reporter = await start_reporting(cfg, flows, c)
            await asyncio.wait_for(reporter.connected.wait(), 10)
            _, health = await asyncio.to_thread(watch.wait_for, lambda t, b: True)
            c.out_of_service("test")  # more health on change: still one warning
            await asyncio.to_thread(watch.wait_for, lambda t, b: b["state"] == "out_of_service")
        assert health["telemetry"] == {"tls": False, "insecure": True}
        assert [e["event"] for e in logs].count("mqtt.insecure") == 1
        assert "lab-password" not in str(logs) and "lab-password" not in str(health)
    finally:
        if reporter is not None:
            await reporter.stop()
        watch.close()
        broker.stop()
