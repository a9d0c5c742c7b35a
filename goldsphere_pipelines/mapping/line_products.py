"""A goldsphere product built from an order line whose product the shop no longer has.

An order keeps selling lines after their product is deleted: the line still carries the
product's name, SKU, price and, for a variation, the chosen options in its `meta_data`.
That is turned into a product payload and mapped by the connector's product rules and
inference like any product, marked not in stock (the shop cannot sell it any more).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID

from goldsphere_pipelines.mapping.lookups import ProductLookups
from goldsphere_pipelines.mapping.products import ProductMappingResult, map_product
from goldsphere_pipelines.mapping.rules import CompiledMapping

_CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class GoneProducts:
    """What order mapping needs to build products from lines whose product is gone.

    `ids`: the WooCommerce product or variation id (as text) of each product the shop
    answered 404 for and goldsphere has no product of yet → the goldsphere id its product
    gets. `mapping`, `lookups` and `store_currency` are the connector's product mapping.
    """

    ids: Mapping[str, UUID]
    mapping: CompiledMapping
    lookups: ProductLookups
    store_currency: str
    store_weight_unit: str | None = None


def product_from_line(
    line: Mapping[str, Any], external_id: str, gone: GoneProducts
) -> ProductMappingResult:
    """Map the product that `line` sold, known by `external_id`. Never raises."""
    return map_product(
        line_as_product(line, external_id),
        store_currency=gone.store_currency,
        mapping=gone.mapping,
        lookups=gone.lookups,
        store_weight_unit=gone.store_weight_unit,
    )


def line_as_product(line: Mapping[str, Any], external_id: str) -> dict[str, Any]:
    """The product payload a line describes: name, SKU, the price before discounts
    (`subtotal / quantity`), the options shown on the line as attributes, out of stock."""
    return {
        "id": int(external_id) if external_id.isdigit() else external_id,
        "type": "simple",
        "name": line.get("name"),
        "sku": line.get("sku"),
        "price": _unit_price(line),
        "stock_status": "outofstock",
        "stock_quantity": 0,
        "attributes": _attributes(line.get("meta_data")),
        "images": [line["image"]] if isinstance(line.get("image"), dict) else [],
    }


def _unit_price(line: Mapping[str, Any]) -> str | None:
    try:
        quantity = Decimal(str(line.get("quantity")))
        amount = Decimal(str(line.get("subtotal") or line.get("total")))
        if not (quantity.is_finite() and amount.is_finite()) or quantity <= 0:
            return None
        return str((amount / quantity).quantize(_CENT))
    except (InvalidOperation, ValueError):
        return None


def _attributes(meta: Any) -> list[dict[str, Any]]:
    """Visible line meta (`display_key` / `display_value`, as WooCommerce shows a variation's
    options on the order) as product attributes; hidden `_`-prefixed keys are skipped."""
    if not isinstance(meta, list):
        return []
    attributes = []
    for entry in meta:
        if not isinstance(entry, dict):
            continue
        key = entry.get("key")
        if isinstance(key, str) and key.startswith("_"):
            continue
        name = entry.get("display_key") or key
        value = entry.get("display_value") or entry.get("value")
        if isinstance(name, str) and isinstance(value, str) and name.strip() and value.strip():
            attributes.append({"name": name, "options": [value]})
    return attributes
