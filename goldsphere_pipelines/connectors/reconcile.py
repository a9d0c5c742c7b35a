"""Reconciliation: the records the shop deleted for good (`DELETE ?force=true`) are marked gone.

WooCommerce keeps no record of a forced deletion, so the only evidence is absence: the
pass lists every id the shop has (products, the variations of the variable products we
hold, orders; live and trash, `_fields=id`, 100 a page) and compares them with the rows we
hold as not deleted. Records in the shop's trash are marked trashed; records in neither
listing are marked gone (`connectors.deletions.mark_deleted`).

Within a sync that read a kind in full, the ids that read already listed
(`connectors.pass_listing`) stand in for that kind's listing: the shop is listed only for
what the read could not vouch for.

It never concludes from a partial listing: every listing is complete or the pass stops
(`woocommerce.id_listing`, or the full read's own proof), and a pass that would remove
more than the connector's `removal_share_limit` of a kind's records (default 20 %) stops
too, unless forced. A stopped pass marks nothing; the listings all come first, the marks
after.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol
from uuid import UUID

from sqlalchemy.engine import Engine

from goldsphere_pipelines.connectors.deletions import deletion_settings, mark_deleted
from goldsphere_pipelines.connectors.pass_listing import PassListing
from goldsphere_pipelines.connectors.stats import StepStats
from goldsphere_pipelines.errors import GoldsphereError
from goldsphere_pipelines.storage.deletions import DeletionStateRepository
from goldsphere_pipelines.storage.external_records import RecordKind
from goldsphere_pipelines.woocommerce.errors import WooCommerceError
from goldsphere_pipelines.woocommerce.id_listing import IdListing

logger = logging.getLogger(__name__)

KINDS: tuple[RecordKind, ...] = ("product", "order")


class IdLister(Protocol):
    """The part of `WooCommerceClient` a reconciliation uses."""

    concurrency: int

    def list_ids(self, path: str, params: Mapping[str, str | int] | None = None) -> IdListing: ...


class ReconcileStopped(GoldsphereError):
    """The pass stopped before marking anything; the message says why and what to do."""

    code = "reconcile_stopped"


@dataclass
class _Findings:
    """What one kind's listings say, before anything is marked."""

    kind: RecordKind
    held: int = 0
    listed: int = 0
    gone: list[str] = field(default_factory=list)
    trashed: list[str] = field(default_factory=list)

    @property
    def removals(self) -> int:
        return len(self.gone) + len(self.trashed)

    def share(self) -> Decimal:
        return Decimal(self.removals) / Decimal(self.held) if self.held else Decimal(0)


def reconcile(
    engine: Engine,
    connector_id: UUID,
    lister: IdLister,
    *,
    kinds: Iterable[RecordKind] = KINDS,
    force: bool = False,
    read_in_full: Mapping[RecordKind, PassListing] | None = None,
) -> StepStats:
    """List the shop's ids, then mark what it no longer has; `ReconcileStopped` marks nothing.

    `force` lets a pass remove more than the share limit (logged as a warning); it never
    overrides an incomplete listing. `read_in_full`: the listings of this sync's full
    reads, by kind, used instead of listing the shop where they vouch for it.
    """
    started = time.monotonic()
    chosen = [k for k in KINDS if k in set(kinds)]
    stats = StepStats(mode="reconcile " + "+".join(chosen))
    passes = {
        kind: listing
        for kind, listing in (read_in_full or {}).items()
        if kind in chosen and listing.usable
    }
    stats.listings = {
        kind: "this sync's full read" if kind in passes else "id listing" for kind in chosen
    }
    try:
        # Both kinds list at once: the client's concurrency caps the requests in flight
        # across them, and neither listing's tail leaves the other's slots idle.
        with ThreadPoolExecutor(len(chosen) or 1) as executor:
            findings = list(
                executor.map(
                    lambda kind: _find(engine, connector_id, lister, kind, passes.get(kind)),
                    chosen,
                )
            )
    except WooCommerceError as exc:
        raise ReconcileStopped(
            f"The reconciliation stopped and marked nothing: {exc.message}"
        ) from exc
    limit = deletion_settings(engine, connector_id).removal_share_limit
    over = [f for f in findings if f.share() > limit]
    for found in over:
        sentence = (
            f"{found.removals:,} of the {found.held:,} {found.kind}s we hold "
            f"({found.share():.0%}) are missing from the shop, more than the "
            f"{limit:.0%} limit"
        )
        if not force:
            raise ReconcileStopped(
                f"The reconciliation stopped and marked nothing: {sentence}. A shop rarely "
                "deletes that much at once; check the shop (a plugin hiding records, a "
                "restored backup, the wrong URL). If the deletion is real, run `goldsphere "
                "connectors reconcile NAME --force`, or raise the connector's "
                "removal_share_limit."
            )
        logger.warning("FORCED RECONCILIATION: %s; marking them deleted anyway.", sentence)
    for found in findings:
        stats.held += found.held
        stats.fetched += found.listed
        stats.trashed += len(
            mark_deleted(engine, connector_id, found.kind, found.trashed, "trashed")
        )
        stats.gone += len(mark_deleted(engine, connector_id, found.kind, found.gone, "gone"))
    stats.seconds = time.monotonic() - started
    return stats


def _find(
    engine: Engine,
    connector_id: UUID,
    lister: IdLister,
    kind: RecordKind,
    read: PassListing | None,
) -> _Findings:
    state = DeletionStateRepository(engine, kind)
    collection = "/products" if kind == "product" else "/orders"
    if read is not None:
        live, trash = set(read.live), set(read.trash)
    else:
        live = lister.list_ids(collection).ids
        trash = lister.list_ids(collection, {"status": "trash"}).ids
    found = _Findings(kind, listed=len(live) + len(trash))
    for batch in state.iter_held_ids(connector_id, variations=False if kind == "product" else None):
        found.held += len(batch)
        for record_id in batch:
            if record_id in trash:
                found.trashed.append(str(record_id))
            elif record_id not in live:
                found.gone.append(str(record_id))
    if kind == "product":
        _find_variations(state, connector_id, lister, live, found, read)
    return found


def _find_variations(
    state: DeletionStateRepository,
    connector_id: UUID,
    lister: IdLister,
    live_products: set[int],
    found: _Findings,
    read: PassListing | None,
) -> None:
    """Variations of the variable products the shop still lists; those of a product gone
    or trashed go with it (`mark_deleted` marks a product's variations too). The parents
    whose variations this sync read whole are not listed again."""
    held = state.held_variations(connector_id)
    parents = [p for p in held if p in live_products]
    found.held += sum(len(v) for v in held.values())
    read_whole = read.variations if read is not None else {}
    for parent in [p for p in parents if p in read_whole]:
        ids = set(read_whole[parent])
        found.listed += len(ids)
        found.gone += [str(v) for v in sorted(held[parent] - ids)]
    to_list = [p for p in parents if p not in read_whole]
    with ThreadPoolExecutor(max(1, lister.concurrency)) as executor:
        listings = executor.map(
            lambda parent: lister.list_ids(f"/products/{parent}/variations"), to_list
        )
        for parent, listing in zip(to_list, listings, strict=True):
            found.listed += listing.total
            found.gone += [str(v) for v in sorted(held[parent] - listing.ids)]
