"""When to try again, and how long to wait first."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

# The statuses a store or the host in front of it answers when trying again may help.
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Bounded attempts, exponential backoff with full jitter, `Retry-After` honoured."""

    max_attempts: int = 6
    backoff_base_s: float = 0.5
    backoff_max_s: float = 30.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.backoff_base_s < 0 or self.backoff_max_s < 0:
            raise ValueError("backoff times must not be negative")

    def delay(self, failed_attempt: int, retry_after_s: float | None = None) -> float:
        """Seconds to wait after attempt number `failed_attempt` (1-based) failed.

        A `Retry-After` the server sent wins, capped by `backoff_max_s`: a store asking for
        an hour's pause would stall the run, and the remaining attempts still bound it.
        Without one: uniform in [0, min(max, base * 2^(attempt-1))] ("full jitter"), so that
        concurrent workers that failed together do not come back together.
        """
        if retry_after_s is not None:
            return min(max(retry_after_s, 0.0), self.backoff_max_s)
        ceiling = min(self.backoff_max_s, self.backoff_base_s * (2 ** (failed_attempt - 1)))
        return random.uniform(0.0, ceiling)  # noqa: S311 - jitter, not cryptography


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """`Retry-After` in seconds from its delta-seconds or HTTP-date form; None if unusable."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if text.isascii() and text.replace(".", "", 1).isdigit():
        # Delta-seconds; some hosts send a fraction, which costs nothing to honour.
        return float(text[:12])
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = now or datetime.now(UTC)
    return max((when - current).total_seconds(), 0.0)
