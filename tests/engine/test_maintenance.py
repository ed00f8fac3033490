"""Technician access: gesture, hashed PIN with lockout, and nothing without a configured PIN."""
import json
import os
import stat

import pytest

from kiosk import config
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


# --- the lockout survives restarts (must-show 7) ------------------------------------------------------------------

def test_a_restart_does_not_hand_out_fresh_attempts(tmp_path):
    state = tmp_path / "var" / "maintenance.json"
    clock = Clock()
    gate = Gate(hash_pin("1234"), clock, state=state)
    assert not any(gate.try_pin("0000") for _ in range(3))
    restarted = Gate(hash_pin("1234"), Clock(), state=state)  # a new process: its monotonic clock starts over
    assert not restarted.try_pin("1234")  # still locked, even with the right PIN
    assert stat.S_IMODE(os.stat(state).st_mode) == 0o600


def test_failed_attempts_count_across_a_restart(tmp_path):
    state = tmp_path / "maintenance.json"
    gate = Gate(hash_pin("1234"), Clock(), state=state)
    assert not gate.try_pin("0000") and not gate.try_pin("1111")
    restarted = Gate(hash_pin("1234"), Clock(), state=state)
    assert not restarted.try_pin("2222")  # the third wrong PIN in all: locked now
    assert not restarted.try_pin("1234")


def test_the_lockout_ends_on_the_new_process_own_clock_whatever_the_wall_clock_does(tmp_path):
    state = tmp_path / "maintenance.json"
    first = Clock()
    gate = Gate(hash_pin("1234"), first, state=state)
    assert not any(gate.try_pin("0000") for _ in range(3))
    first.t += 100
    assert not gate.try_pin("1234")  # an attempt during the lockout saves what is left: 200 s
    clock = Clock()
    restarted = Gate(hash_pin("1234"), clock, state=state)
    clock.t += LOCKOUT_S - 100 - 1
    assert not restarted.try_pin("1234")
    clock.t += 2
    assert restarted.try_pin("1234")
    # and the wall clock is not part of it at all: nothing but the remaining seconds is stored
    assert set(json.loads(state.read_text())) == {"failures", "locked_for_s"}


@pytest.mark.parametrize("content", [b"{not json", b'{"failures": 0, "locked_for_s": NaN}', b"[]",
                                     b'{"failures": 0, "locked_for_s": "0"}'])
def test_a_tampered_or_corrupt_state_file_locks_the_pad(tmp_path, content):
    state = tmp_path / "maintenance.json"
    state.write_bytes(content)
    clock = Clock()
    gate = Gate(hash_pin("1234"), clock, state=state)
    assert not gate.try_pin("1234")
    clock.t += LOCKOUT_S + 1
    assert gate.try_pin("1234")


def test_a_forged_huge_lockout_is_clamped(tmp_path):
    state = tmp_path / "maintenance.json"
    state.write_text(json.dumps({"failures": 99, "locked_for_s": 1e12}))
    clock = Clock()
    gate = Gate(hash_pin("1234"), clock, state=state)
    clock.t += LOCKOUT_S + 1
    assert gate.try_pin("1234")


# --- weak hashes are refused at load ------------------------------------------------------------------------------

def test_a_one_iteration_hash_is_a_config_error_naming_the_option(tmp_path):
    f = tmp_path / "kiosk.toml"
    f.write_text(f'[kiosk]\nid = "K1"\n[maintenance]\npin_hash = "{hash_pin("246810", iterations=1)}"\n')
    with pytest.raises(config.ConfigError) as exc:
        config.load(f)
    assert "maintenance.pin_hash" in str(exc.value) and "100,000" in str(exc.value)
    assert len(str(exc.value).splitlines()) == 1


def test_a_hash_from_hash_pin_is_accepted(tmp_path):
    f = tmp_path / "kiosk.toml"
    stored = hash_pin("246810")
    f.write_text(f'[kiosk]\nid = "K1"\n[maintenance]\npin_hash = "{stored}"\n')
    assert config.load(f).maintenance.pin_hash == stored
