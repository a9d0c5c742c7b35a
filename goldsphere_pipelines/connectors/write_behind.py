"""Writes a batch to PostgreSQL in a second thread while the next batch is prepared.

PostgreSQL parses and stores a batch in its own process; while it does, this process can
parse or map the next one. One writer thread and at most `depth` batches in flight keep
the order of commits, bound memory, and surface a failed write at the next submit.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType
from typing import Generic, TypeVar

T = TypeVar("T")


class WriteBehind(Generic[T]):
    """`submit` a write; `on_done` sees each result in submission order."""

    def __init__(self, on_done: Callable[[T], None], *, depth: int = 2) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="goldsphere-writer")
        self._pending: deque[Future[T]] = deque()
        self._on_done = on_done
        self._depth = depth

    def submit(self, write: Callable[[], T]) -> None:
        while len(self._pending) >= self._depth:
            self._on_done(self._pending.popleft().result())
        self._pending.append(self._executor.submit(write))

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
            self._executor.shutdown(wait=True)
