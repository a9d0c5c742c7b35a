"""The bullion knowledge file: what it recognises in the spellings shops use."""

from __future__ import annotations

import json
from decimal import Decimal
from importlib import resources

import pytest

from goldsphere_pipelines.mapping.knowledge import bullion_knowledge, compile_knowledge
from goldsphere_pipelines.mapping.parsers import parse_purity

K = bullion_knowledge()


@pytest.mark.parametrize(
    ("alias", "producer"),
    [
        ("RCM", "Royal Canadian Mint"),
        ("Royal Mint", "British Royal Mint"),
        ("British Royal Mint", "British Royal Mint"),
        ("Argor Heraeus", "Argor-Heraeus"),
        ("PAMP", "PAMP Suisse"),
        ("Münze Österreich", "Austrian Mint"),
        ("muenze oesterreich", "Austrian Mint"),
        ("C. Hafner", "C. Hafner"),
        ("Monnaie royale canadienne", "Royal Canadian Mint"),
    ],
)
def test_producer_aliases(alias: str, producer: str) -> None:
    found = K.producer_named(alias)
    assert found is not None
    assert found.name == producer
    assert K.producer_in(f"1 oz Gold Bar {alias} 2024") is not None


@pytest.mark.parametrize(
    ("name", "series", "producer"),
    [
        ("Kangaroo 1 oz Gold Coin 2026", "Kangaroo", "Perth Mint"),
        ("1 oz Canadian Gold Maple Leaf 2020", "Maple Leaf", "Royal Canadian Mint"),
        ("Krügerrand 1 Unze Goldmünze", "Krugerrand", "Rand Refinery"),
        ("Pièce Philharmonique 1 once en or", "Philharmonic", "Austrian Mint"),
        ("American Silver Eagle 1 oz", "American Eagle", "United States Mint"),
        ("Lunar Series III Gold 1/10 oz", "Lunar", "Perth Mint"),
        ("Panda 30 g Gold", "Panda", "China Gold Coin"),
        ("Libertad 1 oz Silver", "Libertad", "Mexican Mint"),
    ],
)
def test_series_imply_their_producer(name: str, series: str, producer: str) -> None:
    found = K.series_in(name)
    assert found is not None
    assert (found.value.name, found.value.producer) == (series, producer)


@pytest.mark.parametrize(
    ("text", "amount", "unit"),
    [
        ("1/10 oz", "0.1", "troy_ounces"),
        ("Maple Leaf 1oz", "1", "troy_ounces"),
        ("1 Unze", "1", "troy_ounces"),
        ("1 1/2 oz", "1.5", "troy_ounces"),
        ("1 kilo", "1", "kilograms"),
        ("1 Kilogramm", "1", "kilograms"),
        ("100g", "100", "grams"),
        ("31,1035 g", "31.1035", "grams"),
        ("10 tola", "116.6380", "grams"),
        ("5 tael", "188.9970", "grams"),
        ("1 once", "1", "troy_ounces"),
        ("50 x 1 g CombiBar", "50", "grams"),
    ],
)
def test_weight_expressions(text: str, amount: str, unit: str) -> None:
    found = K.weight_in(f"Gold {text} bar")
    assert found is not None
    assert found.value == (Decimal(amount), unit)


def test_no_weight_in_a_year_or_a_denomination() -> None:
    assert K.weight_in("Gold Vreneli 20 Francs 1935") is None


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Gold Coins", "Coin"),
        ("Goldmünzen", "Coin"),
        ("Pièces d'argent", "Coin"),
        ("Goldbarren", "Bar"),
        ("Lingot d'or coulé 100 g", "Cast Bar"),
        ("Kangaroo Minted Gold Bar", "Minted Bar"),
        ("Gold-Prägebarren", "Minted Bar"),
        ("100 g Gold CombiBar", "CombiBar"),
        ("Silver Round", "Medallion"),
        ("Ingot", "Bar"),
    ],
)
def test_kinds(text: str, kind: str) -> None:
    found = K.kind_in(text)
    assert found is not None
    assert found.value == kind


def test_a_category_naming_only_the_metal_states_no_kind() -> None:
    assert K.kind_in("Platinum") is None
    assert K.metal_in("Platinum") is not None


@pytest.mark.parametrize(
    ("text", "metal"),
    [("Silber", "Silver"), ("Goldmünze", "Gold"), ("Lingot d'or", "Gold"), ("Platine", "Platinum")],
)
def test_metals_in_three_languages(text: str, metal: str) -> None:
    found = K.metal_in(text)
    assert found is not None
    assert found.value == metal


@pytest.mark.parametrize(
    ("text", "purity"),
    [
        ("999.9", "0.9999"),
        (".9999", "0.9999"),
        ("99.99 %", "0.9999"),
        ("24K", "0.9999"),
        ("22 carat", "0.9167"),
        ("999,9", "0.9999"),
        ("Feingold", "0.9999"),
        ("fine silver", "0.999"),
    ],
)
def test_purity_expressions_in_text(text: str, purity: str) -> None:
    found = K.purity_in(f"Gold bar {text} fine")
    assert found is not None
    value = found.value if isinstance(found.value, Decimal) else parse_purity(found.value)
    assert value == Decimal(purity)


def test_purity_words_parse_as_purities() -> None:
    assert parse_purity("Feingold") == Decimal("0.9999")


def test_labels_in_three_languages() -> None:
    assert K.label_field("Feingehalt") == "purity"
    assert K.label_field("Poids") == "weight"
    assert K.label_field("Hersteller") == "producer"
    assert K.label_field("Métal") == "metal"


def test_an_inconsistent_file_is_refused_by_name() -> None:
    path = resources.files("goldsphere_pipelines.mapping").joinpath("knowledge/bullion.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    data["series"][0]["producer"] = "Nobody Mint"
    with pytest.raises(ValueError, match="Nobody Mint"):
        compile_knowledge(data)
