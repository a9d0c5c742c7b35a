"""The ids a full extract pass read, kept as the listing its sync's reconciliation needs.

A full pass reads the whole collection in id order (`woocommerce.pagination.scan`, whose
overlapping windows prove that no record present throughout the read was skipped while
the shop kept changing), the shop's trash after it, and on a products pass the
variations of every variable product. That is everything `connectors.reconcile` would
list again with `_fields=id` moments later — 2,102 requests for a shop of 100,000
orders and 10,000 products — so the reconciliation of that same sync compares with the
ids the pass read instead of listing them a second time.

A pass vouches only for what it read whole: one record without a usable id leaves its
kind to a listing of its own, and a variable product whose variations the pass did not
read (not variable in the listing, or a variation without an id) is listed on its own.
Ids are kept as machine integers while the pass runs (8 bytes each: 100,000 orders in
under a megabyte); sets are built only when the reconciliation compares.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from goldsphere_pipelines.woocommerce.pagination import record_id


def _ids() -> array[int]:
    return array("q")


@dataclass
class PassListing:
    """Filled by one full extract pass; `complete` once the pass read everything whole."""

    live: array[int] = field(default_factory=_ids)
    trash: array[int] = field(default_factory=_ids)
    variations: dict[int, array[int]] = field(default_factory=dict)
    """Parent product id → its variations' ids, for the parents whose variations were read."""
    complete: bool = False
    unusable: int = 0
    """Records of the live or trash listing without a usable id: the kind is listed anew."""

    def add_live(self, payloads: Iterable[Any]) -> None:
        self._add(self.live, payloads)

    def add_trash(self, payloads: Iterable[Any]) -> None:
        self._add(self.trash, payloads)

    def add_variations(self, parent_id: int, payloads: Iterable[Any]) -> None:
        ids = _ids()
        for payload in payloads:
            variation_id = record_id(payload)
            if variation_id is None:
                # This parent's variations cannot be vouched for: the reconciliation lists them.
                self.variations.pop(parent_id, None)
                return
            ids.append(variation_id)
        self.variations[parent_id] = ids

    def _add(self, ids: array[int], payloads: Iterable[Any]) -> None:
        for payload in payloads:
            found = record_id(payload)
            if found is None:
                self.unusable += 1
            else:
                ids.append(found)

    @property
    def usable(self) -> bool:
        """Whether a reconciliation may compare with it instead of listing the shop."""
        return self.complete and self.unusable == 0
