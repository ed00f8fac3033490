"""`kiosk run --headless`: a real kiosk with no display, reporting to a real Mosquitto and obeying signed commands.

The same assembly as the windowed kiosk (runtime.build, start, stop), so a
simulated fleet or a soak is production minus the window: it tells a fake
systemd READY, pings its watchdog and says STOPPING. The child's own
log says whether Kivy was ever imported.
"""
import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fleet.mqtt_helpers import MOSQUITTO, Broker, Watcher
from tests.fleet.signed import BackOffice
from wire import topics
from wire.messages import Birth, Health, Result, State

pytestmark = pytest.mark.skipif(not Path(MOSQUITTO).exists(), reason="mosquitto is not installed (make test installs it)")
ROOT = Path(__file__).resolve().parents[2]
KIOSK = "K-HEADLESS"


def configuration(tmp: Path, port: int, office: BackOffice) -> Path:
    path = tmp / "kiosk.toml"
    path.write_text(f'''var_dir = "{tmp / 'var'}"
[kiosk]
id = "{KIOSK}"
[flows]
path = "{ROOT / 'tests' / 'fixtures' / 'bundle'}"
[logging]
format = "json"
level = "info"
[devices.id_reader]
driver = "sim"
[devices.receipt_printer]
driver = "sim"
[services.registry]
base_url = "http://127.0.0.1:9"
[telemetry]
host = "127.0.0.1"
port = {port}
command_key_file = "{office.key_file}"
''')
    return path


def ping(watch: Watcher, office: BackOffice) -> dict:
    """The answer to a signed ping. The kiosk subscribes to `cmd` as it connects and nothing outside it can see
    the broker's acknowledgement, so a ping sent in between is lost: ask again, each time with a new id."""
    for attempt in range(10):
        command_id = f"p{attempt}"
        watch.client.publish(topics.topic(KIOSK, topics.CMD), office.payload(KIOSK, "ping", command_id=command_id),
                             qos=1)
        try:
            return watch.wait_for(lambda t, b: t.endswith("/cmd/resp") and b["id"] == command_id, 3)[1]
        except AssertionError:
            continue
    raise AssertionError("the kiosk never answered a ping")


def test_a_headless_kiosk_reports_obeys_a_signed_ping_and_says_goodbye_on_sigterm(tmp_path):
    broker = Broker(tmp_path).start()
    office = BackOffice(tmp_path)
    watch = Watcher(broker.port, f"kiosk/v1/{KIOSK}/#")
    log = (tmp_path / "kiosk.log").open("w+")
    systemd = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)  # a fake NOTIFY_SOCKET, as systemd would give
    systemd.bind(str(tmp_path / "notify.sock"))
    systemd.settimeout(15)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NOTIFY_SOCKET": str(tmp_path / "notify.sock"),
           "WATCHDOG_USEC": "1000000"}
    env.pop("DISPLAY", None)  # no display to fall back on
    proc = subprocess.Popen([sys.executable, "-m", "kiosk.cli", "--config", str(configuration(tmp_path, broker.port,
                                                                                               office)),
                             "run", "--headless"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        _, birth = watch.wait_for(lambda t, b: t.endswith("/birth"), 60)
        assert Birth.decode(birth).commands_enabled
        watch.wait_seen(lambda t, b: t.endswith("/state") and State.decode(b).state == "in_service")
        _, health = watch.wait_seen(lambda t, b: t.endswith("/health"))
        assert set(Health.decode(health).devices) == {"id_reader", "receipt_printer"}
        reply = ping(watch, office)
        assert Result.decode(reply) == Result(reply["id"], {"pong": True, "state": "in_service"})
        told = [systemd.recv(4096).decode()]
        while told[-1] != "WATCHDOG=1":  # the watchdog pings while the loop is alive
            told.append(systemd.recv(4096).decode())
        assert told[0] == "READY=1\nSTATUS=home: 2 items"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
        watch.wait_for(lambda t, b: t.endswith("/state") and b["state"] == "disconnected")
        systemd.setblocking(False)
        while told[-1] != "STOPPING=1":
            told.append(systemd.recv(4096).decode())
    finally:
        systemd.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        watch.close()
        broker.stop()
    log.seek(0)
    lines = [json.loads(line) for line in log if line.startswith("{")]
    said = {line["event"]: line for line in lines if line["event"] in ("kiosk.ready", "kiosk.stopped")}
    assert set(said) == {"kiosk.ready", "kiosk.stopped"}
    assert not said["kiosk.ready"]["ui_toolkit_loaded"] and not said["kiosk.stopped"]["ui_toolkit_loaded"]
