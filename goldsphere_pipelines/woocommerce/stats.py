"""Counters of what a client did, for run statistics and benchmarks."""

from __future__ import annotations

import threading
from typing import Any


class ClientStats:
    """Thread-safe counters, cumulative over the client's life.

    `requests` counts HTTP attempts sent, `retries` the attempts made after a failed one,
    `pages` list pages read successfully, `bytes` body bytes received (after decompression),
    `by_status` responses per HTTP status. `transport_errors` counts timeouts and dropped
    connections, `invalid_bodies` 2xx bodies that were not the expected JSON, `bom_bodies`
    bodies accepted after skipping a byte order mark, `rereads` windows re-read because
    records vanished between pages, `backoff_seconds` the time spent waiting before retries.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests = 0
        self.retries = 0
        self.pages = 0
        self.bytes = 0
        self.by_status: dict[int, int] = {}
        self.transport_errors = 0
        self.invalid_bodies = 0
        self.bom_bodies = 0
        self.rereads = 0
        self.backoff_seconds = 0.0

    def add(self, **increments: int | float) -> None:
        """Add to the named counters, e.g. `stats.add(requests=1, bytes=512)`."""
        with self._lock:
            for name, value in increments.items():
                setattr(self, name, getattr(self, name) + value)

    def count_status(self, status: int) -> None:
        with self._lock:
            self.by_status[status] = self.by_status.get(status, 0) + 1

    def as_dict(self) -> dict[str, Any]:
        """A consistent copy, JSON-ready (status codes as string keys)."""
        with self._lock:
            return {
                "requests": self.requests,
                "retries": self.retries,
                "pages": self.pages,
                "bytes": self.bytes,
                "by_status": {str(k): v for k, v in sorted(self.by_status.items())},
                "transport_errors": self.transport_errors,
                "invalid_bodies": self.invalid_bodies,
                "bom_bodies": self.bom_bodies,
                "rereads": self.rereads,
                "backoff_seconds": round(self.backoff_seconds, 3),
            }

    def __repr__(self) -> str:
        return f"ClientStats({self.as_dict()!r})"
