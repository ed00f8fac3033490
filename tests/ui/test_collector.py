"""Full garbage collections run while the screen is left alone, not between a citizen's taps."""
import gc

import pytest

from kiosk.ui.collector import Collector


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def collector():
    clock = Clock()
    c = Collector(idle_s=2.0, clock=clock)
    c.start()
    yield c, clock
    c.stop()


def leave_garbage():
    for _ in range(2000):
        a = {}
        a["self"] = a
    gc.collect(1)  # the young collections ran; the survivors wait for a full one


def test_start_up_objects_are_frozen_out_of_collection(collector):
    assert gc.get_freeze_count() > 0


def test_no_collection_of_ours_while_the_screen_is_being_tapped(collector):
    c, clock = collector
    for _ in range(30):  # a tap every second for half a minute
        leave_garbage()
        clock.now += 1.0
        c.touched()
        c.tick()
    assert c.idle_collections == 0


def test_collects_once_the_screen_is_left_alone_and_only_when_there_is_something_new(collector):
    c, clock = collector
    leave_garbage()
    c.touched()
    clock.now += 2.5
    c.tick()
    assert c.idle_collections == 1
    clock.now += 1.0
    c.tick()  # still idle, but nothing happened since
    assert c.idle_collections == 1
