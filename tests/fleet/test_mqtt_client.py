"""The kiosk's MQTT client comes without dnspython (13 MiB for DNS SRV lookups it never makes), yet leaves it
importable for the help panel's video calls."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_the_fleet_link_loads_paho_but_not_dnspython_and_dnspython_still_imports_afterwards():
    r = run("import sys, kiosk.fleet.reporter as r; "
            "assert r.mqtt.Client is not None; "
            "assert not [m for m in sys.modules if m == 'dns' or m.startswith('dns.')], 'dnspython loaded'; "
            "import dns.resolver; print('resolver', dns.resolver.Resolver.__name__)")
    assert r.returncode == 0, r.stderr
    assert "resolver Resolver" in r.stdout


def test_where_dnspython_was_loaded_first_it_is_left_alone():
    r = run("import dns.resolver, sys; import kiosk.fleet.mqtt_client as c; "
            "assert sys.modules['dns'] is not None and c.mqtt.HAVE_DNS; print('ok')")
    assert r.returncode == 0, r.stderr
