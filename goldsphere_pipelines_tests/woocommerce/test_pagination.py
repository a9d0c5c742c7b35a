"""The scan's promise, against an in-memory collection that changes between requests:
every record present throughout is read exactly once, in id order, or the scan raises."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from goldsphere_pipelines.woocommerce.errors import InvalidResponseError, StoreChangedError
from goldsphere_pipelines.woocommerce.pagination import Page, Window, record_id, scan

PER_PAGE = 5


@dataclass
class Mutation:
    delete: list[int] = field(default_factory=list)
    """Positions (modulo the current size) of records to delete."""
    insert: int = 0
    """New records appended with fresh, higher ids."""
    restore: bool = False
    """Bring back the earliest deleted record (a trashed order restored: an old id)."""


class ChangingCollection:
    """A WooCommerce collection ordered by id; `schedule[n]` is applied before request n."""

    def __init__(self, size: int, schedule: list[Mutation]) -> None:
        self.ids = list(range(1, size + 1))
        self.next_id = size + 1
        self.schedule = schedule
        self.calls = 0
        self.deleted: list[int] = []
        self.ever_deleted: set[int] = set()
        self.ever: set[int] = set(self.ids)
        self.lock = threading.Lock()

    def fetch(self, offset: int) -> Window:
        with self.lock:
            if self.calls < len(self.schedule):
                self._apply(self.schedule[self.calls])
            self.calls += 1
            chunk = self.ids[offset : offset + PER_PAGE]
            total = len(self.ids)
            return Window(
                offset=offset,
                records=[{"id": i} for i in chunk],
                total=total,
                total_pages=-(-total // PER_PAGE),
            )

    def _apply(self, mutation: Mutation) -> None:
        for position in mutation.delete:
            if self.ids:
                gone = self.ids.pop(position % len(self.ids))
                self.deleted.append(gone)
                self.ever_deleted.add(gone)
        for _ in range(mutation.insert):
            self.ids.append(self.next_id)
            self.ever.add(self.next_id)
            self.next_id += 1
        if mutation.restore and self.deleted:
            self.ids.append(self.deleted.pop(0))
            self.ids.sort()


def read_ids(pages: Iterator[Page]) -> list[int]:
    ids: list[int] = []
    for page in pages:
        for record in page.records:
            rid = record_id(record)
            assert rid is not None
            ids.append(rid)
    return ids


mutations = st.builds(
    Mutation,
    delete=st.lists(st.integers(0, 10_000), max_size=3),
    insert=st.integers(0, 3),
    restore=st.booleans(),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    size=st.integers(0, 60),
    schedule=st.lists(mutations, max_size=25),
    workers=st.sampled_from([1, 3]),
)
def test_every_record_present_throughout_is_read_exactly_once(
    size: int, schedule: list[Mutation], workers: int
) -> None:
    store = ChangingCollection(size, schedule)
    ids = read_ids(scan(store.fetch, per_page=PER_PAGE, workers=workers, max_rereads=10_000))

    assert ids == sorted(set(ids)), "ids come out strictly increasing, none twice"
    assert set(ids) <= store.ever, "no invented records"
    # Records deleted (even if restored later) or added during the scan may or may not
    # be read; every other one must be.
    present_throughout = set(range(1, size + 1)) - store.ever_deleted
    assert present_throughout <= set(ids), "a record present throughout was skipped"


@settings(max_examples=100, deadline=None)
@given(size=st.integers(0, 40), workers=st.sampled_from([1, 2, 4]))
def test_an_unchanging_collection_is_read_whole_in_the_fewest_requests(
    size: int, workers: int
) -> None:
    store = ChangingCollection(size, [])
    pages = list(scan(store.fetch, per_page=PER_PAGE, workers=workers))

    assert read_ids(iter(pages)) == list(range(1, size + 1))
    # Windows at offsets 0, 4, 8, …; the first short one ends the read.
    windows = 1 if size < PER_PAGE else (size - PER_PAGE) // (PER_PAGE - 1) + 2
    assert store.calls == windows
    assert [p.number for p in pages] == list(range(1, len(pages) + 1))
    assert all(p.total == size for p in pages)


def test_the_first_page_is_handed_out_even_when_the_collection_is_empty() -> None:
    pages = list(scan(ChangingCollection(0, []).fetch, per_page=PER_PAGE, workers=2))
    assert [(p.records, p.total, p.number) for p in pages] == [([], 0, 1)]


def test_a_store_that_keeps_deleting_makes_the_scan_raise_not_skip() -> None:
    # One record vanishes before every request: the store never holds still.
    store = ChangingCollection(200, [Mutation(delete=[0])] * 10_000)
    with pytest.raises(StoreChangedError, match="changed faster than they could be read"):
        read_ids(scan(store.fetch, per_page=PER_PAGE, workers=1, max_rereads=3))


def test_records_out_of_id_order_stop_the_scan() -> None:
    def fetch(offset: int) -> Window:
        return Window(offset, [{"id": 3}, {"id": 1}], total=2, total_pages=1)

    with pytest.raises(InvalidResponseError, match="out of id order"):
        list(scan(fetch, per_page=PER_PAGE, workers=1))


def test_a_store_ignoring_the_offset_is_an_error_not_an_endless_or_short_read() -> None:
    # A cache in front of the store answers every offset with the first page.
    def fetch(offset: int) -> Window:
        return Window(offset, [{"id": i} for i in range(1, 6)], total=50, total_pages=10)

    with pytest.raises(InvalidResponseError, match="ignores the offset"):
        list(scan(fetch, per_page=PER_PAGE, workers=2))


def test_records_without_a_usable_id_are_passed_on_for_validation() -> None:
    odd: list[Any] = [{"id": 1}, {"name": "no id"}, "not an object", {"id": True}, {"id": 2}]

    def fetch(offset: int) -> Window:
        return Window(offset, odd[offset : offset + PER_PAGE], total=5, total_pages=1)

    pages = list(scan(fetch, per_page=PER_PAGE, workers=1))
    assert [r for p in pages for r in p.records] == odd


def test_a_total_too_low_does_not_cut_the_read_short() -> None:
    store = ChangingCollection(23, [])

    def fetch(offset: int) -> Window:
        window = store.fetch(offset)
        return Window(window.offset, window.records, total=7, total_pages=2)

    assert read_ids(scan(fetch, per_page=PER_PAGE, workers=2)) == list(range(1, 24))


def test_without_totals_the_scan_reads_until_a_short_page() -> None:
    store = ChangingCollection(23, [])

    def fetch(offset: int) -> Window:
        window = store.fetch(offset)
        return Window(window.offset, window.records, total=None, total_pages=None)

    assert read_ids(scan(fetch, per_page=PER_PAGE, workers=3)) == list(range(1, 24))


def test_leaving_early_stops_fetching() -> None:
    store = ChangingCollection(1000, [])
    pages = scan(store.fetch, per_page=PER_PAGE, workers=2)
    next(pages)
    next(pages)
    pages.close()
    assert store.calls <= 2 + 2 * 2, "at most 2 × workers windows ahead of the consumer"
