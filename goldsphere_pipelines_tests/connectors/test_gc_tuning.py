"""The collector settings a sync step runs with are the process's own again afterwards."""

from __future__ import annotations

import gc

from goldsphere_pipelines.connectors.gc_tuning import YOUNG_THRESHOLD, catch_up, fewer_collections


def test_a_step_freezes_what_existed_and_restores_the_collector_after() -> None:
    before = gc.get_threshold()
    with fewer_collections():
        assert gc.get_threshold()[0] == max(before[0], YOUNG_THRESHOLD)
        assert gc.get_threshold()[1:] == before[1:]
        assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_the_collector_is_restored_when_the_step_fails() -> None:
    before = gc.get_threshold()
    try:
        with fewer_collections():
            raise ValueError("step failed")
    except ValueError:
        pass
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_garbage_left_in_a_cycle_during_the_step_is_collected_by_the_catch_up() -> None:
    import weakref

    class Node:
        other: object

    with fewer_collections():
        a, b = Node(), Node()
        a.other, b.other = b, a
        gone = weakref.ref(a)
        del a, b
    catch_up()
    assert gone() is None
