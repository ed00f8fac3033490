"""CUPS's ippeveprinter as pytest fixtures, for the modules that print on it.

Imported by name into each module that needs them (not a conftest), so the
short fixture name `printer` does not reach every device test.
"""
from __future__ import annotations

import shutil

import pytest

from devices.testing.ipp_server import IPPEVEPRINTER, IppEvePrinter

FAST = {"poll_interval": 0.05, "request_timeout": 2.0}  # polls every 50 ms; real kiosks use the defaults
needs_ippeve = pytest.mark.skipif(not (shutil.which(IPPEVEPRINTER) and shutil.which("dbus-daemon")),
                                  reason="needs ippeveprinter (cups-ipp-utils) and dbus-daemon")


@pytest.fixture(scope="module")
def ippeve():
    with IppEvePrinter() as printer:
        yield printer


@pytest.fixture
def printer(ippeve):
    """A healthy idle printer before and after each test (held jobs released, trays full)."""
    ippeve.reset()
    yield ippeve
    ippeve.reset()
