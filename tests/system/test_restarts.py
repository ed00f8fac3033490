"""Repeated failures lead to the out-of-service screen, not a restart loop."""
from kiosk.system.restarts import RestartCounter


class Clock:
    t = 1_000_000.0

    def __call__(self):
        return self.t


def test_five_quick_starts_mean_out_of_service(tmp_path):
    clock = Clock()
    rc = RestartCounter(tmp_path / "r.json", limit=5, window_s=600, clock=clock)
    for _ in range(4):
        rc.record_start()
        clock.t += 30
    assert not rc.should_go_out_of_service()
    rc.record_start()
    assert rc.should_go_out_of_service()
    rc.record_healthy()
    assert not rc.should_go_out_of_service()


def test_old_starts_and_a_corrupt_file_do_not_count(tmp_path):
    clock = Clock()
    rc = RestartCounter(tmp_path / "r.json", limit=2, window_s=60, clock=clock)
    rc.record_start()
    clock.t += 120
    rc.record_start()
    assert not rc.should_go_out_of_service()
    (tmp_path / "r.json").write_text("{not json")
    assert not rc.should_go_out_of_service()
    rc.record_start()  # recovers by starting a fresh list
    assert not rc.should_go_out_of_service()
