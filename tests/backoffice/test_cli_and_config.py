"""The `backoffice` command's configuration and schema, as an operator meets them."""
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from backoffice import config

ROOT = Path(__file__).resolve().parents[2]


def run(*args, cwd):
    return subprocess.run([sys.executable, "-m", "backoffice.cli", *args], cwd=cwd, capture_output=True, text=True,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}, timeout=60)


def test_db_upgrade_creates_the_schema_on_a_fresh_sqlite_file_in_wal_mode(tmp_path):
    out = run("db", "upgrade", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    db = sqlite3.connect(tmp_path / "backoffice.db")
    tables = {r[0] for r in db.execute("select name from sqlite_master where type='table'")}
    assert {"kiosks", "events", "alembic_version"} <= tables
    assert db.execute("pragma journal_mode").fetchone()[0] == "wal"
    assert run("db", "upgrade", cwd=tmp_path).returncode == 0  # again: a no-op


def test_a_relative_database_is_relative_to_the_configuration_file(tmp_path):
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "b.toml").write_text('[database]\nurl = "sqlite:///fleet.db"\n')
    assert run("db", "upgrade", "--config", "etc/b.toml", cwd=tmp_path).returncode == 0
    assert (tmp_path / "etc" / "fleet.db").exists()


def test_an_unknown_option_is_one_located_line_naming_it(tmp_path):
    (tmp_path / "b.toml").write_text("[broker]\nhots = \"mqtt.example\"\n")
    out = run("serve", "--config", "b.toml", cwd=tmp_path)
    assert out.returncode == 2
    assert out.stderr.strip() == "b.toml: broker.hots: unknown option (did you mean 'host'?)"


def test_a_bad_value_names_the_option(tmp_path):
    with pytest.raises(config.ConfigError, match=r"^x.toml: server.port: Input should be less than or equal"):
        config.parse({"server": {"port": 70000}}, "x.toml", base=tmp_path)


def test_the_example_configuration_is_valid_and_documents_every_section():
    example = ROOT / "etc" / "backoffice.example.toml"
    cfg = config.load(example)
    assert cfg.server.host == "127.0.0.1"
    text = example.read_text()
    assert all(f"[{name}]" in text for name in config.Config.model_fields if name != "var_dir")


def test_serve_with_no_configuration_answers_and_stops_cleanly_on_sigterm(tmp_path):
    """What `backoffice serve` in an empty directory does: its own broker and database, the API on loopback,
    and on SIGTERM (systemctl stop) everything it started is gone."""
    import json
    import re
    import signal
    import urllib.request

    token = run("tokens", "add", "monitor", "--role", "viewer", cwd=tmp_path).stdout.strip()
    proc = subprocess.Popen([sys.executable, "-m", "backoffice.cli", "serve", "--port", "0"], cwd=tmp_path,
                            env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin:/usr/sbin"},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        url = None
        for line in proc.stdout:  # ends when the process does, so a crash cannot hang the test
            if m := re.search(r"url=(http://127\.0\.0\.1:\d+/)", line):
                url = m.group(1)
                break
        assert url, "serve never said where it listens"
        request = urllib.request.Request(url + "api/v1/kiosks", headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=10) as r:
            assert json.load(r)["kiosks"] == []
        children = _children(proc.pid)
        assert [Path(f"/proc/{c}/comm").read_text().strip() for c in children] == ["mosquitto"]
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(20) == 0
        assert not any(Path(f"/proc/{c}").exists() for c in children)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def _children(pid: int) -> list[int]:
    """Children of every thread: the broker is started from a worker thread."""
    return [int(c) for task in Path(f"/proc/{pid}/task").iterdir() for c in (task / "children").read_text().split()]


def test_alert_options_are_checked_and_named(tmp_path):
    with pytest.raises(config.ConfigError, match=r"alerts.offline_minute: unknown option \(did you mean 'offline_minutes'"):
        config.parse({"alerts": {"offline_minute": 5}}, "x.toml", base=tmp_path)
    with pytest.raises(config.ConfigError, match=r"routes.市民中心: no webhook or mailbox named 'ops'"):
        config.parse({"alerts": {"routes": {"市民中心": ["ops"]}}}, "x.toml", base=tmp_path)
    with pytest.raises(config.ConfigError, match=r"disabled_rules: unknown rule 'paper'"):
        config.parse({"alerts": {"disabled_rules": ["paper"]}}, "x.toml", base=tmp_path)
    with pytest.raises(config.ConfigError, match=r"stats.timezone: .*unknown time zone 'Mars/Olympus'"):
        config.parse({"stats": {"timezone": "Mars/Olympus"}}, "x.toml", base=tmp_path)


def test_a_secret_the_configuration_names_but_the_environment_lacks_stops_serve_with_its_name(tmp_path):
    (tmp_path / "b.toml").write_text('[alerts.webhooks.ops]\nurl = "http://127.0.0.1:9/hook"\n'
                                     'secret_env = "NO_SUCH_HOOK_KEY"\n')
    out = subprocess.run([sys.executable, "-m", "backoffice.cli", "--config", str(tmp_path / "b.toml"), "serve",
                          "--port", "0"], cwd=tmp_path, capture_output=True, text=True, timeout=60,
                         env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin:/usr/sbin"})
    assert out.returncode == 1
    assert out.stderr.strip().endswith(
        "alerts.webhooks.ops.secret_env: environment variable NO_SUCH_HOOK_KEY is not set")
def test_the_nats_broker_needs_its_servers_said_in_one_located_line(tmp_path):
    with pytest.raises(config.ConfigError, match=r"^backoffice.toml: broker: .*needs servers"):
        config.parse({"broker": {"kind": "nats"}}, "backoffice.toml", base=tmp_path)
    with pytest.raises(config.ConfigError, match=r"'http://n1:4222' is not a nats:// or tls:// URL"):
        config.parse({"broker": {"kind": "nats", "servers": ["http://n1:4222"]}}, "backoffice.toml", base=tmp_path)
