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


def test_a_replaced_screen_is_collected_once_after_the_new_one_is_drawn(collector):
    c, _clock = collector
    assert not c.drawn()  # frames of the same screen (a countdown, a video) leave nothing to collect
    c.screen_replaced()
    assert c.drawn()
    assert not c.drawn()  # once per replaced screen
    leave_garbage()
    assert gc.get_count()[2] > 0 or gc.get_count()[1] > 0
    c.collect_replaced()
    assert c.replaced_collections == 1
    assert gc.get_count() == (gc.get_count()[0], 0, 0)  # a full collection ran: nothing waits in the older generations


def test_the_first_screen_change_freezes_start_up_when_it_comes_before_the_first_tick():
    c = Collector(clock=Clock())
    try:
        c.collect_replaced()
        assert c.frozen and gc.get_freeze_count() > 0
        assert c.replaced_collections == 0
    finally:
        c.stop()


def test_a_collection_still_scheduled_when_the_window_closes_does_not_freeze_again():
    c = Collector(clock=Clock())
    c.start()
    c.stop()
    before = gc.get_freeze_count()
    c.collect_replaced()
    c.tick()
    assert not c.frozen and gc.get_freeze_count() == before
