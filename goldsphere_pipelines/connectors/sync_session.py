"""A sync of one connector, as a unit: its lock, its external_sync_run row, its steps.

`SyncSession.open` takes the connector's advisory lock (failing fast when another sync holds
it), marks runs left `running` by a dead process as failed, and opens a run row. Each step
(extract or map, products or orders) runs through `session.step`, which records its counts,
or the failure that ended it, on the run row. Closing the session closes the row: `success`
unless a step failed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TypeVar
from uuid import UUID

from sqlalchemy.engine import Engine

from goldsphere_pipelines.connectors.gc_tuning import catch_up, fewer_collections
from goldsphere_pipelines.connectors.models import Connector
from goldsphere_pipelines.connectors.pass_listing import PassListing
from goldsphere_pipelines.connectors.stats import StepStats
from goldsphere_pipelines.errors import GoldsphereError
from goldsphere_pipelines.storage.external_records import RecordKind
from goldsphere_pipelines.storage.locks import HeldLock, connector_sync_lock
from goldsphere_pipelines.storage.sync_runs import SyncRunRepository

logger = logging.getLogger(__name__)

T = TypeVar("T", bound=StepStats)


def describe_failure(exc: BaseException) -> str:
    """A sentence for the run row and the UI; never a secret (errors redact their own)."""
    if isinstance(exc, GoldsphereError):
        return exc.message
    return (
        f"Unexpected {type(exc).__name__}: {str(exc)[:500]}. The sync stopped; "
        "what was committed stays, and the next sync continues from there."
    )


@dataclass
class SyncSession:
    engine: Engine
    connector: Connector
    run_id: UUID
    runs: SyncRunRepository
    lock: HeldLock
    step_modes: dict[str, str] = field(default_factory=dict)
    """The mode of each step run so far (an extract's `full` or `delta`), by step name."""
    read_in_full: dict[RecordKind, PassListing] = field(default_factory=dict)
    """The ids each full extract of this run read, for its reconciliation (taken by it)."""

    @classmethod
    @contextmanager
    def open(
        cls,
        engine: Engine,
        connector: Connector,
        *,
        trigger: str,
        dagster_run_id: str | None = None,
    ) -> Iterator[SyncSession]:
        if connector.is_disabled:
            raise GoldsphereError(
                f"Connector {connector.name!r} is disabled. Enable it with "
                f"`goldsphere connectors enable {connector.name}` before syncing.",
                code="connector_disabled",
            )
        runs = SyncRunRepository(engine)
        try:
            with connector_sync_lock(engine, connector.id, connector.name) as lock:
                stale = runs.fail_stale_runs(connector.id)
                if stale:
                    logger.warning(
                        "Marked %d earlier run(s) of %s failed: their process died mid-sync.",
                        stale,
                        connector.name,
                    )
                run_id = runs.start(connector.id, trigger=trigger, dagster_run_id=dagster_run_id)
                session = cls(
                    engine=engine, connector=connector, run_id=run_id, runs=runs, lock=lock
                )
                try:
                    yield session
                except BaseException as exc:
                    runs.fail(run_id, describe_failure(exc))
                    raise
                finally:
                    runs.finish(run_id)
        finally:
            # Once per run, after the lock is released: see `gc_tuning`.
            catch_up()

    def step(self, name: str, work: Callable[[], T]) -> T:
        """Run one step; record its counts or its failure on the run row."""
        try:
            self.ensure_lock_held()
            with fewer_collections():
                stats = work()
            self.ensure_lock_held()
        except BaseException as exc:
            self.runs.fail(self.run_id, f"{name}: {describe_failure(exc)}")
            raise
        self.runs.merge_stats(self.run_id, name, stats.as_json(), stats.errors)
        self.step_modes[name] = stats.mode
        return stats

    def ensure_lock_held(self, *, unless_checked_within: float = 0.0) -> None:
        """Steps call this between batches, so that writing stops soon after the lock is
        lost; a step's start and end always check (see `HeldLock.ensure_held`)."""
        self.lock.ensure_held(unless_checked_within=unless_checked_within)

    def skip(self, name: str, reason: str) -> StepStats:
        stats = StepStats(skipped_reason=reason)
        self.runs.merge_stats(self.run_id, name, stats.as_json())
        return stats
