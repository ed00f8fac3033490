"""sd_notify and the heartbeat watchdog against a fake NOTIFY_SOCKET listener."""
import socket
import time

import pytest
import structlog

from kiosk.system.notify import Notifier
from kiosk.system.watchdog import Watchdog


@pytest.fixture
def listener(tmp_path, monkeypatch):
    path = tmp_path / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    monkeypatch.setenv("NOTIFY_SOCKET", str(path))
    monkeypatch.setenv("WATCHDOG_USEC", "200000")  # pings every 0.1 s
    monkeypatch.delenv("WATCHDOG_PID", raising=False)
    monkeypatch.delenv("KIOSK_TEST_FREEZE", raising=False)

    def receive(timeout: float = 3.0):
        sock.settimeout(timeout)
        try:
            return sock.recv(4096).decode()
        except socket.timeout:
            return None

    def drain():
        while receive(0.001) is not None:
            pass

    receive.drain = drain
    yield receive
    sock.close()


def test_ready_status_reloading_stopping(listener):
    n = Notifier()
    assert n.ready("in_service: 7 items")
    assert listener() == "READY=1\nSTATUS=in_service: 7 items"
    n.reloading()
    assert listener().startswith("RELOADING=1\nMONOTONIC_USEC=")
    n.stopping()
    assert listener() == "STOPPING=1"


def test_abstract_namespace_sockets(monkeypatch):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind("\0kiosk-test-notify")
    try:
        assert Notifier("@kiosk-test-notify").status("hello")
        sock.settimeout(2)
        assert sock.recv(100) == b"STATUS=hello"
    finally:
        sock.close()


def test_outside_systemd_nothing_happens(monkeypatch):
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    assert Notifier().ready() is False
    assert Notifier("/nonexistent/socket").ready() is False  # fails quietly, never raises


def test_pings_flow_while_fresh_and_stop_when_a_source_freezes(listener):
    wd = Watchdog()
    ui = wd.register("ui-clock", max_age_s=0.3)
    loop = wd.register("asyncio-loop", max_age_s=0.3)
    with structlog.testing.capture_logs() as logs:
        wd.start()
        try:
            deadline = time.monotonic() + 3
            while wd.pings < 3 and time.monotonic() < deadline:
                ui.beat()
                loop.beat()
                listener(0.2)
            assert wd.pings >= 3
            wd.freeze_for_test("ui-clock")  # the test-only hook: the UI thread "hangs"
            while not any(e["event"] == "watchdog.stale" for e in logs) and time.monotonic() < deadline + 3:
                loop.beat()
                listener(0.1)
            listener.drain()
            pings = wd.pings
            for _ in range(5):
                loop.beat()
                assert listener(0.15) in (None, "STATUS=unresponsive: ui-clock")
            assert wd.pings == pings  # no WATCHDOG=1 while the UI is frozen
        finally:
            wd.stop()
    stale = next(e for e in logs if e["event"] == "watchdog.stale")
    assert stale["sources"] == ["ui-clock"]
    assert any("in " in line for lines in stale["stacks"].values() for line in lines)  # file:line in function


def test_frozen_from_the_environment_and_pid_mismatch(listener, monkeypatch):
    monkeypatch.setenv("KIOSK_TEST_FREEZE", "ui-clock")
    wd = Watchdog()
    ui = wd.register("ui-clock", 0.3)
    ui.beat()
    assert ui.frozen
    monkeypatch.setenv("WATCHDOG_PID", "1")
    assert not Watchdog().enabled


def test_fault_hooks_are_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("KIOSK_TEST_FREEZE", "ui-thread@2.5,ui-clock")
    wd = Watchdog(Notifier())
    assert wd.hang_ui_after_s == 2.5
    assert wd.register("ui-clock", 10).frozen and not wd.register("asyncio-loop", 10).frozen
    monkeypatch.delenv("KIOSK_TEST_FREEZE")
    assert Watchdog(Notifier()).hang_ui_after_s is None
