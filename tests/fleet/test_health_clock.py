"""Health's clock_synchronized: from systemd-timesyncd's marker where it runs, else from the kernel, so the
back office's `clock_unsynchronized` alert works with chrony or ntpd too."""
from __future__ import annotations

import pytest

from kiosk.fleet import health


@pytest.fixture
def no_timesyncd(tmp_path, monkeypatch):
    monkeypatch.setattr(health, "TIMESYNC_MARKER", tmp_path / "absent" / "synchronized")


def test_timesyncds_marker_decides_where_it_runs(tmp_path, monkeypatch):
    monkeypatch.setattr(health, "TIMESYNC_MARKER", tmp_path / "synchronized")
    assert health._ntp_synchronized(adjtimex=lambda: 0) is False  # its directory, no marker: not yet synced
    (tmp_path / "synchronized").touch()
    assert health._ntp_synchronized(adjtimex=lambda: health.TIME_ERROR) is True


def test_without_timesyncd_the_kernel_says(no_timesyncd):
    assert health._ntp_synchronized(adjtimex=lambda: health.TIME_ERROR) is False
    assert health._ntp_synchronized(adjtimex=lambda: 0) is True


def test_a_kernel_that_cannot_be_asked_is_unknown_not_unsynchronised(no_timesyncd):
    def refused():
        raise OSError(1, "adjtimex")
    assert health._ntp_synchronized(adjtimex=refused) is None


def test_the_kernel_answers_this_machine(no_timesyncd):
    state = health._adjtimex()
    assert 0 <= state <= health.TIME_ERROR
    assert health.system_figures()["clock_synchronized"] is (state != health.TIME_ERROR)
