"""The writer threads between extraction or mapping and PostgreSQL."""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa

from goldsphere_pipelines.connectors.write_behind import WriteBehind
from goldsphere_pipelines.storage.engine import batch_transaction, single_statements


def test_results_arrive_in_submission_order_and_each_writer_keeps_its_order() -> None:
    results: list[int] = []
    started: dict[int, list[int]] = {}

    def write(n: int) -> int:
        started.setdefault(threading.get_ident(), []).append(n)
        # Later writes finish first, so an out-of-order delivery would show.
        time.sleep(0.002 * (10 - n))
        return n

    with WriteBehind[int](results.append, writers=2, depth=2) as writer:
        for n in range(10):
            writer.submit(lambda n=n: write(n))
    assert results == list(range(10))
    assert sorted(started.values()) == [[0, 2, 4, 6, 8], [1, 3, 5, 7, 9]]


def test_two_writers_write_at_the_same_time() -> None:
    both_inside = threading.Barrier(2, timeout=10)

    def write() -> None:
        both_inside.wait()  # raises BrokenBarrierError unless the other write runs too

    with WriteBehind[None](lambda _: None, writers=2) as writer:
        writer.submit(write)
        writer.submit(write)


def test_a_failed_write_surfaces_and_the_other_writes_finish() -> None:
    finished: list[int] = []

    def write(n: int) -> int:
        if n == 1:
            raise RuntimeError("the database refused batch 1")
        time.sleep(0.01)
        finished.append(n)
        return n

    def run() -> None:
        with WriteBehind[int](lambda _: None, writers=2, depth=1) as writer:
            for n in range(4):
                writer.submit(lambda n=n: write(n))

    with pytest.raises(RuntimeError, match="batch 1"):
        run()
    # What was queued still ran to its end (each batch is its own transaction).
    assert 0 in finished


def test_no_more_than_depth_writes_per_writer_are_in_flight() -> None:
    in_flight = [0]
    most = [0]
    lock = threading.Lock()

    def write() -> None:
        with lock:
            in_flight[0] += 1
            most[0] = max(most[0], in_flight[0])
        time.sleep(0.005)
        with lock:
            in_flight[0] -= 1

    submitted_ahead = []
    with WriteBehind[None](lambda _: None, writers=2, depth=2) as writer:
        for _ in range(20):
            writer.submit(write)
            submitted_ahead.append(len(writer._pending))
    assert max(submitted_ahead) <= 4
    assert most[0] <= 2


def test_with_an_engine_each_writer_keeps_one_connection_and_gives_it_back_reset(
    engine: sa.Engine,
) -> None:
    def backend() -> tuple[int, str, int]:
        with batch_transaction(engine) as conn:
            pid = conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
            setting = conn.execute(sa.text("SHOW synchronous_commit")).scalar_one()
        return threading.get_ident(), setting, pid

    seen: list[tuple[int, str, int]] = []
    with WriteBehind[tuple[int, str, int]](seen.append, engine=engine, writers=2) as writer:
        for _ in range(6):
            writer.submit(backend)
    by_thread: dict[int, set[int]] = {}
    for thread, setting, pid in seen:
        assert setting == "off"
        by_thread.setdefault(thread, set()).add(pid)
    assert len(by_thread) == 2
    assert all(len(pids) == 1 for pids in by_thread.values()), by_thread
    # Back in the pool with the session's own setting.
    with engine.connect() as conn:
        assert conn.execute(sa.text("SHOW synchronous_commit")).scalar_one() == "on"


def test_a_writer_s_single_statements_commit_one_by_one_and_its_batches_stay_whole(
    engine: sa.Engine,
) -> None:
    def transactions() -> tuple[list[int], list[int], str]:
        txid = sa.text("SELECT txid_current()")
        with single_statements(engine) as conn:
            alone = [conn.execute(txid).scalar_one() for _ in range(2)]
            setting = conn.execute(sa.text("SHOW synchronous_commit")).scalar_one()
        with batch_transaction(engine) as conn:
            together = [conn.execute(txid).scalar_one() for _ in range(2)]
        return alone, together, setting

    seen: list[tuple[list[int], list[int], str]] = []
    with WriteBehind[tuple[list[int], list[int], str]](
        seen.append, engine=engine, writers=1
    ) as writer:
        for _ in range(3):
            writer.submit(transactions)
    assert len(seen) == 3
    for alone, together, setting in seen:
        assert alone[0] != alone[1], "each statement is its own transaction"
        assert together[0] == together[1], "a batch transaction is one transaction"
        assert setting == "off"


def test_idle_until_a_write_is_submitted_and_again_once_it_is_done() -> None:
    release = threading.Event()

    def blocked() -> None:
        release.wait(5)

    with WriteBehind[None](lambda _: None, writers=1) as writer:
        assert writer.idle
        writer.submit(blocked)
        assert not writer.idle
        release.set()
        deadline = time.monotonic() + 5
        while not writer.idle and time.monotonic() < deadline:
            time.sleep(0.001)
        assert writer.idle
