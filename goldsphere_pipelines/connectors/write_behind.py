"""Writes batches to PostgreSQL in writer threads while the next batch is prepared.

PostgreSQL parses and stores a batch in its own process; while it does, this process can
parse or map the next one. With two writers, two PostgreSQL backends store two batches at
once: on a large first sync one backend alone was the slowest stage of the pipeline.

Each writer is one thread, so the batches given to one writer commit in the order given;
with an engine, each writer also keeps one connection for all its batches (see
`storage.engine.pin_connection`). Callers only hand writers batches
that touch disjoint rows (pages of a scan hold each record once; mapping batches hold each
pending row once), so the writers never wait for each other's locks. At most `depth`
batches per writer are in flight, which bounds memory; a failed write surfaces at the next
`submit`, or at the end of the block.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import suppress
from functools import partial
from itertools import cycle
from types import TracebackType
from typing import Generic, TypeVar

from sqlalchemy.engine import Engine

from goldsphere_pipelines.storage.engine import pin_connection, unpin_connection

T = TypeVar("T")

DEFAULT_WRITERS = 2


class WriteBehind(Generic[T]):
    """`submit` a write; `on_done` sees each result in submission order."""

    def __init__(
        self,
        on_done: Callable[[T], None],
        *,
        engine: Engine | None = None,
        writers: int = DEFAULT_WRITERS,
        depth: int = 2,
    ) -> None:
        # With `engine`, each writer keeps one connection for all its batches.
        self._engine = engine
        self._lanes = [
            ThreadPoolExecutor(
                max_workers=1,
                thread_name_prefix=f"goldsphere-writer-{n}",
                initializer=None if engine is None else partial(pin_connection, engine),
            )
            for n in range(max(1, writers))
        ]
        self._next_lane = cycle(self._lanes)
        self._pending: deque[Future[T]] = deque()
        self._on_done = on_done
        self._limit = depth * len(self._lanes)

    def submit(self, write: Callable[[], T]) -> None:
        while len(self._pending) >= self._limit:
            self._on_done(self._pending.popleft().result())
        self._pending.append(next(self._next_lane).submit(write))

    @property
    def idle(self) -> bool:
        """No write is queued or under way: one submitted now starts at once."""
        return all(future.done() for future in self._pending)

    def drain(self) -> None:
        """Wait for every write; raise the first failure."""
        while self._pending:
            self._on_done(self._pending.popleft().result())

    def __enter__(self) -> WriteBehind[T]:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if exc is None:
                self.drain()
            else:
                # Already failing: let queued writes finish (each is its own transaction,
                # so nothing is half-written) but keep the original error.
                for future in self._pending:
                    future.exception()
                self._pending.clear()
        finally:
            for lane in self._lanes:
                if self._engine is not None:
                    with suppress(Exception):  # a lane that never started has nothing to return
                        lane.submit(unpin_connection, self._engine).result()
                lane.shutdown(wait=True)
