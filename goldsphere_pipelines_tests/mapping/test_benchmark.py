"""The benchmark runs and reports; its speed is printed, never asserted."""

from __future__ import annotations

from goldsphere_pipelines.mapping import compile_rules, map_order
from goldsphere_pipelines.mapping.benchmark import (
    example_lookups,
    example_order,
    run_mapping_benchmark,
)


def test_benchmark_orders_are_valid_and_all_map() -> None:
    figures = run_mapping_benchmark(200)
    assert figures["orders"] == figures["mapped"] == 200
    assert figures["failed"] == 0
    assert figures["items"] >= 400


def test_benchmark_orders_reconcile() -> None:
    result = map_order(example_order(7), mapping=compile_rules("order"), lookups=example_lookups())
    assert result.errors == []
