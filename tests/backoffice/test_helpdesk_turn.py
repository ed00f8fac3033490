"""The TURN credentials the desk hands out are accepted by a real coturn (use-auth-secret), and only while valid.

coturn (Debian `coturn`) runs on loopback with a shared secret; its own client, `turnutils_uclient`,
allocates a relay with the credentials `ice_servers` made for a call. A wrong password and an expired
credential are refused.
"""
import os
import shutil
import subprocess
import time

import pytest

from backoffice.config import TurnConfig
from backoffice.helpdesk.secrets import ice_servers
from tests.fleet.mqtt_helpers import free_port

SECRET = "turn-shared-secret-for-tests"
pytestmark = pytest.mark.skipif(not (shutil.which("turnserver") and shutil.which("turnutils_uclient")),
                                reason="coturn is not installed: `make test` installs Debian's coturn package")


@pytest.fixture
def coturn(tmp_path):
    port = free_port()
    relay = 20000 + (port % 20000)  # a relay port range of its own, away from the listener
    proc = subprocess.Popen(
        ["turnserver", "-n", "--listening-ip=127.0.0.1", f"--listening-port={port}", "--relay-ip=127.0.0.1",
         "--use-auth-secret", f"--static-auth-secret={SECRET}", "--realm=kiosk.test", "--no-tls", "--no-dtls",
         "--no-cli", "--allow-loopback-peers", f"--min-port={relay}", f"--max-port={relay + 50}",
         "--log-file=stdout", "--simple-log"],
        cwd=tmp_path, stdout=(tmp_path / "turn.log").open("wb"), stderr=subprocess.STDOUT)
    yield port
    proc.terminate()
    proc.wait(10)


def allocate(port: int, username: str, password: str) -> bool:
    out = subprocess.run(["turnutils_uclient", "-y", "-n", "1", "-m", "1", "-l", "100", "-u", username,
                          "-w", password, "-p", str(port), "127.0.0.1"], capture_output=True, timeout=20)
    return out.returncode == 0


def test_coturn_accepts_the_calls_credentials_and_refuses_wrong_or_expired_ones(coturn, monkeypatch):
    monkeypatch.setenv("TURN_SECRET", SECRET)
    cfg = TurnConfig(urls=(f"turn:127.0.0.1:{coturn}?transport=udp",), secret_env="TURN_SECRET", ttl_s=600)
    (server,) = ice_servers(cfg, "c0ffee")
    assert server.urls == list(cfg.urls)
    deadline = time.monotonic() + 15
    while not allocate(coturn, server.username, server.credential):  # coturn may still be starting
        assert time.monotonic() < deadline, "coturn refused the desk's credentials"
    assert not allocate(coturn, server.username, server.credential[:-4] + "AAA=")
    (expired,) = ice_servers(cfg, "c0ffee", now=time.time() - 3600)
    assert not allocate(coturn, expired.username, expired.credential)
    assert os.environ["TURN_SECRET"] not in server.credential + server.username
