"""Payloads shaped like WooCommerce's documented examples, for a bullion shop."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any
from uuid import UUID, uuid5

from goldsphere_pipelines.mapping import OrderLookups, ProductLookups, normalize_email

# Copies of ../shared/reference/woocommerce-examples/, WooCommerce's documented responses.
EXAMPLES = Path(__file__).parent / "woocommerce_examples"
_NAMESPACE = UUID("6f1d1c1e-0000-4000-8000-000000000000")


def fixed_id(name: str) -> UUID:
    """A stable UUID per name, so tests can say which row a mapping resolved to."""
    return uuid5(_NAMESPACE, name)


def example(name: str) -> list[dict[str, Any]]:
    payloads: list[dict[str, Any]] = json.loads((EXAMPLES / f"{name}.json").read_text())
    return payloads


# The reference data the core migration loads (sql/core/0002_goldsphere_reference_data.sql).
METALS = (("Gold", "AU"), ("Silver", "AG"), ("Palladium", "PD"), ("Platinum", "PT"))
PRODUCT_TYPES = ("Coin", "Bar", "Medallion", "Jewelry", "Cast Bar", "Minted Bar", "CombiBar")
PRODUCERS = ("Argor-Heraeus", "Austrian Mint", "Perth Mint", "PAMP Suisse", "Royal Canadian Mint")


def product_lookups() -> ProductLookups:
    return ProductLookups.from_reference(
        metals=[(fixed_id(name), name, symbol) for name, symbol in METALS],
        product_types=[(fixed_id(name), name) for name in PRODUCT_TYPES],
        producers=[(fixed_id(name), name) for name in PRODUCERS],
    )


def order_lookups(
    emails: tuple[str, ...] = ("john.doe@example.com",),
    external_ids: tuple[str, ...] = ("93", "23"),
    skus: tuple[str, ...] = (),
) -> OrderLookups:
    return OrderLookups(
        users_by_email={normalize_email(e): fixed_id(f"user:{normalize_email(e)}") for e in emails},
        products_by_external_id={i: fixed_id(f"product:{i}") for i in external_ids},
        products_by_sku={s: fixed_id(f"sku:{s}") for s in skus},
    )


def attribute(name: str, *options: str) -> dict[str, Any]:
    return {"id": 0, "name": name, "position": 0, "visible": True, "variation": False,
            "options": list(options)}  # fmt: skip


def gold_coin(**overrides: Any) -> dict[str, Any]:
    """A simple product: 1 oz Gold Maple Leaf, Royal Canadian Mint, 999.9."""
    product = copy.deepcopy(example("products")[1])
    product.update(
        {
            "id": 501,
            "name": "1 oz Gold Maple Leaf",
            "sku": "GML-1OZ",
            "price": "5210.50",
            "regular_price": "5210.50",
            "short_description": "<p>The Canadian <strong>bullion</strong> classic.</p>",
            "categories": [{"id": 3, "name": "Gold Coins", "slug": "gold-coins"}],
            "attributes": [
                attribute("Metal", "Gold"),
                attribute("Weight", "1 oz"),
                attribute("Purity", "999.9"),
                attribute("Producer", "Royal Canadian Mint"),
                attribute("Year", "2025"),
            ],
            "manage_stock": True,
            "stock_quantity": 12,
        }
    )
    product.update(overrides)
    return product


def silver_bar_parent(**overrides: Any) -> dict[str, Any]:
    """A variable product: Silver Bars by PAMP in several weights."""
    product = copy.deepcopy(example("products")[0])
    product.update(
        {
            "id": 600,
            "name": "PAMP Silver Bar",
            "categories": [{"id": 4, "name": "Silver Bars", "slug": "silver-bars"}],
            "attributes": [
                attribute("Metal", "Silver"),
                {**attribute("Weight", "1 oz", "100 g", "1 kg"), "variation": True},
                attribute("Purity", ".999"),
                attribute("Brand", "PAMP Suisse"),
            ],
            "weight": "",
        }
    )
    product.update(overrides)
    return product


def silver_bar_variation(weight: str = "100 g", **overrides: Any) -> dict[str, Any]:
    variation = copy.deepcopy(example("product_variations")[0])
    variation.update(
        {
            "id": 601,
            "sku": "PAMP-AG-100G",
            "price": "310.00",
            "stock_status": "onbackorder",
            "stock_quantity": -3,
            "manage_stock": True,
            "attributes": [{"id": 7, "name": "Weight", "option": weight}],
        }
    )
    variation.update(overrides)
    return variation


def paid_order(**overrides: Any) -> dict[str, Any]:
    """WooCommerce's example order 727: two items, shipping 10.00, tax 1.35, total 29.35."""
    order = copy.deepcopy(example("orders")[0])
    order.update(overrides)
    return order
