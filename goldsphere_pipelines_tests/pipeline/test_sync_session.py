"""A sync session on real PostgreSQL: what its steps leave to the garbage collector."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from goldsphere_pipelines.connectors.stats import StepStats
from goldsphere_pipelines.connectors.sync_session import SyncSession
from goldsphere_pipelines_tests.pipeline.conftest import Shop, register


class _Node:
    other: object


@pytest.fixture
def full_collections() -> Iterator[list[int]]:
    """How many generation-2 collections start while the test runs."""
    started: list[int] = []

    def note(phase: str, info: dict[str, Any]) -> None:
        if phase == "start" and info["generation"] == 2:
            started.append(2)

    gc.callbacks.append(note)
    yield started
    gc.callbacks.remove(note)


def test_a_runs_steps_leave_their_cycles_to_one_full_collection_when_it_ends(
    pipeline_db: sa.Engine, shop_factory: Callable[..., Shop], full_collections: list[int]
) -> None:
    connector = register(pipeline_db, shop_factory(products=5, orders=5))
    left: list[weakref.ref[_Node]] = []

    def step_leaving_a_cycle() -> StepStats:
        a, b = _Node(), _Node()
        a.other, b.other = b, a
        left.append(weakref.ref(a))
        return StepStats()

    with SyncSession.open(pipeline_db, connector, trigger="test") as session:
        for name in ("products_extract", "products_map", "orders_extract"):
            session.step(name, step_leaving_a_cycle)
        # A full collection walks the whole process: steps end without one.
        assert full_collections == []
        assert all(ref() is not None for ref in left)
    assert full_collections == [2]
    assert all(ref() is None for ref in left)
