"""Fleet reporting over TLS with a per-kiosk client certificate, against a real Mosquitto.

The broker's TLS listener requires a client certificate signed by the fleet
CA, takes the certificate's CN as the username, and lets each kiosk write
only under its own `kiosk/v1/<CN>/`. A second, plain listener on 127.0.0.1
is the test's own window onto the broker.
"""
import asyncio
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from kiosk.fleet.reporter import MqttReporter
from kiosk.fleet.outbox import Outbox
from tests.fleet.mqtt_helpers import MOSQUITTO, Broker, Watcher, free_port
from wire.messages import DeviceChange

pytestmark = pytest.mark.skipif(not (Path(MOSQUITTO).exists() and shutil.which("openssl")),
                                reason="mosquitto and openssl are needed (make test installs mosquitto)")


def issue(d: Path, name: str, subject: str, ca: str | None = None, san: str | None = None) -> None:
    """An EC key and certificate for `subject`, self-signed (the CA) or signed by `ca`."""
    key, crt = d / f"{name}.key", d / f"{name}.crt"
    if ca is None:
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                        "-nodes", "-keyout", key, "-out", crt, "-subj", subject, "-days", "2"],
                       check=True, capture_output=True)
        return
    csr, ext = d / f"{name}.csr", d / f"{name}.ext"
    ext.write_text(f"subjectAltName={san}\n" if san else "basicConstraints=CA:FALSE\n")
    subprocess.run(["openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", key, "-out", csr, "-subj", subject], check=True, capture_output=True)
    subprocess.run(["openssl", "x509", "-req", "-in", csr, "-CA", d / f"{ca}.crt", "-CAkey", d / f"{ca}.key",
                    "-CAcreateserial", "-out", crt, "-days", "2", "-extfile", ext], check=True, capture_output=True)


@pytest.fixture
def tls_broker(tmp_path):
    issue(tmp_path, "ca", "/CN=fleet test CA")
    issue(tmp_path, "server", "/CN=127.0.0.1", ca="ca", san="IP:127.0.0.1")
    issue(tmp_path, "k7", "/CN=K7", ca="ca")
    (tmp_path / "acl").write_text("pattern readwrite kiosk/v1/%u/#\n")
    b = Broker(tmp_path)
    b.tls_port = free_port()
    # Run as root, mosquitto would switch to its own user, which cannot read the test's private files.
    user = "user root\n" if os.geteuid() == 0 else ""
    b.conf.write_text(
        f"{user}per_listener_settings true\npersistence false\nlog_dest none\n"
        f"listener {b.port} 127.0.0.1\nallow_anonymous true\n"
        f"listener {b.tls_port} 127.0.0.1\ncafile {tmp_path}/ca.crt\ncertfile {tmp_path}/server.crt\n"
        f"keyfile {tmp_path}/server.key\nrequire_certificate true\nuse_identity_as_username true\n"
        f"acl_file {tmp_path}/acl\n")
    b.start()
    yield b
    b.stop()


async def test_a_kiosk_reports_over_tls_with_its_own_certificate(tls_broker, tmp_path):
    d = tmp_path
    watch = Watcher(tls_broker.port, "kiosk/v1/#")
    r = MqttReporter("K7", "127.0.0.1", tls_broker.tls_port, Outbox(d / "o.db"), d, ca_file=str(d / "ca.crt"),
                     cert_file=str(d / "k7.crt"), key_file=str(d / "k7.key"))
    try:
        await r.start()
        await asyncio.wait_for(r.connected.wait(), 15)
        _, birth = await asyncio.to_thread(watch.wait_for, lambda t, b: t == "kiosk/v1/K7/birth")
        assert birth["session_seq"] == 1
        r.event(DeviceChange(device="receipt_printer", state="degraded", reasons=["paper_low"], changes={}))
        _, event = await asyncio.to_thread(watch.wait_for, lambda t, b: t == "kiosk/v1/K7/events")
        assert event["kind"] == "device" and event["reasons"] == ["paper_low"]
    finally:
        await r.stop()
        watch.close()


async def test_a_kiosk_cannot_write_under_another_kiosks_id(tls_broker, tmp_path):
    d = tmp_path
    watch = Watcher(tls_broker.port, "kiosk/v1/#")
    # K7's certificate, configured with another kiosk's id: the broker's ACL drops all of it.
    impostor = MqttReporter("K8", "127.0.0.1", tls_broker.tls_port, Outbox(d / "i.db"), d,
                            ca_file=str(d / "ca.crt"), cert_file=str(d / "k7.crt"), key_file=str(d / "k7.key"))
    try:
        await impostor.start()
        await asyncio.wait_for(impostor.connected.wait(), 15)
        impostor.event(DeviceChange(device="id_reader", state="fault", reasons=[], changes={}))
        for _ in range(200):  # until the broker acknowledged the event (it acknowledges denied ones too)
            if impostor.outbox.depth() == 0:
                break
            await asyncio.sleep(0.05)
        assert impostor.outbox.depth() == 0
        # One connection's messages are handled in order: once this marker (allowed: it is under the
        # certificate's own id) reaches the watcher, everything the impostor sent before it was handled.
        impostor.client.publish("kiosk/v1/K7/marker", b"{}", qos=1)
        seen = []
        await asyncio.to_thread(watch.wait_for, lambda t, b: seen.append(t) or t == "kiosk/v1/K7/marker")
        assert [t for t in seen if t.startswith("kiosk/v1/K8/")] == []
    finally:
        await impostor.stop()
        watch.close()
