"""Every configuration problem is one located line and exit 2, from a real `kiosk` process: never a traceback,
never a kiosk that says it is ready with nothing to offer."""
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "bundle"
GOOD = """var_dir = "var"
[kiosk]
id = "K1"
[flows]
path = "flows"
[devices.receipt_printer]
driver = "sim"
[services.registry]
base_url = "http://127.0.0.1:8700"
"""


def kiosk(cfg: Path, *args, env=None):
    return subprocess.run([sys.executable, "-m", "kiosk.cli", "--config", str(cfg), *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})})


@pytest.fixture
def site(tmp_path):
    """A folder with a good configuration and a copy of the fixture bundle; tests break one thing each."""
    shutil.copytree(FIXTURE, tmp_path / "flows")
    (tmp_path / "kiosk.toml").write_text(GOOD)
    return tmp_path


def refused(site: Path, *args, env=None) -> str:
    """The single line `kiosk check-config` (or `run`) printed for the one problem, after the file's name."""
    r = kiosk(site / "kiosk.toml", *(args or ["check-config"]), env=env)
    assert "Traceback" not in r.stderr
    assert r.returncode == 2, r.stdout + r.stderr
    (line,) = r.stderr.splitlines()
    prefix = f"{site / 'kiosk.toml'}: "
    assert line.startswith(prefix)
    return line.removeprefix(prefix)


def edit(site: Path, old: str, new: str) -> None:
    cfg = site / "kiosk.toml"
    assert old in cfg.read_text()
    cfg.write_text(cfg.read_text().replace(old, new))


def test_a_good_configuration_passes(site):
    r = kiosk(site / "kiosk.toml", "check-config")
    assert (r.returncode, r.stderr) == (0, ""), r.stderr
    assert r.stdout == f"{site / 'kiosk.toml'}: ok: 2 flow(s), 1 device(s), 1 service(s)\n"


def test_an_unknown_driver_is_named_with_a_suggestion(site):
    edit(site, 'driver = "sim"', 'driver = "escpso"')
    assert refused(site) == "devices.receipt_printer.driver: unknown driver 'escpso'; did you mean 'escpos'?"


def test_an_unknown_device_role_is_named_with_a_suggestion(site):
    edit(site, "[devices.receipt_printer]", "[devices.recipt_printer]")
    assert refused(site) == ("devices.recipt_printer: unknown device role 'recipt_printer'; "
                             "did you mean 'receipt_printer'?")


@pytest.mark.parametrize("options, known", [
    ('driver = "escpos"\nuri = "tcp://192.0.2.1:9100"\ncolour = "red"', "colour'; known: connect_timeout, "),
    ('driver = "sim"\noutptu_dir = "printed"', "outptu_dir'; known: output_dir"),  # the demo's printouts
])
def test_an_unknown_driver_option_is_named(site, options, known):
    edit(site, 'driver = "sim"', options)
    assert refused(site).startswith(f"devices.receipt_printer: unknown option '{known}")


@pytest.mark.parametrize("options, message", [
    ('driver = "escpos"\nuri = "tcp://192.0.2.1:9100"\nconnect_timeout = "slow"',
     "devices.receipt_printer: option 'connect_timeout' must be a positive number of seconds"),
    ('driver = "sim"\noutput_dir = 5',
     "devices.receipt_printer: driver 'sim' cannot be built with these options (TypeError: "),
])
def test_a_driver_option_of_the_wrong_type_is_named(site, options, message):
    edit(site, 'driver = "sim"', options)
    assert refused(site).startswith(message)


@pytest.mark.parametrize("section, option", [
    ('[services.registry]\nbase_url = "https://registry.example.gov.cn"\nca_file = "{missing}"',
     "services.registry.ca_file"),
    ('[services.registry]\nbase_url = "http://127.0.0.1:8700"\ntoken_file = "{missing}"',
     "services.registry.token_file"),
    ('[telemetry]\nhost = "mqtt.example.gov.cn"\nca_file = "{missing}"', "telemetry.ca_file"),
    ('[telemetry]\nhost = "mqtt.example.gov.cn"\ncert_file = "{missing}"', "telemetry.cert_file"),
    ('[telemetry]\nhost = "mqtt.example.gov.cn"\nkey_file = "{missing}"', "telemetry.key_file"),
])
def test_a_missing_file_is_named(site, section, option):
    missing = site / "secrets" / "missing.pem"
    (site / "kiosk.toml").write_text(GOOD.split("[services.registry]")[0] + section.format(missing=missing) + "\n")
    assert refused(site) == f"{option}: cannot read {missing}: No such file or directory"


def test_a_ca_file_that_holds_no_certificate_is_named(site):
    (site / "ca.pem").write_text("not a certificate\n")
    edit(site, 'base_url = "http://127.0.0.1:8700"', 'base_url = "https://registry.example.gov.cn"\nca_file = "ca.pem"')
    assert refused(site) == f"services.registry.ca_file: {site / 'ca.pem'} holds no PEM certificate"


def test_a_missing_token_environment_variable_is_named(site):
    edit(site, 'base_url = "http://127.0.0.1:8700"', 'base_url = "http://127.0.0.1:8700"\ntoken_env = "KIOSK_T_UNSET"')
    assert refused(site) == "services.registry.token_env: environment variable KIOSK_T_UNSET is not set"
    r = kiosk(site / "kiosk.toml", "check-config", env={"KIOSK_T_UNSET": "s3cret"})
    assert r.returncode == 0 and "s3cret" not in r.stdout + r.stderr


def test_a_token_file_every_user_can_read_is_named(site):
    token = site / "registry.token"
    token.write_text("s3cret\n")
    token.chmod(0o644)
    edit(site, "[services.registry]", '[services.registry]\ntoken_file = "registry.token"')
    assert refused(site) == (f"services.registry.token_file: {token} can be read by every user (mode 0644); "
                             "make it 0600 or 0640")
    token.chmod(0o640)
    r = kiosk(site / "kiosk.toml", "check-config")
    assert r.returncode == 0 and "s3cret" not in r.stdout + r.stderr


def test_an_empty_token_file_is_named(site):
    (site / "registry.token").write_text("\n")
    edit(site, "[services.registry]", '[services.registry]\ntoken_file = "registry.token"')
    assert refused(site) == f"services.registry.token_file: {site / 'registry.token'} is empty"


@pytest.mark.parametrize("where, message", [
    ("a-file", "var_dir: {var} is not a directory"),
    ("a-file/var", "var_dir: cannot create or write {var}: Not a directory"),
])
def test_a_var_dir_that_cannot_be_created_or_written_is_named(site, where, message):
    (site / "a-file").write_text("")
    edit(site, 'var_dir = "var"', f'var_dir = "{where}"')
    assert refused(site) == message.format(var=site / where)


def test_a_read_only_var_dir_is_named(site):
    if os.geteuid() == 0:
        pytest.skip("root writes into read-only folders")
    (site / "var").mkdir(mode=0o500)
    assert refused(site) == f"var_dir: cannot create or write {site / 'var'}: Permission denied"


def test_a_missing_flow_bundle_is_named(site):
    shutil.rmtree(site / "flows")
    assert refused(site) == f"flows.path: {site / 'flows'} does not exist"


def test_an_empty_flow_bundle_is_named(site):
    shutil.rmtree(site / "flows")
    (site / "flows").mkdir()
    assert refused(site) == f"flows.path: {site / 'flows'} holds no flow"


def test_a_bundle_whose_every_flow_fails_is_named(site):
    for flow in (site / "flows").rglob("flow.yaml"):
        flow.write_text(flow.read_text().replace("steps:", "stepz:", 1))
    line = refused(site)
    assert line.startswith(f"flows.path: no flow in {site / 'flows'} loads (")
    assert f"`kiosk flows check {site / 'flows'}` lists them all)" in line


def test_problems_are_all_reported_at_once_one_line_each(site):
    edit(site, 'driver = "sim"', 'driver = "escpso"')
    shutil.rmtree(site / "flows")
    r = kiosk(site / "kiosk.toml", "check-config")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert [line.split(": ")[1] for line in r.stderr.splitlines()] == ["devices.receipt_printer.driver", "flows.path"]


def test_run_stops_before_anything_opens_and_never_says_ready(site, tmp_path):
    """`kiosk run` itself, under a fake systemd: the problem line, exit 2, and no READY=1."""
    shutil.rmtree(site / "flows")
    (site / "flows").mkdir()
    sock_path = tmp_path / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(sock_path))
    sock.setblocking(False)
    try:
        line = refused(site, "run", "--windowed", env={"NOTIFY_SOCKET": str(sock_path), "DISPLAY": ""})
        with pytest.raises(BlockingIOError):
            sock.recv(4096)
    finally:
        sock.close()
    assert line == f"flows.path: {site / 'flows'} holds no flow"
    assert not (site / "var" / "journal.db").exists()  # nothing of the runtime started


def test_the_technicians_scan_command_names_a_bad_driver_too(site):
    edit(site, "[devices.receipt_printer]\ndriver = \"sim\"", '[devices.code_scanner]\ndriver = "evdve"')
    assert refused(site, "devices", "scan") == ("devices.code_scanner.driver: unknown driver 'evdve'; "
                                                "did you mean 'evdev'?")


def test_the_demo_reports_a_broken_configuration_like_run(site):
    """`kiosk demo` starts the demo backend first, then the same checks: one line, no window, no traceback."""
    edit(site, 'path = "flows"', 'path = "no-such-flows"')
    line = refused(site, "demo", env={"DISPLAY": ":424242"})  # a display is named but never opened
    assert line == f"flows.path: {site / 'no-such-flows'} does not exist"


def test_the_runtime_goes_on_with_the_bundle_the_checks_loaded(site, monkeypatch):
    """Loading the flows twice at start cost 70 ms of the kiosk's start (bench/bench_ui.py)."""
    from kiosk import config, runtime, startup
    from kiosk.flow import bundle as bundle_module

    loads = []
    real = bundle_module.load_bundle

    def counted(root):
        loads.append(root)
        return real(root)

    monkeypatch.setattr(startup, "load_bundle", counted)
    monkeypatch.setattr("kiosk.flow.registry.load_bundle", counted)
    cfg = config.load(site / "kiosk.toml")
    k = runtime.build(cfg)
    try:
        assert len(loads) == 1
        assert sorted(k.controller.registry.flows) == sorted(real(site / "flows").flows)
    finally:
        k.controller.journal.close()
