"""Fixtures shared by the engine's tests."""
import pytest

from kiosk.flow.bundle import load_bundle
from tests.kiosk_kit import FLOWS


@pytest.fixture(scope="module")
def flows():
    """The shipped flows, compiled once per module: sessions run on them directly, without a controller."""
    bundle = load_bundle(FLOWS)
    assert bundle.ok, bundle.problems
    return bundle.flows
