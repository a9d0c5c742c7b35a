"""Listing only the ids of a collection, and proving the listing complete.

A reconciliation marks records gone because they are missing from a listing, so a listing
that is short for any reason would delete good records. Unlike `pagination.scan`, which
re-reads around records that vanish, this listing accepts nothing it cannot vouch for:
pages by number (`_fields=id`, `orderby=id`), every page's `X-WP-Total` equal to the
first's, every page but the last exactly full, the last holding exactly the rest, no id
twice. Anything else raises `IncompleteListingError`, and the caller marks nothing.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from goldsphere_pipelines.woocommerce.errors import WooCommerceError

IdPage = tuple[list[Any], int | None]
"""A page's records and its `X-WP-Total` (None when the header was missing)."""
FetchIdPage = Callable[[int], IdPage]
"""Fetches page n (from 1); raises `WooCommerceError` when the store fails."""


class IncompleteListingError(WooCommerceError):
    """An id listing that cannot be proven complete: nothing may be concluded from it."""

    code = "woocommerce_incomplete_listing"


@dataclass(frozen=True)
class IdListing:
    ids: set[int]
    total: int
    pages: int


def list_ids(fetch: FetchIdPage, *, per_page: int, workers: int, what: str) -> IdListing:
    """Every id of the collection, or `IncompleteListingError` (see the module docstring).

    Pages after the first are fetched `workers` at a time, at most `2 × workers` ahead.
    """
    records, total = fetch(1)
    if total is None:
        raise IncompleteListingError(
            f"The store listed {what} without an X-WP-Total header, so the listing cannot "
            "be proven complete; a cache or proxy in front of the store may drop headers."
        )
    pages = max(1, math.ceil(total / per_page))
    ids: set[int] = set()
    _take(ids, records, 1, total, total, pages, per_page, what)
    if pages == 1:
        return IdListing(ids, total, 1)
    with ThreadPoolExecutor(max(1, workers)) as executor:
        pending: deque[tuple[int, Future[IdPage]]] = deque()
        next_page = 2
        try:
            while pending or next_page <= pages:
                while next_page <= pages and len(pending) < 2 * max(1, workers):
                    pending.append((next_page, executor.submit(fetch, next_page)))
                    next_page += 1
                number, future = pending.popleft()
                page_records, page_total = future.result()
                _take(ids, page_records, number, page_total, total, pages, per_page, what)
        finally:
            for _, future in pending:
                future.cancel()
    if len(ids) != total:
        raise IncompleteListingError(
            f"The store's {what} listing repeated ids: {len(ids):,} distinct ids where "
            f"X-WP-Total said {total:,}. Run it again when the shop is quieter."
        )
    return IdListing(ids, total, pages)


def _take(
    ids: set[int],
    records: list[Any],
    number: int,
    page_total: int | None,
    total: int,
    pages: int,
    per_page: int,
    what: str,
) -> None:
    if page_total != total:
        raise IncompleteListingError(
            f"The shop's {what} changed while they were listed (X-WP-Total was {total:,} "
            f"on page 1, {page_total if page_total is not None else 'missing'} on page "
            f"{number}): records were added or deleted meanwhile. Run it again when the "
            "shop is quieter."
        )
    expected = per_page if number < pages else total - per_page * (pages - 1)
    if len(records) != expected:
        raise IncompleteListingError(
            f"Page {number} of the shop's {what} held {len(records)} records where "
            f"{expected} were due (X-WP-Total {total:,}, {per_page} a page): the listing "
            "is incomplete, perhaps a plugin or cache filters it."
        )
    for record in records:
        value = record.get("id") if isinstance(record, dict) else None
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise IncompleteListingError(
                f"Page {number} of the shop's {what} held a record without a usable id "
                f"({str(value)[:40]!r}); the listing cannot be trusted."
            )
        ids.add(value)
