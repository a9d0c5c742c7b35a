"""Source paths: the grammar, and reading that never fails on odd payloads."""

from __future__ import annotations

from typing import Any

import pytest

from goldsphere_pipelines.mapping.paths import (
    MAX_CANDIDATES,
    PathSyntaxError,
    parse_source,
    read_source,
)

PRODUCT: dict[str, Any] = {
    "name": "1 oz Gold Maple Leaf",
    "billing": {"email": "a@b.c"},
    "categories": [{"name": "Bullion"}, {"name": "Gold Coins"}],
    "attributes": [
        {"name": "Weight", "options": ["1 oz"]},
        {"name": "metal", "options": ["Gold", "Silver"]},
    ],
    "meta_data": [{"key": "_fine_weight", "value": "31.1"}],
    "empty": "  ",
    "nothing": None,
}


def read(source: str, payload: Any = PRODUCT) -> list[Any]:
    return read_source(parse_source(source), payload)


@pytest.mark.parametrize(
    ("source", "values"),
    [
        ("name", ["1 oz Gold Maple Leaf"]),
        ("billing.email", ["a@b.c"]),
        ("categories[1].name", ["Gold Coins"]),
        ("categories[-1].name", ["Gold Coins"]),
        ("categories[*].name", ["Bullion", "Gold Coins"]),
        ("attributes[name=Metal].options[0]", ["Gold"]),
        ("attributes[name = METAL ].options[*]", ["Gold", "Silver"]),
        ("meta_data[key=_fine_weight].value", ["31.1"]),
        ("attributes[name=Purity].options[0] | attributes[name=Weight].options[0]", ["1 oz"]),
        ("name | categories[*].name", ["1 oz Gold Maple Leaf", "Bullion", "Gold Coins"]),
        ("", []),
        ("empty", []),
        ("nothing", []),
        ("missing.deeper[3]", []),
        ("name[0]", []),
        ("name.length", []),
        ("categories[9].name", []),
        ("billing[*]", []),
    ],
)
def test_reading(source: str, values: list[Any]) -> None:
    assert read(source) == values


def test_reading_a_non_object_payload_finds_nothing() -> None:
    for payload in (None, 1, "text", [1, 2], [{"name": "x"}]):
        assert read("name", payload) == []
        assert read("categories[*].name | a.b", payload) == []


def test_huge_arrays_are_read_up_to_the_limit() -> None:
    payload = {"tags": [{"name": str(n)} for n in range(5 * MAX_CANDIDATES)]}
    assert len(read("tags[*].name", payload)) == MAX_CANDIDATES
    assert len(read("tags[name=4999].name", payload)) == 0  # beyond the limit: not scanned


@pytest.mark.parametrize(
    "source",
    [
        "a..b",
        "a.",
        ".a",
        "a[",
        "a[]",
        "a[x]",
        "a[=x]",
        "a[name=]",
        "a b",
        "a|",
        "| a",
        "a.[0]",
        "a[0]b",
        "x" * 501,
    ],
)
def test_bad_paths_are_refused_with_a_reason(source: str) -> None:
    with pytest.raises(PathSyntaxError) as refused:
        parse_source(source)
    assert str(refused.value)
