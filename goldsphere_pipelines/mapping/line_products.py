"""A goldsphere product built from an order line whose product the shop no longer has.

An order keeps selling lines after their product is deleted: the line still carries the
product's name, SKU, price and, for a variation, the chosen options in its `meta_data`.
That is turned into a product payload and mapped by the connector's product rules and
inference like any product, marked not in stock (the shop cannot sell it any more). A
line never carries the fineness: when nothing on it states one, the shop's other products
of the same producer, metal and kind do (`shop_hints`); a producer the name leaves out is
the one of the shop's products whose SKUs begin the same way; the provenance says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID

from goldsphere_pipelines.mapping.errors import MappingError
from goldsphere_pipelines.mapping.inference import explicit_value, inference_for
from goldsphere_pipelines.mapping.lookups import ProductLookups
from goldsphere_pipelines.mapping.normalize import normalize_name
from goldsphere_pipelines.mapping.products import MappedProduct, ProductMappingResult, map_product
from goldsphere_pipelines.mapping.rules import CompiledMapping
from goldsphere_pipelines.mapping.shop_hints import Consulted, ShopHints

_CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class GoneProducts:
    """What order mapping needs to build products from lines whose product is gone.

    `ids`: the WooCommerce product or variation id (as text) of each product the shop
    answered 404 for and goldsphere has no product of yet → the goldsphere id its product
    gets. `mapping`, `lookups` and `store_currency` are the connector's product mapping;
    `shop_hints` what the shop's own mapped products say (the purity a line lacks).
    """

    ids: Mapping[str, UUID]
    mapping: CompiledMapping
    lookups: ProductLookups
    store_currency: str
    store_weight_unit: str | None = None
    shop_hints: ShopHints | None = None


def product_from_line(
    line: Mapping[str, Any], external_id: str, gone: GoneProducts
) -> ProductMappingResult:
    """Map the product that `line` sold, known by `external_id`. Never raises."""
    payload = line_as_product(line, external_id)
    result = _map(payload, gone)
    hints = gone.shop_hints
    if not hints:
        return result
    try:
        if result.product is None:
            result = _with_shop_catalogue(payload, result, hints, gone)
        if result.product is not None and result.product.product_type_name == "Bar":
            result = _with_shop_bar_kind(result.product, hints, gone)
    except Exception:  # noqa: BLE001 - "never raises": the line's own result stands
        return result
    return result


# What the shop's catalogue can give a line, and what the line must state for the purity.
_FROM_CATALOGUE = frozenset({"producer", "purity"})
_STATED = ("producer", "metal", "product_type")


def _map(payload: dict[str, Any], gone: GoneProducts) -> ProductMappingResult:
    return map_product(
        payload,
        store_currency=gone.store_currency,
        mapping=gone.mapping,
        lookups=gone.lookups,
        store_weight_unit=gone.store_weight_unit,
    )


def _with_shop_catalogue(
    payload: dict[str, Any], result: ProductMappingResult, hints: ShopHints, gone: GoneProducts
) -> ProductMappingResult:
    """`result` failed: when the producer and the purity are all it lacks, the producer of
    the shop's products whose SKUs begin like the line's, and the purity of its other
    products of that producer, metal and kind; each with that as its provenance."""
    missing = {error.field for error in result.errors}
    if not missing or not missing <= _FROM_CATALOGUE:
        return result
    # Given to the mapping as the attributes a product would carry, so that they are parsed
    # and checked as any; their provenance then names where they really came from.
    attributes = list(payload["attributes"])
    sources: dict[str, str] = {}
    if "producer" in missing:
        producer = hints.producer_by_sku(payload.get("sku"))
        if isinstance(producer, Consulted):
            return _failed_asking(result, "producer", producer)
        attributes.append({"name": "Producer", "options": [producer.value]})
        sources["producer"] = producer.source
    if "purity" in missing:
        stated = _stated_names({**payload, "attributes": attributes}, gone)
        if stated is None:
            return result
        purity = hints.purity(*stated)
        if isinstance(purity, Consulted):
            return _failed_asking(result, "purity", purity)
        attributes.append({"name": "Fineness", "options": [f"{purity.value:f}"]})
        sources["purity"] = purity.source
    again = _map({**payload, "attributes": attributes}, gone)
    if again.product is None:
        return result
    provenance = {**again.product.provenance, **sources}
    return ProductMappingResult(product=again.product.model_copy(update={"provenance": provenance}))


def _failed_asking(
    result: ProductMappingResult, field: str, consulted: Consulted
) -> ProductMappingResult:
    errors = [_also_tried(e, consulted) if e.field == field else e for e in result.errors]
    return replace(result, errors=errors)


def _with_shop_bar_kind(
    product: MappedProduct, hints: ShopHints, gone: GoneProducts
) -> ProductMappingResult:
    """A line that names only a "Bar": the kind of bar all the shop's bars of its producer
    and metal are, when goldsphere has that product type."""
    hint = hints.bar_kind(product.producer_name, product.metal_name)
    type_id = None if hint is None else gone.lookups.product_types.get(normalize_name(hint.value))
    if hint is None or type_id is None:
        return ProductMappingResult(product=product)
    provenance = {**product.provenance, "product_type": hint.source}
    update = {"product_type_id": type_id, "product_type_name": hint.value, "provenance": provenance}
    return ProductMappingResult(product=product.model_copy(update=update))


def _stated_names(payload: dict[str, Any], gone: GoneProducts) -> tuple[str, str, str] | None:
    """The goldsphere producer, metal and product type the line states, or None."""
    inference = inference_for(gone.mapping, gone.lookups)
    names = []
    for target in _STATED:
        rule = inference.rules.get(target)
        explicit = None if rule is None else explicit_value(rule, payload, gone.store_weight_unit)
        found = inference.infer(target, payload, gone.store_weight_unit, explicit)
        if isinstance(found, MappingError):
            return None
        names.append(str(found.value[1]))
    return names[0], names[1], names[2]


def _also_tried(error: MappingError, consulted: Consulted) -> MappingError:
    tried = [*(error.tried or []), {"source": consulted.source, "found": consulted.found}]
    message = error.message.replace(
        ". Fix:", f"; {consulted.source} gave {consulted.found}. Fix:", 1
    )
    return error.model_copy(update={"tried": tried, "message": message})


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
