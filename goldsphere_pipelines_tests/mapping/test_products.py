"""Products and variations: bullion fields, inheritance, stock, currency, precise errors."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from goldsphere_pipelines.mapping import (
    ProductLookups,
    ProductMappingResult,
    RuleSpec,
    compile_rules,
    map_product,
)
from goldsphere_pipelines.mapping import errors as codes
from goldsphere_pipelines_tests.mapping.factories import (
    attribute,
    fixed_id,
    gold_coin,
    product_lookups,
    silver_bar_parent,
    silver_bar_variation,
)

TEMPLATE = compile_rules("product")
LOOKUPS = product_lookups()


def mapped(
    payload: Any,
    parent: Any = None,
    currency: str = "USD",
    rules: list[RuleSpec] | None = None,
    lookups: ProductLookups = LOOKUPS,
    **kwargs: Any,
) -> ProductMappingResult:
    mapping = compile_rules("product", rules) if rules else TEMPLATE
    return map_product(
        payload,
        parent=parent,
        store_currency=currency,
        mapping=mapping,
        lookups=lookups,
        **kwargs,
    )


def codes_of(result: ProductMappingResult) -> dict[str, str]:
    return {error.field: error.code for error in result.errors}


def test_a_bullion_coin_maps_with_every_field() -> None:
    result = mapped(gold_coin())
    assert result.errors == []
    assert result.sellable
    product = result.product
    assert product is not None
    assert product.external_id == "501"
    assert product.parent_external_id is None
    assert product.sku == "GML-1OZ"
    assert product.name == "1 oz Gold Maple Leaf"
    assert product.product_type_id == fixed_id("Coin")
    assert product.metal_id == fixed_id("Gold")
    assert product.producer_id == fixed_id("Royal Canadian Mint")
    assert (product.weight, product.weight_unit) == (Decimal(1), "troy_ounces")
    assert product.purity == Decimal("0.9999")
    assert product.price == Decimal("5210.50")
    assert product.currency == "USD"
    assert product.year == 2025
    assert product.description == "The Canadian bullion classic."
    assert product.image_url.startswith("https://example.com/")
    assert product.in_stock is True
    assert product.stock_quantity == 12


def test_to_json_is_json_safe_and_exact() -> None:
    product = mapped(gold_coin()).product
    assert product is not None
    data = product.to_json()
    assert data["price"] == "5210.50"
    assert data["purity"] == "0.9999"
    assert data["metal_id"] == str(fixed_id("Gold"))
    import json

    assert json.loads(json.dumps(data)) == data


def test_every_missing_bullion_field_is_reported_together() -> None:
    result = mapped(gold_coin(attributes=[], categories=[], name="Mystery"))
    assert result.product is None
    assert codes_of(result) == {
        "product_type": codes.UNKNOWN_PRODUCT_TYPE,
        "metal": codes.UNKNOWN_METAL,
        "producer": codes.MISSING_FIELD,
        "weight": codes.MISSING_FIELD,
        "purity": codes.MISSING_FIELD,
    }
    for error in result.errors:
        assert error.message.startswith(f"{error.field}: ")


def test_names_that_are_not_goldsphere_reference_data() -> None:
    payload = gold_coin(
        name="1 oz Gold Coin",
        attributes=[
            attribute("Metal", "Gold"),
            attribute("Weight", "1 oz"),
            attribute("Purity", "999.9"),
            attribute("Mint", "Unknown Mint of Atlantis"),
        ],
    )
    lookups = ProductLookups(
        metals={}, product_types=LOOKUPS.product_types, producers=LOOKUPS.producers
    )
    result = mapped(payload, lookups=lookups)
    assert codes_of(result) == {"metal": codes.UNKNOWN_METAL, "producer": codes.UNKNOWN_PRODUCER}
    producer = next(e for e in result.errors if e.field == "producer")
    assert producer.value == "Unknown Mint of Atlantis"
    assert "attributes[name=Mint]" in producer.message
    assert producer.tried is not None
    assert producer.tried[0]["source"].startswith("rule `attributes[name=Producer]")
    assert producer.fix is not None
    assert "Fix:" in producer.message


def test_a_value_that_does_not_translate_falls_through_to_the_next_source() -> None:
    payload = gold_coin(
        attributes=[
            attribute("Metal", "Gold"),
            attribute("Weight", "1 oz"),
            attribute("Purity", "999.9"),
            attribute("Mint", "Unknown Mint of Atlantis"),
        ]
    )
    product = mapped(payload).product
    assert product is not None
    assert product.producer_name == "Royal Canadian Mint"
    assert product.provenance["producer"] == ("series 'Maple Leaf' in name")


def test_producer_matching_ignores_case_spacing_and_punctuation() -> None:
    payload = gold_coin()
    payload["attributes"][3] = attribute("Brand", "  royal canadian-MINT ")
    product = mapped(payload).product
    assert product is not None
    assert product.producer_id == fixed_id("Royal Canadian Mint")
    assert product.producer_name == "Royal Canadian Mint"


def test_metal_from_a_symbol_or_the_name_when_no_attribute_says() -> None:
    payload = gold_coin()
    payload["attributes"][0] = attribute("Metal", "AG")
    assert mapped(payload).product.metal_id == fixed_id("Silver")  # type: ignore[union-attr]
    del payload["attributes"][0]
    payload["categories"] = [{"name": "Coins"}]
    payload["name"] = "1 oz Platinum Britannia"
    assert mapped(payload).product.metal_id == fixed_id("Platinum")  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("category", "product_type"),
    [
        ("Gold Coins", "Coin"),
        ("Silver Bars", "Bar"),
        ("Cast Bars", "Cast Bar"),
        ("Minted bars", "Minted Bar"),
        ("CombiBars", "CombiBar"),
        ("Medals", "Medallion"),
        ("Jewellery", "Jewelry"),
    ],
)
def test_product_type_from_categories(category: str, product_type: str) -> None:
    payload = gold_coin(categories=[{"name": "Bullion"}, {"name": category}], name="Item")
    assert mapped(payload).product.product_type_id == fixed_id(product_type)  # type: ignore[union-attr]


def test_weight_from_the_weight_field_in_the_stores_unit() -> None:
    # WooCommerce's weight field is the shipping weight: read when nothing else says it.
    payload = gold_coin(name="Gold Maple Leaf", weight="0.0311")
    del payload["attributes"][1]
    product = mapped(payload, store_weight_unit="kg").product
    assert product is not None
    assert (product.weight, product.weight_unit) == (Decimal("0.0311"), "kilograms")
    assert "shipping weight" in product.provenance["weight"]
    # The name states the fine weight: it wins over the shipping weight.
    payload = gold_coin(weight="0.0340")
    del payload["attributes"][1]
    product = mapped(payload, store_weight_unit="kg").product
    assert product is not None
    assert (product.weight, product.weight_unit) == (Decimal(1), "troy_ounces")
    assert product.provenance["weight"] == "'1 oz' in name"
    product = mapped(gold_coin(name="Gold Maple Leaf", weight="31.1", attributes=[])).product
    assert product is not None
    assert product.weight_unit == "grams"  # unknown store unit: grams


@pytest.mark.parametrize("currency", ["USD", "EUR", "GBP", "CHF", "CAD", "AUD"])
def test_the_six_goldsphere_currencies(currency: str) -> None:
    product = mapped(gold_coin(), currency=currency.lower()).product
    assert product is not None
    assert product.currency == currency


@pytest.mark.parametrize(
    ("currency", "code"),
    [
        ("JPY", codes.UNSUPPORTED_CURRENCY),
        ("BTC", codes.UNKNOWN_CURRENCY),
        ("", codes.UNKNOWN_CURRENCY),
    ],
)
def test_other_currencies_are_errors_not_crashes(currency: str, code: str) -> None:
    result = mapped(gold_coin(), currency=currency)
    assert codes_of(result) == {"currency": code}


@pytest.mark.parametrize(
    ("status", "quantity", "in_stock", "stock"),
    [
        ("instock", 12, True, 12),
        ("outofstock", 0, False, 0),
        ("onbackorder", -4, True, 0),
        ("instock", None, True, None),
    ],
)
def test_stock(status: str, quantity: int | None, in_stock: bool, stock: int | None) -> None:
    product = mapped(gold_coin(stock_status=status, stock_quantity=quantity)).product
    assert product is not None
    assert (product.in_stock, product.stock_quantity) == (in_stock, stock)


def test_an_unknown_stock_status_is_named() -> None:
    result = mapped(gold_coin(stock_status="preorder"))
    assert codes_of(result) == {"in_stock": codes.UNMAPPED_VALUE}
    assert result.errors[0].value == "preorder"


def test_html_in_names_becomes_text() -> None:
    product = mapped(gold_coin(name="<script>x()</script>Gold &amp; <b>Silver</b> Coin")).product
    assert product is not None
    assert product.name == "x() Gold & Silver Coin"


def test_variable_parents_are_not_sellable_and_not_errors() -> None:
    result = mapped(silver_bar_parent(price=""))
    assert (result.product, result.errors, result.sellable) == (None, [], False)
    # WooCommerce often reports the cheapest variation's price on the parent: still no product
    assert mapped(silver_bar_parent(price="31.00")).sellable is False


def test_a_simple_product_without_price_is_an_error() -> None:
    assert codes_of(mapped(gold_coin(price=""))) == {"price": codes.MISSING_FIELD}


def test_variations_inherit_and_override() -> None:
    parent = silver_bar_parent()
    result = mapped(silver_bar_variation("100 g"), parent=parent)
    assert result.errors == []
    product = result.product
    assert product is not None
    assert product.external_id == "601"
    assert product.parent_external_id == "600"
    assert product.name == "PAMP Silver Bar – 100 g"
    assert product.sku == "PAMP-AG-100G"
    assert product.price == Decimal("310.00")
    assert (product.weight, product.weight_unit) == (Decimal(100), "grams")
    # inherited from the parent
    assert product.metal_id == fixed_id("Silver")
    assert product.product_type_id == fixed_id("Bar")
    assert product.producer_id == fixed_id("PAMP Suisse")
    assert product.purity == Decimal("0.999")
    assert product.description is not None
    # the variation's own image and stock
    assert product.image_url.endswith("T_3_front-12.jpg")
    assert (product.in_stock, product.stock_quantity) == (True, 0)
    # the parent is untouched
    assert parent["attributes"][1]["options"] == ["1 oz", "100 g", "1 kg"]


def test_a_variation_does_not_inherit_the_parents_price_or_sku() -> None:
    parent = silver_bar_parent(price="31.00", sku="PAMP-AG")
    result = mapped(silver_bar_variation(price="", sku=""), parent=parent)
    assert codes_of(result) == {"price": codes.MISSING_FIELD}
    product = mapped(silver_bar_variation(sku=""), parent=parent).product
    assert product is not None
    assert product.sku is None


def test_a_variation_with_any_option_keeps_the_parents_options() -> None:
    result = mapped(silver_bar_variation(""), parent=silver_bar_parent())
    # "any weight": the parent's first option is read
    assert result.product is not None
    assert result.product.weight == Decimal(1)


def test_a_variation_may_defer_stock_to_its_parent() -> None:
    parent = silver_bar_parent(manage_stock=True, stock_quantity=40, stock_status="instock")
    variation = silver_bar_variation(manage_stock="parent", stock_quantity=None)
    product = mapped(variation, parent=parent).product
    assert product is not None
    assert product.stock_quantity == 40


def test_custom_rules_override_the_template() -> None:
    rules = [
        RuleSpec(
            entity_type="product",
            source_field="meta_data[key=_producer].value",
            target_field="producer",
            transform={"default": "Perth Mint"},
        ),
        RuleSpec(
            entity_type="product",
            source_field="name",
            target_field="purity",
            transform={"regex": "(9{3}\\.?9*)", "purity": True},
        ),
    ]
    payload = gold_coin(name="999.9 Gold Coin")
    # The connector's default comes after every other source (the issue-15 inference order).
    payload["attributes"] = [
        a for a in payload["attributes"] if a["name"] not in ("Purity", "Producer")
    ]
    product = mapped(payload, rules=rules).product
    assert product is not None
    assert product.producer_id == fixed_id("Perth Mint")
    assert product.provenance["producer"] == "the connector's default"
    assert product.purity == Decimal("0.9999")


def test_identity_errors() -> None:
    assert codes_of(mapped(gold_coin(id=None))) == {"external_id": codes.MISSING_FIELD}
    assert codes_of(mapped(gold_coin(id="abc"))) == {"external_id": codes.INVALID_ID}
    assert codes_of(mapped("not a product")) == {"payload": codes.INVALID_TYPE}
    assert codes_of(mapped(silver_bar_variation(), parent=[1])) == {"parent": codes.INVALID_TYPE}


def test_a_variation_with_only_its_own_attribute_inherits_the_rest_of_its_parent() -> None:
    # As shops list them: metal, fineness, producer (a brand), categories on the parent;
    # the variation has only its weight option, price, SKU and stock.
    parent = gold_coin(
        id=700,
        type="variable",
        name="Maple Leaf Platinum Coin",
        price="",
        categories=[{"id": 9, "name": "Platinum", "slug": "platinum"}],
        brands=[{"id": 3, "name": "RCM", "slug": "rcm"}],
        attributes=[
            {**attribute("Metal", "Platinum"), "variation": False},
            {**attribute("Fineness", "999.5"), "variation": False},
            {**attribute("Weight", "1 oz", "1/4 oz"), "variation": True},
        ],
    )
    variation = {
        "id": 701,
        "sku": "ML-PT-14",
        "price": "640.00",
        "description": "",
        "stock_quantity": 4,
        "attributes": [{"id": 0, "name": "Weight", "option": "1/4 oz"}],
    }
    product = mapped(variation, parent=parent).product
    assert product is not None
    assert product.name == "Maple Leaf Platinum Coin – 1/4 oz"
    assert (product.metal_name, product.product_type_name) == ("Platinum", "Coin")
    assert product.producer_name == "Royal Canadian Mint"
    assert (product.weight, product.weight_unit) == (Decimal("0.25"), "troy_ounces")
    assert product.purity == Decimal("0.9995")
    assert (product.sku, product.price, product.stock_quantity) == ("ML-PT-14", Decimal(640), 4)
    # "RCM" is not goldsphere's spelling: the template's rule read it, the aliases matched.
    assert product.provenance["producer"] == ("the template rule")
    # A category naming only the metal gives no product type: the name's "Coin" does.
    assert product.provenance["product_type"] == "the template rule"


@pytest.mark.parametrize(
    ("name", "kind", "source"),
    [
        # Shops name coins by their series alone: the series says they are coins.
        ("1 oz Gold Kangaroo 2019", "Coin", "series 'Kangaroo' in name"),
        ("Känguru 1 Unze Gold 2020", "Coin", "series 'Kangaroo' in name"),
        # A kind the name states wins over the series' usual one: Perth Mint also makes
        # Kangaroo bars.
        ("5 g Kangaroo Minted Gold Bar", "Minted Bar", "'minted bar' in name"),
        ("1 oz Kangaroo Gold Bar", "Bar", "the template rule"),
    ],
)
def test_a_series_that_is_always_a_coin_gives_the_kind_a_name_leaves_out(
    name: str, kind: str, source: str
) -> None:
    """A line of a deleted product carries nothing but such a name."""
    product = mapped({"id": 5, "name": name, "price": "10"}).product
    assert product is not None
    assert product.product_type_name == kind
    assert product.provenance["product_type"] == source
    assert product.producer_name == "Perth Mint"
