"""Sandbox dialects: the same catalogue written the ways real shops write it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from goldsphere_pipelines.sandbox import SandboxStore
from goldsphere_pipelines.sandbox.dialects import DIALECTS

PRODUCER_LABELS = {"Mint", "Brand", "Producer", "Hersteller", "Fabricant"}


def _store(dialect: str) -> SandboxStore:
    return SandboxStore(products=120, orders=20, seed=11, dialect=dialect)


def test_classic_is_the_original_shape() -> None:
    classic, default = _store("classic"), SandboxStore(products=120, orders=20, seed=11)
    for product_id in classic.product_ids()[:30]:
        assert classic.product(product_id) == default.product(product_id)


@pytest.mark.parametrize("dialect", ["names", "brands", "tags", "series"])
def test_the_producer_moves_out_of_the_attributes(dialect: str) -> None:
    store = _store(dialect)
    for product_id in store.product_ids():
        payload = store.product(product_id)
        assert not PRODUCER_LABELS & {a["name"] for a in payload["attributes"]}
        truth = store.truth(product_id)
        if dialect == "brands":
            assert len(payload["brands"]) == 1
        elif dialect == "names":
            assert payload["brands"] == []
            assert any(
                word in payload["name"]
                for word in (truth.producer, "Royal Mint", "PAMP", "US Mint", "Argor")
            ), payload["name"]


def test_german_and_french_labels_and_values() -> None:
    german, french = _store("german"), _store("french")
    labels_de = {a["name"] for p in german.product_ids() for a in german.product(p)["attributes"]}
    labels_fr = {a["name"] for p in french.product_ids() for a in french.product(p)["attributes"]}
    assert {"Metall", "Gewicht", "Feinheit", "Hersteller"} <= labels_de
    assert {"Métal", "Poids", "Titre", "Fabricant"} <= labels_fr
    names_de = " ".join(german.product(p)["name"] for p in german.product_ids())
    assert "Unze" in names_de
    assert "münze" in names_de


def test_variations_carry_only_their_own_attribute_in_the_parents_language() -> None:
    store = _store("mixed")
    for variation_id in store.variation_ids()[:40]:
        payload = store.variation(variation_id)
        (attribute,) = payload["attributes"]
        assert set(attribute) == {"id", "name", "option"}
        assert "brands" not in payload
        assert "categories" not in payload


def test_mixed_blends_every_style() -> None:
    store = SandboxStore(products=400, orders=20, seed=11, dialect="mixed")
    payloads = [store.product(p) for p in store.product_ids()]
    categories = {c["name"] for p in payloads for c in p["categories"]}
    assert {"Gold", "Silver"} & categories  # categories naming only the metal
    assert any(p["brands"] for p in payloads)
    assert any(p["weight"] == "" for p in payloads)
    assert any("Pièce" in p["name"] or "Lingot" in p["name"] for p in payloads)
    assert store.ghost_product_ids()  # discontinued products old orders still reference


@pytest.mark.parametrize("dialect", DIALECTS)
def test_the_store_knows_the_truth(dialect: str) -> None:
    store = _store(dialect)
    variation = store.variation_ids()[0]
    for product_id in [*store.product_ids()[:20], variation, *store.ghost_product_ids()]:
        truth = store.truth(product_id)
        assert truth.metal in {"Gold", "Silver", "Platinum", "Palladium"}
        assert Decimal(0) < truth.purity < 1
        assert truth.weight_grams > 0
    with pytest.raises(KeyError):
        store.truth(1)
