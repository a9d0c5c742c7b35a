"""Products built from order lines take what the line lacks from the shop's own catalogue:
the purity of its producer's products of the same metal and kind, a kind of bar; only when
those products agree, and saying so in the provenance."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import uuid4

from goldsphere_pipelines.mapping import GoneProducts, compile_rules
from goldsphere_pipelines.mapping import errors as codes
from goldsphere_pipelines.mapping.line_products import product_from_line
from goldsphere_pipelines.mapping.shop_hints import CatalogueGroup, Consulted, Hint, ShopHints
from goldsphere_pipelines_tests.mapping.factories import product_lookups

LOOKUPS = product_lookups()
TEMPLATE = compile_rules("product")

# A line as WooCommerce sends it for a simple product: no attributes, no fineness.
LINE: dict[str, Any] = {
    "id": 25641,
    "name": "100 g Perth Mint Gold Cast Bar",
    "product_id": 306,
    "variation_id": 0,
    "quantity": 2,
    "subtotal": "16400.00",
    "total": "16400.00",
    "sku": "PM-AU-100G-B-306",
    "price": 8200,
    "meta_data": [],
}


def _gone(*groups: CatalogueGroup) -> GoneProducts:
    return GoneProducts(
        ids={"306": uuid4()},
        mapping=TEMPLATE,
        lookups=LOOKUPS,
        store_currency="USD",
        shop_hints=ShopHints(groups),
    )


def _group(kind: str, purity: str, products: int = 3, metal: str = "Gold") -> CatalogueGroup:
    return CatalogueGroup("Perth Mint", metal, kind, Decimal(purity), products)


def test_the_purity_of_the_shops_bars_of_that_producer_metal_and_kind() -> None:
    gone = _gone(_group("Cast Bar", "0.9999"), _group("Coin", "0.9167"))
    result = product_from_line(LINE, "306", gone)
    assert result.product is not None, result.errors
    assert result.product.purity == Decimal("0.9999")
    assert result.product.provenance["purity"] == "the shop's other Perth Mint gold cast bars"
    assert result.product.in_stock is False
    assert result.product.price == Decimal("8200.00")


def test_products_that_disagree_give_no_purity_and_the_error_says_so() -> None:
    gone = _gone(_group("Cast Bar", "0.9999"), _group("Cast Bar", "0.995", products=1))
    result = product_from_line(LINE, "306", gone)
    assert result.product is None
    (error,) = result.errors
    assert error.field == "purity"
    assert error.code == codes.MISSING_FIELD
    assert error.tried is not None
    assert error.tried[-1] == {
        "source": "the shop's other Perth Mint gold cast bars",
        "found": "purities that disagree: 0.995 (1), 0.9999 (3)",
    }
    assert "cast bars gave purities that disagree" in error.message
    assert error.message.index("disagree") < error.message.index("Fix:")


def test_without_that_kind_all_the_producers_products_of_that_metal_must_agree() -> None:
    same_metal = product_from_line(LINE, "306", _gone(_group("Coin", "0.9999")))
    assert same_metal.product is not None
    assert same_metal.product.provenance["purity"] == "the shop's other Perth Mint gold products"
    other_metal = product_from_line(LINE, "306", _gone(_group("Cast Bar", "0.999", metal="Silver")))
    assert other_metal.product is None
    assert other_metal.errors[0].tried is not None
    assert other_metal.errors[0].tried[-1]["found"] == "none"


def test_the_lines_own_fineness_wins_over_the_shop() -> None:
    line = {**LINE, "name": "100 g Perth Mint Gold Cast Bar .999"}
    result = product_from_line(line, "306", _gone(_group("Cast Bar", "0.9999")))
    assert result.product is not None
    assert result.product.purity == Decimal("0.999")
    assert result.product.provenance["purity"] != "the shop's other Perth Mint gold cast bars"


def test_a_line_lacking_more_than_the_purity_still_fails_naming_each_field() -> None:
    line = {**LINE, "name": "Perth Mint Gold Cast Bar"}
    result = product_from_line(line, "306", _gone(_group("Cast Bar", "0.9999")))
    assert result.product is None
    assert {error.field for error in result.errors} == {"weight", "purity"}


def test_a_bar_named_only_bar_is_the_kind_all_the_shops_bars_of_it_are() -> None:
    line = {**LINE, "name": "1 oz Perth Mint Gold Bar"}
    gone = _gone(_group("Minted Bar", "0.9999"), _group("Coin", "0.9999"))
    result = product_from_line(line, "306", gone)
    assert result.product is not None
    assert result.product.product_type_name == "Minted Bar"
    assert result.product.provenance["product_type"] == "the shop's other Perth Mint gold bars"
    mixed = _gone(_group("Minted Bar", "0.9999"), _group("Cast Bar", "0.9999"))
    assert product_from_line(line, "306", mixed).product.product_type_name == "Bar"  # type: ignore[union-attr]


def test_hints_answer_only_unanimously() -> None:
    hints = ShopHints([_group("Coin", "0.9999", 5), _group("Coin", "0.9167", 2)])
    assert isinstance(hints.purity("Perth Mint", "Gold", "Coin"), Consulted)
    assert hints.purity("Perth Mint", "Silver", "Coin") == Consulted(
        "the shop's other Perth Mint silver coins or silver products", "none"
    )
    assert ShopHints([_group("Coin", "0.99990")]).purity("Perth Mint", "Gold", "Coin") == Hint(
        Decimal("0.9999"), "the shop's other Perth Mint gold coins"
    )
    assert not ShopHints([])


def test_a_name_without_its_producer_takes_the_one_of_the_shops_skus_beginning_alike() -> None:
    # As a shop whose producers are WooCommerce brands writes it: not on the line.
    line = {**LINE, "name": "100 g Gold Cast Bar", "sku": "PM-AU-100G-B-306"}
    skus = [("PM-AU-1OZ-B-12", "Perth Mint"), ("PM-AG-1KG-B-40", "Perth Mint")]
    gone = GoneProducts(
        ids={"306": uuid4()},
        mapping=TEMPLATE,
        lookups=LOOKUPS,
        store_currency="USD",
        shop_hints=ShopHints([_group("Cast Bar", "0.9999")], skus=skus),
    )
    result = product_from_line(line, "306", gone)
    assert result.product is not None, result.errors
    assert result.product.producer_name == "Perth Mint"
    assert result.product.provenance["producer"] == (
        "the shop's other products whose SKU begins 'PM-'"
    )
    assert result.product.provenance["purity"] == "the shop's other Perth Mint gold cast bars"


def test_skus_give_a_producer_only_when_two_or_more_agree() -> None:
    one = ShopHints([], skus=[("PM-AU-1OZ", "Perth Mint")])
    assert isinstance(one.producer_by_sku("PM-AU-5G"), Consulted)
    several = ShopHints([], skus=[("GOLD-1", "Perth Mint"), ("GOLD-2", "Valcambi")])
    found = several.producer_by_sku("GOLD-3")
    assert isinstance(found, Consulted)
    assert found.found == "too few or several producers: Perth Mint (1), Valcambi (1)"
    numbers = ShopHints([], skus=[("100234", "Perth Mint"), ("100235", "Perth Mint")])
    assert isinstance(numbers.producer_by_sku("100236"), Consulted)
    two = ShopHints([], skus=[("pm-AU-1OZ", "Perth Mint"), ("PM-AG-1OZ", "Perth Mint")])
    assert two.producer_by_sku("PM-PT-1OZ").value == "Perth Mint"  # type: ignore[union-attr]
