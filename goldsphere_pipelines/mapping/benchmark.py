"""How fast orders map: `python -m goldsphere_pipelines.mapping.benchmark [N] [ROUNDS]`.

Prints figures (CPU time per order, median of the rounds); asserts nothing. The payloads
are shaped like the documented WooCommerce example orders (`woocommerce-examples/
orders.json`): two to four line items, shipping, tax, billing e-mail, with ids and
amounts varied per order so no cache flatters them.
"""

from __future__ import annotations

import statistics
import sys
import time
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from goldsphere_pipelines.mapping.lookups import OrderLookups
from goldsphere_pipelines.mapping.normalize import normalize_email
from goldsphere_pipelines.mapping.orders import map_order, map_order_reference
from goldsphere_pipelines.mapping.rules import compile_rules

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


if __name__ == "__main__":
    run_mapping_benchmark(
        int(sys.argv[1]) if len(sys.argv) > 1 else 10_000,
        int(sys.argv[2]) if len(sys.argv) > 2 else 5,
    )
