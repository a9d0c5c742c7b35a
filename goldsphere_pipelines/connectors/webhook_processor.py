"""Applying stored webhook deliveries: the same raw-record and mapping services as a sync.

A pass takes one connector's webhook pass lock (a sync holds it for its whole run, so the
two never write the connector's rows at once), claims a batch of due deliveries, keeps
the newest payload of each record (by `date_modified_gmt`, never older than the stored
one), stores them as `external_product`/`external_order` rows, maps the connector's
pending rows exactly as a sync's map steps do, and records each delivery's outcome.
An order whose products are not known yet waits and is tried again; a pass that dies
leaves its claims to the next pass. Nothing here knows Dagster: `report` receives each
pass's counts (the Dagster layer turns them into asset materializations).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

import orjson
from sqlalchemy.engine import Engine

from goldsphere_pipelines.connectors.configuration import get_connector
from goldsphere_pipelines.connectors.deletions import mark_deleted, mark_restored
from goldsphere_pipelines.connectors.models import Connector
from goldsphere_pipelines.connectors.raw_records import RecordError, to_raw_record
from goldsphere_pipelines.connectors.stats import StepStats
from goldsphere_pipelines.connectors.sync_settings import SyncSettings
from goldsphere_pipelines.connectors.transform import map_pending_orders, map_pending_products
from goldsphere_pipelines.storage.external_records import ExternalRecordRepository, RawRecord
from goldsphere_pipelines.storage.locks import webhook_pass_lock
from goldsphere_pipelines.storage.sync_state import StoreFactsRepository
from goldsphere_pipelines.storage.webhooks import (
    ClaimedDelivery,
    DeliveryOutcome,
    WebhookRepository,
)

logger = logging.getLogger(__name__)

Kind = Literal["product", "order"]
DEFAULT_BATCH_SIZE = 500
IDLE_POLL_SECONDS = 0.1
MAX_RETRY_SECONDS = 300.0


@dataclass
class PassReport:
    """What one pass did for one connector; `report` callbacks receive it."""

    connector_id: UUID
    connector_name: str
    deliveries: int = 0
    applied: int = 0
    stale: int = 0
    failed: int = 0
    waiting: int = 0
    deleted: int = 0
    restored: int = 0
    products: dict[str, int] = field(default_factory=dict)
    orders: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def counts(self) -> dict[str, Any]:
        return {
            "deliveries": self.deliveries,
            "applied": self.applied,
            "stale": self.stale,
            "failed": self.failed,
            "waiting": self.waiting,
            "deleted": self.deleted,
            "restored": self.restored,
            "products": self.products,
            "orders": self.orders,
            "seconds": round(self.seconds, 3),
        }


Reporter = Callable[[PassReport], None]


@dataclass
class _Change:
    """The newest payload of one record in a batch, and the deliveries it stands for."""

    record: RawRecord
    delivery: int
    attempts: int
    restore: bool = False
    superseded: list[int] = field(default_factory=list)
    twins: list[int] = field(default_factory=list)
    """Deliveries of the very same payload (another subscription, a resend): they share
    this delivery's outcome."""


@dataclass
class _Batch:
    outcomes: dict[int, DeliveryOutcome] = field(default_factory=dict)
    changes: dict[tuple[Kind, str], _Change] = field(default_factory=dict)
    deletions: dict[tuple[Kind, str], list[int]] = field(default_factory=dict)

    def fail(self, delivery: ClaimedDelivery, message: str) -> None:
        self.outcomes[delivery.id] = DeliveryOutcome(delivery.id, "failed", message[:1000])


def _parse(batch: _Batch, delivery: ClaimedDelivery) -> None:
    kind_text, _, event = delivery.topic.partition(".")
    kind: Kind = "product" if kind_text == "product" else "order"
    try:
        payload = orjson.loads(delivery.body)
    except orjson.JSONDecodeError as exc:
        batch.fail(delivery, f"The delivery's body is not JSON ({exc}); nothing was applied.")
        return
    if event == "deleted":
        record_id = payload.get("id") if isinstance(payload, dict) else None
        if isinstance(record_id, bool) or not isinstance(record_id, int) or record_id <= 0:
            batch.fail(delivery, 'A *.deleted delivery must be {"id": N}; it has no usable id.')
            return
        batch.deletions.setdefault((kind, str(record_id)), []).append(delivery.id)
        return
    parent = payload.get("parent_id") if isinstance(payload, dict) and kind == "product" else None
    parent_id = str(parent) if isinstance(parent, int) and parent > 0 else None
    converted = to_raw_record(kind, payload, parent_external_id=parent_id)
    if isinstance(converted, RecordError):
        batch.fail(delivery, f"{converted.field}: {converted.message}")
        return
    key = (kind, converted.external_id)
    change = _Change(converted, delivery.id, delivery.attempts, restore=event == "restored")
    earlier = batch.changes.get(key)
    if earlier is not None and earlier.record.payload_hash == converted.payload_hash:
        earlier.twins.append(delivery.id)
        earlier.restore = earlier.restore or change.restore
    elif earlier is None:
        batch.changes[key] = change
    elif _newer(converted.date_modified_gmt, earlier.record.date_modified_gmt):
        change.superseded = [*earlier.superseded, earlier.delivery]
        change.restore = change.restore or earlier.restore
        batch.changes[key] = change
    else:
        earlier.superseded.append(delivery.id)
        earlier.restore = earlier.restore or change.restore


def _newer(candidate: datetime | None, than: datetime | None) -> bool:
    """A later arrival wins unless its modified date is older (dates are whole seconds)."""
    if candidate is None or than is None:
        return True
    return candidate >= than


class WebhookProcessor:
    """Applies stored deliveries, connector by connector; safe to run in several processes."""

    def __init__(
        self,
        engine: Engine,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        settings: SyncSettings | None = None,
        report: Reporter | None = None,
    ) -> None:
        self._engine = engine
        self._batch_size = batch_size
        self._settings = settings or SyncSettings()
        self._report = report
        self._deliveries = WebhookRepository(engine)

    def run_once(self) -> list[PassReport]:
        """One pass over every connector with due deliveries."""
        reports = []
        for connector_id in self._deliveries.connectors_with_work():
            report = self.process_connector(connector_id)
            if report is not None:
                reports.append(report)
        return reports

    def run_until_idle(self, *, timeout: float = 60.0) -> list[PassReport]:
        """Passes until no delivery is due (waiting ones are not due yet) or `timeout`."""
        deadline = time.monotonic() + timeout
        reports: list[PassReport] = []
        while time.monotonic() < deadline:
            done = self.run_once()
            if not done:
                return reports
            reports += done
        return reports

    def run_forever(self, stop: threading.Event) -> None:
        """Poll for deliveries until `stop` is set; an error is logged and the loop goes on."""
        while not stop.is_set():
            try:
                busy = bool(self.run_once())
            except Exception:
                logger.exception("A webhook pass failed; its deliveries are retried.")
                busy = False
            if not busy:
                stop.wait(IDLE_POLL_SECONDS)

    def start(self) -> tuple[threading.Thread, threading.Event]:
        """`run_forever` in a daemon thread; set the event to stop it."""
        stop = threading.Event()
        thread = threading.Thread(
            target=self.run_forever, args=(stop,), name="webhook-processor", daemon=True
        )
        thread.start()
        return thread, stop

    def process_connector(self, connector_id: UUID) -> PassReport | None:
        """One batch of one connector; None when there was nothing to do or a sync (or
        another pass) holds the connector."""
        connector = get_connector(self._engine, connector_id)
        if connector.is_disabled:
            return None
        with webhook_pass_lock(self._engine, connector_id) as acquired:
            if not acquired:
                return None
            started = time.monotonic()
            self._deliveries.release_abandoned(connector_id)
            claimed = self._deliveries.claim(connector_id, self._batch_size)
            if not claimed:
                return None
            report = PassReport(connector_id, connector.name, deliveries=len(claimed))
            outcomes = self._apply(connector, claimed, report)
            self._deliveries.finish(outcomes)
            for outcome in outcomes:
                setattr(report, outcome.status, getattr(report, outcome.status) + 1)
            report.seconds = time.monotonic() - started
        if self._report is not None:
            try:
                self._report(report)
            except Exception:
                logger.exception("Reporting a webhook pass of %s failed.", connector.name)
        return report

    def _apply(
        self, connector: Connector, claimed: list[ClaimedDelivery], report: PassReport
    ) -> list[DeliveryOutcome]:
        batch = _Batch()
        for delivery in claimed:
            _parse(batch, delivery)
        by_id = {d.id: d for d in claimed}
        for kind in ("product", "order"):
            self._store_changes(connector, kind, batch, by_id)
        self._apply_deletions(connector, batch, report)
        self._map(connector, batch, report)
        for change in batch.changes.values():
            outcome = batch.outcomes[change.delivery]
            for twin in change.twins:
                batch.outcomes[twin] = DeliveryOutcome(
                    twin, outcome.status, outcome.error, outcome.retry_in_seconds
                )
        return [batch.outcomes[d.id] for d in claimed]

    def _store_changes(
        self,
        connector: Connector,
        kind: Kind,
        batch: _Batch,
        by_id: dict[int, ClaimedDelivery],
    ) -> None:
        changes = {eid: c for (k, eid), c in batch.changes.items() if k == kind}
        if not changes:
            return
        enabled = connector.sync_products if kind == "product" else connector.sync_orders
        stored = self._deliveries.stored_modified(kind, connector.id, list(changes))
        to_write: list[RawRecord] = []
        for external_id, change in changes.items():
            for older in change.superseded:
                batch.outcomes[older] = DeliveryOutcome(
                    older, "stale", "A newer delivery of the same record came in the same batch."
                )
            if not enabled:
                batch.fail(
                    by_id[change.delivery],
                    f"{kind.capitalize()} sync is turned off for this connector; not applied.",
                )
                continue
            known = stored.get(external_id)
            incoming = change.record.date_modified_gmt
            if known is not None and incoming is not None and incoming < known:
                batch.outcomes[change.delivery] = DeliveryOutcome(
                    change.delivery,
                    "stale",
                    f"Older than the stored {kind} (modified {incoming.isoformat()} < "
                    f"{known.isoformat()}); the stored one stays.",
                )
                continue
            to_write.append(change.record)
        records = ExternalRecordRepository(self._engine, kind)
        counts = records.upsert_raw(connector.id, to_write)
        if kind == "product" and counts.changed_ids:
            records.requeue_children(connector.id, counts.changed_ids)

    def _apply_deletions(self, connector: Connector, batch: _Batch, report: PassReport) -> None:
        """`*.deleted` through the deletion model, unless a restore of the record arrived
        after it in the same batch; a restore after the stored payload clears the state."""
        for kind in ("product", "order"):
            restored = [
                eid
                for (k, eid), change in batch.changes.items()
                if k == kind and change.restore and change.delivery not in batch.outcomes
            ]
            if restored:
                report.restored += len(mark_restored(self._engine, connector.id, kind, restored))
            to_delete: list[str] = []
            for (k, external_id), deliveries in batch.deletions.items():
                if k != kind:
                    continue
                change = batch.changes.get((kind, external_id))
                undone = change is not None and change.restore and change.delivery > max(deliveries)
                for delivery in deliveries:
                    batch.outcomes[delivery] = (
                        DeliveryOutcome(delivery, "stale", "A later restore of the record won.")
                        if undone
                        else DeliveryOutcome(delivery, "applied")
                    )
                if not undone:
                    to_delete.append(external_id)
            if to_delete:
                marked = mark_deleted(self._engine, connector.id, kind, to_delete, "webhook")
                report.deleted += len(marked)

    def _map(self, connector: Connector, batch: _Batch, report: PassReport) -> None:
        kinds = {kind for kind, _ in batch.changes} | {kind for kind, _ in batch.deletions}
        if "product" in kinds:
            currency = StoreFactsRepository(self._engine).get(connector.id).currency
            if currency is None:
                for (kind, _), change in batch.changes.items():
                    if kind == "product" and change.delivery not in batch.outcomes:
                        batch.outcomes[change.delivery] = DeliveryOutcome(
                            change.delivery,
                            "waiting",
                            "The store currency is unknown: run "
                            f"`goldsphere connectors test {connector.name}` or a sync.",
                            retry_in_seconds=30.0,
                        )
            else:
                stats = map_pending_products(
                    self._engine, connector.id, self._settings, store_currency=currency
                )
                report.products = _mapping_counts(stats)
        # Orders waiting for a product are mapped again whenever products changed.
        orders_due = "order" in kinds or (
            "product" in kinds
            and ExternalRecordRepository(self._engine, "order").count_awaiting_dependency(
                connector.id
            )
        )
        if orders_due and connector.sync_orders:
            stats = map_pending_orders(self._engine, connector.id, self._settings)
            report.orders = _mapping_counts(stats)
        self._record_outcomes(connector, batch)

    def _record_outcomes(self, connector: Connector, batch: _Batch) -> None:
        for kind in ("product", "order"):
            pending = {
                eid: change
                for (k, eid), change in batch.changes.items()
                if k == kind and change.delivery not in batch.outcomes
            }
            states = self._deliveries.record_states(kind, connector.id, list(pending))
            for external_id, change in pending.items():
                status, awaiting, message = states.get(external_id, ("pending", False, None))
                delivery = change.delivery
                if status == "mapped" or (
                    status == "deleted" and (kind, external_id) in batch.deletions
                ):
                    batch.outcomes[delivery] = DeliveryOutcome(delivery, "applied")
                elif status == "deleted":
                    batch.outcomes[delivery] = DeliveryOutcome(
                        delivery,
                        "stale",
                        f"The {kind} is deleted; its payload is stored and it stays deleted "
                        f"until the shop restores it.",
                    )
                elif awaiting or (message and "has not been imported" in message):
                    batch.outcomes[delivery] = DeliveryOutcome(
                        delivery, "waiting", message, retry_in_seconds=_retry_delay(change)
                    )
                elif status == "failed":
                    batch.outcomes[delivery] = DeliveryOutcome(
                        delivery, "failed", f"Mapping failed: {message or 'see the record'}"
                    )
                else:
                    batch.outcomes[delivery] = DeliveryOutcome(
                        delivery, "waiting", "Not mapped yet.", retry_in_seconds=1.0
                    )


def _retry_delay(change: _Change) -> float:
    # One second, then doubling: an order usually waits for a product delivery that is
    # already on its way; one whose product never comes stops costing passes.
    return float(min(2 ** max(change.attempts - 1, 0), MAX_RETRY_SECONDS))


def _mapping_counts(stats: StepStats) -> dict[str, int]:
    return {
        "mapped": stats.mapped,
        "failed": stats.failed,
        "awaiting_dependency": stats.awaiting_dependency,
    }
