"""Technician access: gesture, hashed PIN with lockout, and nothing without a configured PIN."""
from kiosk.maintenance import LOCKOUT_S, Gate, hash_pin, verify_pin


class Clock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t


def test_pin_is_stored_hashed_and_verified():
    stored = hash_pin("246810")
    assert "246810" not in stored
    assert verify_pin("246810", stored) and not verify_pin("246811", stored)
    assert not verify_pin("246810", "garbage")


def test_five_quick_taps_open_the_pad_slow_taps_do_not():
    clock = Clock()
    gate = Gate(hash_pin("1234"), clock)
    assert not any(gate.corner_tap() for _ in range(4))
    assert gate.corner_tap()
    for _ in range(5):
        clock.t += 1.0
        assert not gate.corner_tap()  # spread over 5 s: not the gesture


def test_three_wrong_pins_lock_the_pad():
    clock = Clock()
    gate = Gate(hash_pin("1234"), clock)
    assert not any(gate.try_pin("0000") for _ in range(3))
    assert not gate.try_pin("1234")  # locked, even with the right PIN
    clock.t += LOCKOUT_S + 1
    assert gate.try_pin("1234")


def test_without_a_configured_pin_there_is_no_way_in():
    gate = Gate(None)
    assert not any(gate.corner_tap() for _ in range(10))
    assert not gate.try_pin("")
