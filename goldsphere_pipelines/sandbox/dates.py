"""Dates the way WooCommerce writes and reads them: seconds, no offset, local or GMT.

Internally every date is an integer count of seconds since the epoch in UTC.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from functools import lru_cache

PRODUCTS_START = int(datetime(2020, 1, 6, tzinfo=UTC).timestamp())
PRODUCTS_END = int(datetime(2022, 12, 20, tzinfo=UTC).timestamp())
ORDERS_START = int(datetime(2023, 1, 2, tzinfo=UTC).timestamp())
DATA_END = int(datetime(2025, 12, 31, 22, tzinfo=UTC).timestamp())
"""Generated records are created and modified before this; later dates come from mutations."""

_REST_DATE = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}(?::?\d{2})?)?$"
)


@lru_cache(maxsize=8192)
def _day(days: int) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(days * 86400))


def iso(epoch: int) -> str:
    """`2024-03-01T12:00:05`: how WooCommerce writes dates (no offset, no fraction)."""
    days, seconds = divmod(int(epoch), 86400)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    return f"{_day(days)}T{hours:02d}:{minutes:02d}:{seconds:02d}"


def parse_rest_date(text: str, *, assume_offset_minutes: int) -> float | None:
    """Seconds since the epoch of a REST date parameter, or None when it is not a date.

    WordPress accepts RFC 3339 dates with or without an offset; without one, the date is
    in the zone the caller meant (GMT with `dates_are_gmt=true`, else the store's zone).
    """
    if not _REST_DATE.match(text):
        return None
    normalized = text.replace("t", "T").replace(" ", "T").replace("z", "Z")
    try:
        moment = datetime.fromisoformat(normalized)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC).timestamp() - assume_offset_minutes * 60
    return moment.timestamp()


def now() -> int:
    return int(time.time())
