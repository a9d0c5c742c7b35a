"""Transform: map pending external rows into goldsphere products and orders, batch by batch.

Lookups (metals, product types, producers, users, product references) are loaded once per
step, not per record. Each batch is one transaction: the goldsphere rows, their
external_reference rows and the external rows' status and errors commit together, so a
crash never leaves a half-written batch.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Collection
from dataclasses import replace
from functools import partial
from typing import Any, TypeVar
from uuid import UUID

from sqlalchemy.engine import Connection, Engine

from goldsphere_pipelines.connectors.stats import StepStats
from goldsphere_pipelines.connectors.sync_settings import SyncSettings
from goldsphere_pipelines.connectors.write_behind import WriteBehind
from goldsphere_pipelines.mapping import (
    CompiledMapping,
    GoneProducts,
    MappedOrder,
    MappedProduct,
    OrderLookups,
    ProductLookups,
    RuleSpec,
    compile_rules,
    map_order,
    map_product,
    normalize_email,
    normalize_name,
    order_fields_read,
)
from goldsphere_pipelines.mapping.inference import planned_producer_id
from goldsphere_pipelines.mapping.shop_hints import CatalogueGroup, ShopHints
from goldsphere_pipelines.storage.engine import batch_transaction
from goldsphere_pipelines.storage.external_records import (
    ExternalRecordRepository,
    MappingOutcome,
    PendingRecord,
    RecordKind,
)
from goldsphere_pipelines.storage.goldsphere import (
    GoldsphereRepository,
    NewProducerRow,
    OrderItemRow,
    OrderRow,
    ProductRow,
    reference_source,
)
from goldsphere_pipelines.storage.gone_products import GoneProductRepository
from goldsphere_pipelines.storage.mapping_rules import MappingRuleRepository

logger = logging.getLogger(__name__)

Progress = Callable[[StepStats], None] | None
Row = TypeVar("Row")


def _rules(engine: Engine, connector_id: UUID, entity: str) -> CompiledMapping:
    stored = MappingRuleRepository(engine).list_rules(connector_id, entity)
    specs = [
        RuleSpec(source_field=r.source_field, target_field=r.target_field, transform=r.transform)
        for r in stored
    ]
    return compile_rules(entity, specs)  # type: ignore[arg-type]


def _unexpected(exc: Exception) -> list[dict[str, Any]]:
    # The mapper promises never to raise; if it does, that record fails, the sync goes on.
    return [
        {
            "field": "$",
            "code": "internal_mapping_error",
            "message": f"The mapper failed on this record ({type(exc).__name__}); "
            "please report it with the record's id.",
        }
    ]


def _note_failure(
    stats: StepStats, entity: str, external_id: str, errors: list[dict[str, Any]]
) -> None:
    stats.failed += 1
    stats.note_failed(errors)
    for error in errors:
        stats.record_error({"entity": entity, "externalId": external_id, **error})


def product_lookups(goldsphere: GoldsphereRepository) -> ProductLookups:
    ref = goldsphere.reference_data()
    metals: dict[str, UUID] = {}
    for name, symbol, metal_id in ref.metals:
        metals[normalize_name(name)] = metal_id
        if symbol:
            metals[normalize_name(symbol)] = metal_id
    return ProductLookups(
        metals=metals,
        product_types={normalize_name(n): i for n, i in ref.product_types},
        producers={normalize_name(n): i for n, i in ref.producers},
    )


def _nothing_pending(stats: StepStats, started: float) -> StepStats:
    # A re-sync of an unchanged shop: loading the lookups and compiling the rules would be
    # most of the step (0.4 s for a shop of 100,000 orders), for no record.
    stats.seconds = time.monotonic() - started
    return stats


MappedBatch = tuple[Callable[[Connection], object], list[MappingOutcome]]
"""How to write a batch's goldsphere rows (inside the batch's transaction), and the
outcome of each external row of the batch."""


def map_pending_products(
    engine: Engine,
    connector_id: UUID,
    settings: SyncSettings,
    *,
    store_currency: str,
    create_missing_producers: bool = True,
    progress: Progress = None,
) -> StepStats:
    """Map every pending product. With `create_missing_producers`, a producer the bullion
    knowledge file names but goldsphere lacks is created before the first product that
    needs it is written, and named in `stats.producers_created`."""
    started = time.monotonic()
    stats = StepStats(mode="pending")
    records = ExternalRecordRepository(engine, "product")
    if not records.has_pending(connector_id):
        return _nothing_pending(stats, started)
    goldsphere = GoldsphereRepository(engine)
    lookups = replace(
        product_lookups(goldsphere), create_missing_producers=create_missing_producers
    )
    producer_ids: dict[str, UUID | None] = {}
    mapping = _rules(engine, connector_id, "product")
    source = reference_source(connector_id)

    def map_batch(batch: list[PendingRecord]) -> MappedBatch:
        parents = records.raw_payloads(
            connector_id, sorted({r.parent_external_id for r in batch if r.parent_external_id})
        )
        rows, outcomes = _map_each(
            batch,
            lambda record: _map_one_product(record, parents, store_currency, mapping, lookups),
            stats,
            "product",
        )
        rows, outcomes = _with_new_producers(goldsphere, rows, outcomes, producer_ids, stats)
        return partial(goldsphere.upsert_products, source=source, products=rows), outcomes

    _map_pending(engine, connector_id, "product", settings, map_batch, progress, stats)
    stats.seconds = time.monotonic() - started
    return stats


def _with_new_producers(
    goldsphere: GoldsphereRepository,
    rows: list[ProductRow],
    outcomes: list[MappingOutcome],
    producer_ids: dict[str, UUID | None],
    stats: StepStats,
) -> tuple[list[ProductRow], list[MappingOutcome]]:
    """Create the producers this batch's products need and point the products at them.

    Created in their own transaction before the batch is written: a producer without
    products is harmless, a product without its producer cannot be stored.
    """
    wanted: dict[str, NewProducerRow] = {}
    for outcome in outcomes:
        new = (outcome.mapped_payload or {}).get("new_producer")
        if new and new["name"] not in producer_ids:
            wanted[new["name"]] = NewProducerRow(
                id=planned_producer_id(new["name"]),
                name=new["name"],
                country_code=new["country_code"],
                country_name=new["country_name"],
            )
    if wanted:
        before = set(producer_ids)
        found = goldsphere.ensure_producers(list(wanted.values()))
        producer_ids.update(found)
        for name, producer_id in found.items():
            if name not in before and producer_id == wanted[name].id:
                stats.producers_created.append(name)
                logger.info("Created producer %r from the bullion knowledge file", name)
    if not any((o.mapped_payload or {}).get("new_producer") for o in outcomes):
        return rows, outcomes
    by_id = {row.external_id: row for row in rows}
    kept_rows: list[ProductRow] = []
    new_outcomes: list[MappingOutcome] = []
    for outcome in outcomes:
        payload = outcome.mapped_payload or {}
        new = payload.get("new_producer")
        row = by_id.get(outcome.external_id)
        if not new or row is None:
            new_outcomes.append(outcome)
            continue
        producer_id = producer_ids.get(new["name"])
        if producer_id is None:
            errors = [
                {
                    "field": "producer",
                    "code": "unknown_producer",
                    "message": f"producer: {new['name']!r} exists in goldsphere but is "
                    "inactive; activate it, or add a product rule for target 'producer'.",
                    "value": new["name"],
                }
            ]
            stats.mapped -= 1
            _note_failure(stats, "product", outcome.external_id, errors)
            new_outcomes.append(MappingOutcome(outcome.external_id, "failed", None, errors))
            continue
        new_outcomes.append(
            replace(outcome, mapped_payload={**payload, "producer_id": str(producer_id)})
        )
        by_id[outcome.external_id] = replace(row, producer_id=producer_id)
    kept = {o.external_id for o in new_outcomes if o.status == "mapped"}
    kept_rows = [by_id[row.external_id] for row in rows if row.external_id in kept]
    return kept_rows, new_outcomes


def _map_each(
    batch: list[PendingRecord],
    map_one: Callable[[PendingRecord], tuple[MappingOutcome, Row | None]],
    stats: StepStats,
    entity: str,
) -> tuple[list[Row], list[MappingOutcome]]:
    """Map every record of a batch: the goldsphere rows to write, every record's outcome.
    A record mapped without a row is not sellable (a variable product's parent)."""
    rows: list[Row] = []
    outcomes: list[MappingOutcome] = []
    for record in batch:
        outcome, row = map_one(record)
        outcomes.append(outcome)
        if outcome.status == "failed":
            _note_failure(stats, entity, record.external_id, outcome.errors)
            if outcome.awaiting_dependency:
                stats.awaiting_dependency += 1
        elif row is None:
            stats.not_sellable += 1
        else:
            stats.mapped += 1
            rows.append(row)
            payload = outcome.mapped_payload or {}
            provenance = payload.get("provenance")
            if provenance:
                stats.note_mapped(record.external_id, payload, provenance)
    return rows, outcomes


def _map_pending(
    engine: Engine,
    connector_id: UUID,
    kind: RecordKind,
    settings: SyncSettings,
    map_batch: Callable[[list[PendingRecord]], MappedBatch],
    progress: Progress,
    stats: StepStats,
    fields: Collection[str] | None = None,
) -> None:
    """Every pending row of `kind`, batch by batch: each batch commits in a writer thread
    while the next one is mapped here, and the one after is read. `fields`: the payloads'
    top-level keys the mapper reads (None: all)."""
    records = ExternalRecordRepository(engine, kind)
    pending = records.iter_pending(
        connector_id, batch_size=settings.mapping_batch_size, fields=fields
    )
    with WriteBehind[None](lambda _: None, engine=engine) as writer:
        for batch in pending:
            write_rows, outcomes = map_batch(batch)
            writer.submit(partial(_commit_batch, engine, kind, connector_id, write_rows, outcomes))
            if progress is not None:
                progress(stats)


def _commit_batch(
    engine: Engine,
    kind: RecordKind,
    connector_id: UUID,
    write_rows: Callable[[Connection], object],
    outcomes: list[MappingOutcome],
) -> None:
    """One transaction: the goldsphere rows and their references, and the outcomes of the
    external rows they came from."""
    with batch_transaction(engine) as conn:
        write_rows(conn)
        ExternalRecordRepository(engine, kind).record_outcomes(conn, connector_id, outcomes)


def _map_one_product(
    record: PendingRecord,
    parents: dict[str, Any],
    store_currency: str,
    mapping: CompiledMapping,
    lookups: ProductLookups,
) -> tuple[MappingOutcome, ProductRow | None]:
    parent = parents.get(record.parent_external_id) if record.parent_external_id else None
    if record.parent_external_id and parent is None:
        errors = [
            {
                "field": "parent_id",
                "code": "parent_missing",
                "message": f"The variation's parent product {record.parent_external_id} "
                "has not been imported.",
            }
        ]
        return MappingOutcome(record.external_id, "failed", None, errors), None
    try:
        result = map_product(
            record.payload,
            parent=parent,
            store_currency=store_currency,
            mapping=mapping,
            lookups=lookups,
        )
    except Exception as exc:
        logger.exception("Mapping product %s raised", record.external_id)
        return MappingOutcome(record.external_id, "failed", None, _unexpected(exc)), None
    if result.errors:
        errors = [e.as_json() for e in result.errors]
        return MappingOutcome(record.external_id, "failed", None, errors), None
    if not result.sellable or result.product is None:
        return (
            MappingOutcome(
                record.external_id,
                "mapped",
                {"sellable": False, "reason": "variable parent: its variations are the products"},
                [],
            ),
            None,
        )
    return (
        MappingOutcome(record.external_id, "mapped", result.product.to_json(), []),
        _product_row(result.product),
    )


def _product_row(p: MappedProduct) -> ProductRow:
    return ProductRow(
        external_id=p.external_id,
        name=p.name,
        product_type_id=p.product_type_id,
        metal_id=p.metal_id,
        producer_id=p.producer_id,
        weight=p.weight,
        weight_unit=p.weight_unit,
        purity=p.purity,
        price=p.price,
        currency=p.currency,
        year=p.year,
        description=p.description,
        image_url=p.image_url or "",
        in_stock=p.in_stock,
        stock_quantity=p.stock_quantity,
    )


def order_lookups(engine: Engine, connector_id: UUID) -> OrderLookups:
    goldsphere = GoldsphereRepository(engine)
    return OrderLookups(
        users_by_email={normalize_email(e): i for e, i in goldsphere.users_by_email()},
        products_by_external_id=goldsphere.references(reference_source(connector_id), "product"),
        products_by_sku=goldsphere.products_by_sku(connector_id),
    )


def gone_products(
    engine: Engine,
    connector_id: UUID,
    lookups: OrderLookups,
    store_currency: str | None,
    *,
    create_missing_producers: bool = False,
    product_mapping: CompiledMapping | None = None,
) -> GoneProducts | None:
    """The products the shop answered 404 for and goldsphere has none of yet, each with the
    id its product built from an order line will get (the same in every batch of a step)."""
    known = lookups.products_by_external_id
    repository = GoneProductRepository(engine)
    gone = [i for i in repository.gone_ids(connector_id) if i not in known]
    if not gone or not store_currency:
        return None
    return GoneProducts(
        ids={external_id: uuid.uuid4() for external_id in gone},
        mapping=product_mapping or _rules(engine, connector_id, "product"),
        lookups=replace(
            product_lookups(GoldsphereRepository(engine)),
            create_missing_producers=create_missing_producers,
        ),
        store_currency=store_currency,
        shop_hints=ShopHints(
            (
                CatalogueGroup(g.producer, g.metal, g.product_type, g.purity, g.products)
                for g in repository.catalogue_groups(connector_id)
            ),
            skus=repository.producer_skus(connector_id),
        ),
    )


def map_pending_orders(
    engine: Engine,
    connector_id: UUID,
    settings: SyncSettings,
    *,
    store_currency: str | None = None,
    create_missing_producers: bool = False,
    progress: Progress = None,
) -> StepStats:
    """Map pending orders; `store_currency` (the products' currency) lets lines whose
    product is gone from the shop map to products built from the lines (creating the
    producers they need as products do, with `create_missing_producers`)."""
    started = time.monotonic()
    stats = StepStats(mode="pending")
    records = ExternalRecordRepository(engine, "order")
    if not records.has_pending(connector_id):
        return _nothing_pending(stats, started)
    stats.requeued = records.count_awaiting_dependency(connector_id)
    lookups = order_lookups(engine, connector_id)
    gone = gone_products(
        engine,
        connector_id,
        lookups,
        store_currency,
        create_missing_producers=create_missing_producers,
    )
    mapping = _rules(engine, connector_id, "order")
    source = reference_source(connector_id)
    goldsphere = GoldsphereRepository(engine)
    built: dict[UUID, ProductRow] = {}
    producer_ids: dict[str, UUID | None] = {}

    def map_batch(batch: list[PendingRecord]) -> MappedBatch:
        found: list[tuple[UUID, ProductRow, dict[str, str] | None]] = []
        line_products: list[MappedProduct] = []
        rows, outcomes = _map_each(
            batch,
            lambda record: _map_one_order(record, mapping, lookups, gone, found, line_products),
            stats,
            "order",
        )
        derived, rows, outcomes = _with_line_producers(
            goldsphere, found, rows, outcomes, producer_ids, stats
        )

        # The first line (in the order pending rows are read) to build a product decides
        # its values, and the product is committed here, before the batch goes to a writer:
        # two writers inserting the same new product each waited for the other's whole
        # batch (4.8 s of one large shop's sync, for 0.1 s of work). A product whose batch
        # then fails is harmless: the next sync finds it by its reference and maps to it.
        first_built: dict[UUID, ProductRow] = {}
        for internal, row in derived:
            if internal not in built:
                first_built.setdefault(internal, row)
        built.update(first_built)
        stats.products_from_lines += len(first_built)
        if first_built:
            with batch_transaction(engine) as conn:
                goldsphere.insert_order_line_products(conn, source, sorted(first_built.items()))
        if gone is not None:
            # Where each built product's fields came from (the line, or the shop's catalogue).
            noted: set[str] = set()
            for product in line_products:
                if (
                    gone.ids[product.external_id] in first_built
                    and product.external_id not in noted
                ):
                    noted.add(product.external_id)
                    stats.note_mapped(product.external_id, product.to_json(), product.provenance)

        return partial(goldsphere.upsert_orders, source=source, orders=rows), outcomes

    _map_pending(
        engine,
        connector_id,
        "order",
        settings,
        map_batch,
        progress,
        stats,
        fields=order_fields_read(mapping),
    )
    stats.seconds = time.monotonic() - started
    return stats


def _map_one_order(
    record: PendingRecord,
    mapping: CompiledMapping,
    lookups: OrderLookups,
    gone: GoneProducts | None,
    derived: list[tuple[UUID, ProductRow, dict[str, str] | None]],
    line_products: list[MappedProduct],
) -> tuple[MappingOutcome, OrderRow | None]:
    """Map one order; the products it built from lines are added to `derived` (as rows)
    and `line_products` (as mapped)."""
    try:
        result = map_order(record.payload, mapping=mapping, lookups=lookups, gone_products=gone)
    except Exception as exc:
        logger.exception("Mapping order %s raised", record.external_id)
        return MappingOutcome(record.external_id, "failed", None, _unexpected(exc)), None
    if result.errors or result.order is None:
        errors = [e.as_json() for e in result.errors]
        return (
            MappingOutcome(
                record.external_id,
                "failed",
                None,
                errors,
                awaiting_dependency=result.awaiting_dependency,
            ),
            None,
        )
    if gone is not None:
        derived.extend(
            (gone.ids[p.external_id], _product_row(p), p.new_producer)
            for p in result.derived_products
        )
        line_products.extend(result.derived_products)
    return (
        MappingOutcome(record.external_id, "mapped", result.order.to_json(), []),
        _order_row(result.order),
    )


def _with_line_producers(
    goldsphere: GoldsphereRepository,
    found: list[tuple[UUID, ProductRow, dict[str, str] | None]],
    rows: list[OrderRow],
    outcomes: list[MappingOutcome],
    producer_ids: dict[str, UUID | None],
    stats: StepStats,
) -> tuple[list[tuple[UUID, ProductRow]], list[OrderRow], list[MappingOutcome]]:
    """Products built from order lines, pointed at their producers (created first, as for
    products, when the knowledge file names one goldsphere lacks). An order whose built
    product's producer exists but is inactive fails instead of being written."""
    wanted = {
        new["name"]: NewProducerRow(
            id=planned_producer_id(new["name"]),
            name=new["name"],
            country_code=new["country_code"],
            country_name=new["country_name"],
        )
        for _, _, new in found
        if new and new["name"] not in producer_ids
    }
    if wanted:
        created = goldsphere.ensure_producers(list(wanted.values()))
        producer_ids.update(created)
        stats.producers_created += [name for name, pid in created.items() if pid == wanted[name].id]
    derived: list[tuple[UUID, ProductRow]] = []
    refused: set[UUID] = set()
    for internal, row, new in found:
        if not new:
            derived.append((internal, row))
        elif (producer_id := producer_ids.get(new["name"])) is not None:
            derived.append((internal, replace(row, producer_id=producer_id)))
        else:
            refused.add(internal)
    if not refused:
        return derived, rows, outcomes
    failing = {row.external_id for row in rows if any(i.product_id in refused for i in row.items)}
    error = {
        "field": "items[*].product_id",
        "code": "unknown_producer",
        "message": "items: a product built from a line whose product is gone names a "
        "producer that exists in goldsphere but is inactive; activate it, or add a "
        "product rule for target 'producer'.",
    }
    kept_outcomes = [
        MappingOutcome(o.external_id, "failed", None, [error]) if o.external_id in failing else o
        for o in outcomes
    ]
    stats.mapped -= len(failing)
    for external_id in sorted(failing):
        _note_failure(stats, "order", external_id, [error])
    return derived, [r for r in rows if r.external_id not in failing], kept_outcomes


def _order_row(o: MappedOrder) -> OrderRow:
    return OrderRow(
        external_id=o.external_id,
        user_id=o.user_id,
        type=o.type,
        order_status=o.order_status,
        payment_status=o.payment_status,
        paid_at=o.paid_at,
        created_at=getattr(o, "created_at", None),
        items=[
            OrderItemRow(
                product_id=i.product_id,
                product_name=i.product_name,
                quantity=i.quantity,
                unit_price=i.unit_price,
                total_price=i.total_price,
            )
            for i in o.items
        ],
    )


# What mapping one product record gives, exactly as the pipeline maps it (the rules
# doctor previews with this); writes nothing.
product_outcome = _map_one_product


def order_outcome(
    record: PendingRecord,
    mapping: CompiledMapping,
    lookups: OrderLookups,
    gone: GoneProducts | None,
) -> MappingOutcome:
    """What mapping one order record gives, exactly as the pipeline maps it; writes nothing."""
    return _map_one_order(record, mapping, lookups, gone, [], [])[0]
