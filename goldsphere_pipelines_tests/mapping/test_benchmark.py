"""The benchmark runs and reports; its speed is printed, never asserted."""

from __future__ import annotations

from goldsphere_pipelines.mapping import compile_rules, map_order
from goldsphere_pipelines.mapping.benchmark import (
    example_lookups,
    example_order,
    run_mapping_benchmark,
    run_product_benchmark,
    sandbox_catalogue,
)


def test_benchmark_orders_are_valid_and_all_map() -> None:
    figures = run_mapping_benchmark(200)
    assert figures["orders"] == figures["mapped"] == 200
    assert figures["failed"] == 0
    assert figures["items"] >= 400


def test_benchmark_orders_reconcile() -> None:
    result = map_order(example_order(7), mapping=compile_rules("order"), lookups=example_lookups())
    assert result.errors == []


def test_product_benchmark_maps_the_sandbox_catalogue() -> None:
    figures = run_product_benchmark(40, "classic", rounds=2)
    records, _ = sandbox_catalogue(40, "classic")
    assert figures["records"] == len(records) > 40  # variations counted
    assert figures["mapped"] + figures["failed"] + figures["not_sellable"] == len(records)
    assert figures["not_sellable"] == sum(r.payload.get("type") == "variable" for r in records)
    assert figures["mapped"] >= 0.9 * len(records) - figures["not_sellable"]
