"""Reading a WooCommerce collection whole, in id order, while the store keeps changing.

The client asks for `orderby=id&order=asc` and reads windows of `per_page` records at
offsets `per_page - 1` apart, so that consecutive windows share one record. That shared
record is the proof that nothing fell between two windows: when a record is deleted (or an
order leaves the filter) while the collection is being read, every later record moves one
position forward and, with plain page numbers, one of them would be skipped silently. Here
the next window then starts past the last record already read; the scan notices and re-reads
from further back. Records come out in strictly increasing id order, each id once.

Windows after the first are fetched concurrently, at most `2 × workers` ahead of the
consumer, and handed out in order: memory stays flat however large the store.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from goldsphere_pipelines.woocommerce.errors import InvalidResponseError, StoreChangedError


@dataclass(frozen=True, slots=True)
class Page:
    """Records of one list response, in id order, none repeated from an earlier page.

    `records` are whatever JSON values the store sent (normally objects): validate each.
    `total` and `total_pages` are the store's `X-WP-Total`/`X-WP-TotalPages` for this
    response (None when missing). `number` counts the pages handed out, from 1.
    """

    records: list[Any]
    total: int | None
    total_pages: int | None
    number: int


@dataclass(frozen=True, slots=True)
class Window:
    """One list response: the records at positions `offset`… of the collection."""

    offset: int
    records: list[Any]
    total: int | None
    total_pages: int | None


FetchWindow = Callable[[int], Window]
"""Fetches the window at an offset; raises `WooCommerceError` when the store fails."""


def record_id(record: Any) -> int | None:
    """The record's WooCommerce id, or None when it has no usable one (left to validation)."""
    if isinstance(record, dict):
        value = record.get("id")
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    return None


def scan(
    fetch: FetchWindow,
    *,
    per_page: int,
    workers: int,
    max_rereads: int = 8,
    on_reread: Callable[[], None] | None = None,
    what: str = "records",
) -> Generator[Page, None, None]:
    """Every record of the collection once, as pages in id order.

    The first page is always yielded, even when empty, so that its `total` is seen; later
    pages that would be empty after dropping already-read records are skipped. Raises what
    `fetch` raises; `InvalidResponseError` when the store ignores the requested order or
    offset (reading on would skip or repeat records); `StoreChangedError` after
    `max_rereads` re-reads.
    """
    if per_page < 2:
        raise ValueError("per_page must be at least 2: consecutive windows share a record")
    return _Scan(fetch, per_page, workers, max_rereads, on_reread, what).pages()


class _Scan:
    def __init__(
        self,
        fetch: FetchWindow,
        per_page: int,
        workers: int,
        max_rereads: int,
        on_reread: Callable[[], None] | None,
        what: str,
    ) -> None:
        self._fetch = fetch
        self._per_page = per_page
        self._stride = per_page - 1
        self._workers = max(1, workers)
        self._ahead = 1 if self._workers == 1 else 2 * self._workers
        self._max_rereads = max_rereads
        self._on_reread = on_reread
        self._what = what
        self._last_id: int | None = None
        self._number = 0

    def pages(self) -> Generator[Page, None, None]:
        first = self._fetch(0)
        self._check_order(first)
        yield self._page(first, self._fresh(first))
        if self._at_end(first):
            return
        executor = ThreadPoolExecutor(self._workers) if self._workers > 1 else None
        pending: deque[tuple[int, Future[Window] | None]] = deque()
        try:
            yield from self._rest(first, executor, pending)
        finally:
            for _, future in pending:
                if future is not None:
                    future.cancel()
            if executor is not None:
                executor.shutdown(wait=True, cancel_futures=True)

    def _rest(
        self,
        first: Window,
        executor: ThreadPoolExecutor | None,
        pending: deque[tuple[int, Future[Window] | None]],
    ) -> Iterator[Page]:
        total = first.total
        next_offset = self._stride
        rereads = 0
        gaps_in_a_row = 0
        # While re-reading ground already covered after a gap, windows legitimately bring
        # nothing new; only past the gap does a full window without news mean a stuck store.
        recovering_until = 0
        while True:
            while len(pending) < self._ahead and (total is None or next_offset + 1 < total):
                future = executor.submit(self._fetch, next_offset) if executor else None
                pending.append((next_offset, future))
                next_offset += self._stride
            if not pending:
                # The total says there is nothing left, but the last window did not end
                # short (it was exactly full, or a re-read restarted low): read on.
                pending.append((next_offset, None))
                next_offset += self._stride
            offset, future = pending.popleft()
            window = future.result() if future is not None else self._fetch(offset)
            self._check_order(window)
            total = window.total
            if not self._connected(window):
                rereads += 1
                if rereads > self._max_rereads:
                    raise StoreChangedError(
                        f"The store's {self._what} changed faster than they could be read: "
                        f"{self._what} vanished while the pages after them were read, "
                        f"{rereads - 1} times over. Run the sync again when the store is "
                        "quieter; nothing read so far is lost."
                    )
                if self._on_reread is not None:
                    self._on_reread()
                for _, stale in pending:
                    if stale is not None:
                        stale.cancel()
                pending.clear()
                recovering_until = max(recovering_until, offset)
                next_offset = max(0, offset - (self._per_page // 2) * 2**gaps_in_a_row)
                gaps_in_a_row += 1
                continue
            gaps_in_a_row = 0
            before = self._last_id
            fresh = self._fresh(window)
            if fresh:
                yield self._page(window, fresh)
            if self._at_end(window):
                return
            if offset >= recovering_until and self._stuck(window, before):
                raise self._no_progress(offset)

    def _stuck(self, window: Window, before: int | None) -> bool:
        """A full window whose records all were read before: the offset was ignored."""
        if len(window.records) < self._per_page or before is None:
            return False
        ids = [rid for rid in map(record_id, window.records) if rid is not None]
        return bool(ids) and max(ids) <= before

    def _page(self, window: Window, fresh: list[Any]) -> Page:
        self._number += 1
        return Page(fresh, window.total, window.total_pages, self._number)

    def _fresh(self, window: Window) -> list[Any]:
        """The window's records not read before; advances the last id read."""
        fresh: list[Any] = []
        last = self._last_id
        for record in window.records:
            rid = record_id(record)
            if rid is None:
                fresh.append(record)
            elif last is None or rid > last:
                fresh.append(record)
                last = rid
        self._last_id = last
        return fresh

    def _connected(self, window: Window) -> bool:
        """True when nothing can lie between the records read so far and this window."""
        if window.offset == 0 or self._last_id is None:
            return True
        if not window.records:
            # It was requested because the store had records at and after this offset.
            return False
        ids = [rid for rid in map(record_id, window.records) if rid is not None]
        return not ids or ids[0] <= self._last_id

    def _at_end(self, window: Window) -> bool:
        """Both signs must agree: a short window, and (when sent) `X-WP-Total` saying so.

        A wrong total alone must not cut the read short, nor a short window alone (a
        record may vanish between WooCommerce's count and its query); an exactly full
        last window costs one more request, which then brings back the shared record only.
        """
        if len(window.records) >= self._per_page:
            return False
        return window.total is None or window.offset + self._per_page >= window.total

    def _check_order(self, window: Window) -> None:
        previous = 0
        for rid in map(record_id, window.records):
            if rid is None:
                continue
            if rid < previous:
                raise InvalidResponseError(
                    f"The store returned {self._what} out of id order although the client "
                    "asked for orderby=id&order=asc; a plugin probably overrides the REST "
                    "API's sort order. Reading on would skip or repeat records, so the sync "
                    "stops: exempt REST API requests from that plugin's ordering."
                )
            previous = rid

    def _no_progress(self, offset: int) -> InvalidResponseError:
        return InvalidResponseError(
            f"The store answered the {self._what} at offset {offset} with records already "
            "read: it (or a cache in front of it) ignores the offset parameter. Reading on "
            "would never reach the rest, so the sync stops: exclude /wp-json/ from page "
            "caching."
        )
