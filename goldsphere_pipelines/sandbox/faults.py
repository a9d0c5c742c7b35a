"""Deciding, per request, how the store misbehaves; and counting what it did.

One random stream per store (seeded from the store's seed) decides the faults, so a
single-threaded client sees the same faults in the same order on every run.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from goldsphere_pipelines.sandbox.config import FaultKnobs

FIVE_XX = (500, 502, 503, 504)


@dataclass(frozen=True, slots=True)
class RequestFaults:
    """What happens to one request before and after the store handles it."""

    delay_s: float
    refuse: str | None
    """None, or one of: max_rps, http_429, http_500, http_502, http_503, http_504, dropped,
    html_page. A refused request never reaches WooCommerce."""
    body: str | None
    """None, or one of: php_warning, bom, truncated: how a handled response is spoiled."""
    retry_after_s: int | None
    cut_at: float
    """Where a truncated body ends, as a share of its length."""
    spiked: bool = False
    """The delay includes a latency spike."""


class SandboxStats(BaseModel):
    """What the store served since start (or the last reset); a snapshot."""

    requests: int
    """Requests to /wp-json/wc/v3, faulty ones included."""
    by_endpoint: dict[str, int]
    by_status: dict[str, int]
    """Responses sent, by HTTP status (dropped connections send none)."""
    faults: dict[str, int]
    """Faults injected, by kind: max_rps, http_429, http_5xx codes, dropped, html_page,
    php_warning, bom, truncated, latency_spike."""

    def fault_count(self) -> int:
        return sum(self.faults.values())


class FaultInjector:
    """Holds the current knobs; thread-safe."""

    def __init__(self, knobs: FaultKnobs, seed: int) -> None:
        self._lock = threading.Lock()
        self._knobs = knobs
        self._random = random.Random(f"{seed}:faults")
        self._tokens = max(1.0, float(knobs.max_rps or 0))
        self._refilled_at = time.monotonic()

    @property
    def knobs(self) -> FaultKnobs:
        with self._lock:
            return self._knobs.model_copy()

    def update(self, **changes: Any) -> FaultKnobs:
        """Change some knobs; unknown names or bad values raise ValueError."""
        unknown = set(changes) - set(FaultKnobs.model_fields)
        if unknown:
            raise ValueError(f"unknown fault knobs: {', '.join(sorted(unknown))}")
        with self._lock:
            knobs = FaultKnobs.model_validate({**self._knobs.model_dump(), **changes})
            if knobs.max_rps != self._knobs.max_rps:
                self._tokens = max(1.0, float(knobs.max_rps or 0))
                self._refilled_at = time.monotonic()
            self._knobs = knobs
            return knobs.model_copy()

    def _within_rate(self, max_rps: float) -> bool:
        # A token bucket holding one second of requests (at least one request).
        now = time.monotonic()
        capacity = max(1.0, max_rps)
        self._tokens = min(capacity, self._tokens + (now - self._refilled_at) * max_rps)
        self._refilled_at = now
        if self._tokens >= 1:
            self._tokens -= 1
            return True
        return False

    def decide(self) -> RequestFaults:
        with self._lock:
            knobs = self._knobs
            roll = self._random.random
            delay = knobs.latency_ms / 1000
            spike = knobs.rate_spike and roll() < knobs.rate_spike
            if spike:
                delay += knobs.spike_ms / 1000
            refuse: str | None = None
            if knobs.max_rps is not None and not self._within_rate(knobs.max_rps):
                refuse = "max_rps"
            else:
                draw = roll()
                for name, rate in (
                    ("http_429", knobs.rate_429),
                    ("http_5xx", knobs.rate_5xx),
                    ("dropped", knobs.rate_drop),
                    ("html", knobs.rate_html),
                ):
                    if draw < rate:
                        refuse = name
                        break
                    draw -= rate
            body: str | None = None
            if refuse == "http_5xx":
                refuse = f"http_{self._random.choice(FIVE_XX)}"
            elif refuse == "html":
                # Half the HTML faults are whole pages, half PHP warnings before the JSON.
                if roll() < 0.5:
                    refuse, body = None, "php_warning"
                else:
                    refuse = "html_page"
            if refuse is None and body is None:
                if knobs.rate_bom and roll() < knobs.rate_bom:
                    body = "bom"
                elif knobs.rate_truncated and roll() < knobs.rate_truncated:
                    body = "truncated"
            return RequestFaults(
                delay_s=delay,
                refuse=refuse,
                body=body,
                retry_after_s=1 if refuse == "max_rps" and knobs.retry_after_s is None
                else knobs.retry_after_s,
                cut_at=0.1 + 0.8 * roll(),
                spiked=bool(spike),
            )  # fmt: skip


class StatsCounter:
    """Thread-safe counters behind `SandboxStore.stats`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests = 0
        self._by_endpoint: Counter[str] = Counter()
        self._by_status: Counter[str] = Counter()
        self._faults: Counter[str] = Counter()

    def request(self, endpoint: str) -> None:
        with self._lock:
            self._requests += 1
            self._by_endpoint[endpoint] += 1

    def response(self, status: int) -> None:
        with self._lock:
            self._by_status[str(status)] += 1

    def fault(self, kind: str) -> None:
        with self._lock:
            self._faults[kind] += 1

    def snapshot(self) -> SandboxStats:
        with self._lock:
            return SandboxStats(
                requests=self._requests,
                by_endpoint=dict(self._by_endpoint),
                by_status=dict(self._by_status),
                faults=dict(self._faults),
            )

    def reset(self) -> None:
        with self._lock:
            self._requests = 0
            self._by_endpoint.clear()
            self._by_status.clear()
            self._faults.clear()
