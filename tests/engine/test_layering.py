"""The engine knows nothing of Kivy: a headless kiosk, a test or the help desk can drive it."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_engine_and_scenarios_import_no_ui_toolkit():
    code = ("import sys, kiosk.engine.session, kiosk.engine.runner, kiosk.controller, kiosk.scenario.runner, "
            "kiosk.flow.bundle, kiosk.backend.http; "
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('kivy', 'kiosk') and "
            "(m.startswith('kivy') or m.startswith('kiosk.ui'))); print(bad)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_importing_devices_opens_nothing():
    code = "import devices.registry, devices.sim, devices.escpos_printer, devices.idcard_serial; print('ok')"
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", code], cwd=ROOT, capture_output=True, text=True,
                         check=True, timeout=60)
    assert out.stdout.strip() == "ok"
