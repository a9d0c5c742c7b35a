"""How fast orders and products map, in-process, by CPU time.

    python -m goldsphere_pipelines.mapping.benchmark [orders] [N] [ROUNDS]   # N orders
    python -m goldsphere_pipelines.mapping.benchmark products [N] [DIALECT]  # N products

Prints figures (CPU time per record, median of the rounds); asserts nothing. The orders
are shaped like the documented WooCommerce example orders (`woocommerce-examples/
orders.json`): two to four line items, shipping, tax, billing e-mail, with ids and
amounts varied per order so no cache flatters them.
The products are the sandbox store's catalogue as `goldsphere bench` builds it (seed 7,
10 % variable products of 5 variations, `classic` dialect unless named), each product
and variation mapped through `map_product` as the pipeline maps it (a variation with its
parent), against goldsphere's reference data.
"""

from __future__ import annotations

import statistics
import sys
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4, uuid5

from goldsphere_pipelines.mapping.lookups import OrderLookups, ProductLookups
from goldsphere_pipelines.mapping.normalize import normalize_email
from goldsphere_pipelines.mapping.orders import map_order, map_order_reference
from goldsphere_pipelines.mapping.products import map_product
from goldsphere_pipelines.mapping.rules import compile_rules
from goldsphere_pipelines.mapping.targets import (
    DEFAULT_METALS,
    DEFAULT_PRODUCERS,
    DEFAULT_PRODUCT_TYPES,
)

N_PRODUCTS = 500
N_USERS = 2000


def example_order(number: int) -> dict[str, Any]:
    """One order shaped like WooCommerce's documented example, varied by `number`."""
    lines = []
    subtotal = Decimal(0)
    for line in range(2 + number % 3):
        quantity = 1 + (number + line) % 4
        unit = Decimal(1000 + (number * 7 + line * 13) % 5000) / 100
        total = unit * quantity
        subtotal += total
        product = (number + line) % N_PRODUCTS
        lines.append(
            {
                "id": number * 10 + line,
                "name": f"1 oz Gold Coin &ndash; Edition {product}",
                "product_id": 1000 + product,
                "variation_id": 0 if line % 2 else 5000 + product,
                "quantity": quantity,
                "tax_class": "",
                "subtotal": f"{total:.2f}",
                "subtotal_tax": "0.00",
                "total": f"{total:.2f}",
                "total_tax": "0.00",
                "taxes": [],
                "meta_data": [],
                "sku": f"SKU-{product}",
                "price": float(unit),
            }
        )
    tax = (subtotal * Decimal("0.075")).quantize(Decimal("0.01"))
    return {
        "id": 100000 + number,
        "parent_id": 0,
        "number": str(100000 + number),
        "status": ("processing", "completed", "on-hold", "pending", "cancelled")[number % 5],
        "currency": "USD",
        "date_created_gmt": "2025-03-22T19:28:02",
        "date_modified_gmt": "2025-03-22T19:28:08",
        "discount_total": "0.00",
        "shipping_total": "10.00",
        "total": f"{subtotal + 10 + tax:.2f}",
        "total_tax": f"{tax:.2f}",
        "billing": {"first_name": "John", "email": f"Customer{number % N_USERS}@Example.com "},
        "payment_method": "bacs",
        "date_paid_gmt": "2025-03-22T19:28:08" if number % 2 else None,
        "meta_data": [{"id": 1, "key": "_order_stock_reduced", "value": "yes"}],
        "line_items": lines,
        "tax_lines": [],
        "shipping_lines": [{"id": 1, "method_id": "flat_rate", "total": "10.00"}],
        "fee_lines": [],
        "coupon_lines": [],
        "refunds": [],
    }


def example_lookups() -> OrderLookups:
    products: dict[str, UUID] = {}
    for product in range(N_PRODUCTS):
        products[str(1000 + product)] = uuid4()
        products[str(5000 + product)] = uuid4()
    users = {normalize_email(f"customer{n}@example.com"): uuid4() for n in range(N_USERS)}
    return OrderLookups(users_by_email=users, products_by_external_id=products)


def run_mapping_benchmark(n_orders: int = 10_000, rounds: int = 5) -> dict[str, float | int]:
    """Map `n_orders` example orders `rounds` times; print and return counts and timings.

    Timings are CPU time of this process (a shared machine's other work does not count),
    the median over the rounds: `map_order` alone, `map_order` and the mapped payload as
    JSON (what the pipeline stores), and one round by the general engine alone
    (`map_order_reference`: every rule step by step, every model validated).
    """
    orders = [example_order(number) for number in range(n_orders)]
    lookups = example_lookups()
    started = time.perf_counter()
    mapping = compile_rules("order")
    map_order(orders[0], mapping=mapping, lookups=lookups)  # compiles the order rules
    compiled = time.perf_counter()
    mapped = items = 0
    wall: list[float] = []
    cpu: list[float] = []
    cpu_with_json: list[float] = []
    for _ in range(max(rounds, 1)):
        wall_start, cpu_start = time.perf_counter(), time.process_time()
        for order in orders:
            result = map_order(order, mapping=mapping, lookups=lookups)
        cpu.append(time.process_time() - cpu_start)
        wall.append(time.perf_counter() - wall_start)
        cpu_start = time.process_time()
        mapped = items = 0
        for order in orders:
            result = map_order(order, mapping=mapping, lookups=lookups)
            if result.order is not None:
                result.order.to_json()
                mapped += 1
                items += len(result.order.items)
        cpu_with_json.append(time.process_time() - cpu_start)
    failed = n_orders - mapped
    reference_start = time.process_time()
    for order in orders:
        map_order_reference(order, mapping=mapping, lookups=lookups)
    reference_cpu = time.process_time() - reference_start
    per_order = 1e6 / max(n_orders, 1)
    seconds = statistics.median(wall)
    cpu_seconds = statistics.median(cpu)
    figures: dict[str, float | int] = {
        "orders": n_orders,
        "items": items,
        "mapped": mapped,
        "failed": failed,
        "rounds": len(cpu),
        "compile_ms": round((compiled - started) * 1000, 2),
        "seconds": round(seconds, 3),
        "ms_per_thousand_orders": round(seconds * 1000 / max(n_orders, 1) * 1000, 1),
        "orders_per_second": round(n_orders / seconds) if seconds else 0,
        "cpu_us_per_order": round(cpu_seconds * per_order, 1),
        "cpu_us_per_order_with_json": round(statistics.median(cpu_with_json) * per_order, 1),
        "orders_per_cpu_second": round(n_orders / cpu_seconds) if cpu_seconds else 0,
        "general_engine_cpu_us_per_order": round(reference_cpu * per_order, 1),
    }
    print(
        f"mapped {mapped} of {n_orders} orders ({items} items, {failed} failed); "
        f"CPU per order, median of {len(cpu)} rounds: {figures['cpu_us_per_order']} µs "
        f"({figures['orders_per_cpu_second']} orders per CPU second), "
        f"{figures['cpu_us_per_order_with_json']} µs with the mapped payload as JSON; "
        f"general engine alone {figures['general_engine_cpu_us_per_order']} µs; "
        f"wall {figures['ms_per_thousand_orders']} ms per thousand orders"
    )
    return figures


# --- products ----------------------------------------------------------------------------

_REFERENCE_IDS = UUID("2b0c7f0e-4f7e-4d35-9a51-0d9c5f1e8a10")


@dataclass(frozen=True, slots=True)
class CatalogueRecord:
    """One record as the pipeline maps it: a product, or a variation with its parent."""

    payload: dict[str, Any]
    parent: dict[str, Any] | None


def sandbox_catalogue(
    n_products: int = 2000, dialect: str = "classic"
) -> tuple[list[CatalogueRecord], str]:
    """The sandbox store's products and variations as `goldsphere bench` lists them, and the
    store's currency."""
    from goldsphere_pipelines.sandbox import SandboxConfig, SandboxStore

    store = SandboxStore(
        SandboxConfig(
            products=n_products,
            variable_share=0.1,
            variations_per_product=5,
            orders=0,
            customers=1,
            seed=7,
            dialect=dialect,
        )
    )
    records: list[CatalogueRecord] = []
    for product_id in store.product_ids():
        product = store.product(product_id)
        records.append(CatalogueRecord(product, None))
        records.extend(
            CatalogueRecord(store.variation(v), product) for v in store.variations_of(product_id)
        )
    return records, store.config.currency


def reference_lookups(*, create_missing_producers: bool = True) -> ProductLookups:
    """goldsphere's reference data as the core migration loads it (the pipeline reads the
    same rows), with the connector's default `create_missing_producers`."""
    names, symbols = DEFAULT_METALS[:4], DEFAULT_METALS[4:]  # Gold … Platinum, then AU … PT
    lookups = ProductLookups.from_reference(
        metals=[(uuid5(_REFERENCE_IDS, n), n, s) for n, s in zip(names, symbols, strict=True)],
        product_types=[(uuid5(_REFERENCE_IDS, n), n) for n in DEFAULT_PRODUCT_TYPES],
        producers=[(uuid5(_REFERENCE_IDS, n), n) for n in DEFAULT_PRODUCERS],
    )
    return ProductLookups(
        metals=lookups.metals,
        product_types=lookups.product_types,
        producers=lookups.producers,
        create_missing_producers=create_missing_producers,
    )


def run_product_benchmark(
    n_products: int = 2000, dialect: str = "classic", rounds: int = 5
) -> dict[str, Any]:
    """Map the sandbox catalogue `rounds` times; print and return counts and CPU timings.

    Per record (product, variation or variable parent), in CPU microseconds: the first
    round (caches cold, as in a sync) and the median of the rounds after it, for
    `map_product` alone and with `to_json` (what the pipeline stores)."""
    records, currency = sandbox_catalogue(n_products, dialect)
    mapping, lookups = compile_rules("product"), reference_lookups()
    counts = {"mapped": 0, "failed": 0, "not_sellable": 0}

    def one_round(store_json: bool) -> float:
        mapped = failed = not_sellable = 0
        started = time.process_time()
        for record in records:
            result = map_product(
                record.payload,
                parent=record.parent,
                store_currency=currency,
                mapping=mapping,
                lookups=lookups,
            )
            if result.product is not None:
                mapped += 1
                if store_json:
                    result.product.to_json()
            elif result.errors:
                failed += 1
            else:
                not_sellable += 1
        seconds = time.process_time() - started
        counts.update(mapped=mapped, failed=failed, not_sellable=not_sellable)
        return seconds * 1e6 / max(len(records), 1)

    plain, stored = [], []
    for _ in range(max(rounds, 2)):
        plain.append(one_round(False))
        stored.append(one_round(True))
    figures: dict[str, Any] = {
        "dialect": dialect,
        "records": len(records),
        **counts,
        "first_round_us_per_product": round(plain[0], 1),
        "us_per_product": round(statistics.median(plain[1:]), 1),
        "us_per_product_with_to_json": round(statistics.median(stored[1:]), 1),
    }
    print(
        f"mapped {counts['mapped']} of {len(records)} products and variations "
        f"({counts['not_sellable']} variable parents, {counts['failed']} failed), {dialect} "
        f"dialect: {figures['us_per_product']} µs per product CPU (median of "
        f"{len(plain) - 1} rounds; first round {figures['first_round_us_per_product']}), "
        f"{figures['us_per_product_with_to_json']} with to_json"
    )
    return figures


def main(argv: list[str]) -> None:
    if argv and argv[0] == "products":
        run_product_benchmark(
            int(argv[1]) if len(argv) > 1 else 2000, argv[2] if len(argv) > 2 else "classic"
        )
        return
    if argv and argv[0] == "orders":
        argv = argv[1:]
    run_mapping_benchmark(int(argv[0]) if argv else 10_000, int(argv[1]) if len(argv) > 1 else 5)


if __name__ == "__main__":
    main(sys.argv[1:])
