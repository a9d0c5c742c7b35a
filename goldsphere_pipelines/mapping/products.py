"""WooCommerce product or variation → goldsphere `product` row, or the reasons it cannot be."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from goldsphere_pipelines.mapping.compiled import FALLBACK
from goldsphere_pipelines.mapping.engine import RuleFailure
from goldsphere_pipelines.mapping.errors import MappingError, shown_value
from goldsphere_pipelines.mapping.inference import (
    Inferred,
    NewProducer,
    inference_for,
)
from goldsphere_pipelines.mapping.lookups import ProductLookups
from goldsphere_pipelines.mapping.parsers import (
    Rejected,
    parse_currency,
    parse_external_id,
)
from goldsphere_pipelines.mapping.record_checks import internal_error, record_id, wrong_type
from goldsphere_pipelines.mapping.rules import CompiledMapping
from goldsphere_pipelines.mapping.trusted import (
    checked_model,
    construct_checked,
)
from goldsphere_pipelines.mapping.variations import inherit

# WooCommerce product types that are containers: a variable product is bought through its
# variations (WooCommerce reports the cheapest variation's price as the parent's), a
# grouped product through its children. Neither is itself a goldsphere product.
CONTAINER_TYPES = frozenset({"variable", "grouped"})


@checked_model
class MappedProduct(BaseModel):
    """A goldsphere `product` row as the shop describes it.

    Money is `Decimal` with two places (NUMERIC(12,2)); `weight` has four (NUMERIC(12,4))
    in `weight_unit`; `purity` is a fraction ≤ 1 with four places, rounded down.
    `image_url` is "" when the shop has none (goldsphere's column default);
    `stock_quantity` is None when WooCommerce does not manage the stock.
    The `*_name` fields record which goldsphere name the shop's values resolved to.
    """

    model_config = ConfigDict(frozen=True)

    external_id: str
    parent_external_id: str | None
    sku: str | None
    name: str
    product_type_id: UUID
    product_type_name: str
    metal_id: UUID
    metal_name: str
    producer_id: UUID
    producer_name: str
    weight: Decimal = Field(gt=0)
    weight_unit: Literal["grams", "troy_ounces", "kilograms"]
    purity: Decimal = Field(gt=0, le=1)
    price: Decimal = Field(ge=0)
    currency: str
    year: int | None
    description: str | None
    image_url: str
    in_stock: bool
    stock_quantity: int | None
    provenance: dict[str, str] = Field(default_factory=dict)
    """Per inferred field, where its value came from: "producer: Perth Mint — from series
    'Kangaroo' in name"."""
    new_producer: dict[str, str] | None = None
    """A producer the knowledge file names that goldsphere lacks: `{name, country_code,
    country_name}`; `producer_id` is the id it is to be created with."""

    def to_json(self) -> dict[str, Any]:
        """JSON-safe (decimals and UUIDs as text), for `mapped_payload_json`: what
        `model_dump(mode="json")` gives, from the serializer itself (the pipeline stores
        one per product; `model_dump`'s own arguments cost a sixth of it)."""
        dumped: dict[str, Any] = self.__pydantic_serializer__.to_python(self, mode="json")
        return dumped


@dataclass(frozen=True, slots=True)
class ProductMappingResult:
    """`product` when the record maps; `errors` (all of them) when it does not.

    `sellable` is False for a variable or grouped parent: no product, and no error unless
    its `id` is broken; the pipeline records it as mapped without a goldsphere product.
    """

    product: MappedProduct | None
    errors: list[MappingError] = field(default_factory=list)
    sellable: bool = True


def map_product(
    payload: Any,
    *,
    parent: Any | None = None,
    store_currency: str,
    mapping: CompiledMapping,
    lookups: ProductLookups,
    store_weight_unit: str | None = None,
) -> ProductMappingResult:
    """Map one WooCommerce product, or one variation with its `parent` product's payload.

    `store_weight_unit` is the store's weight unit (WooCommerce's g, kg, oz or lbs) for
    bare numbers such as the `weight` field; unknown means grams. Never raises.
    """
    try:
        return _map_product(payload, parent, store_currency, mapping, lookups, store_weight_unit)
    except Exception as exc:  # noqa: BLE001 - the contract is "never raises"; tests assert no internal_error
        return ProductMappingResult(product=None, errors=[internal_error(exc)])


def _map_product(
    payload: Any,
    parent: Any | None,
    store_currency: str,
    mapping: CompiledMapping,
    lookups: ProductLookups,
    store_weight_unit: str | None,
) -> ProductMappingResult:
    if not isinstance(payload, dict):
        return _failed(wrong_type("payload", payload, "a product object"))
    if parent is not None and not isinstance(parent, dict):
        return _failed(wrong_type("parent", parent, "the parent product object"))
    errors: list[MappingError] = []
    external_id = record_id(payload.get("id"), "external_id", errors)
    if parent is not None:
        parent_external_id = record_id(parent.get("id"), "parent_external_id", errors)
        product = inherit(parent, payload)
    else:
        parent_external_id = _optional_id(payload.get("parent_id"))
        product = payload
        kind = product.get("type")
        if isinstance(kind, str) and kind in CONTAINER_TYPES:
            return ProductMappingResult(product=None, errors=errors, sellable=False)

    inference = inference_for(mapping, lookups)
    values: dict[str, Any] = {}
    inferred: dict[str, Inferred] = {}
    provenance: dict[str, str] = {}
    # The template's rules in order; an inferred field's rule is read without its default
    # (the default stands last in the inference order), then the inference takes over.
    for target, rule, infers, answers in inference.plan:
        value = rule.fast_path(product, store_weight_unit)
        if value is FALLBACK:
            try:
                value = rule.evaluate(product, store_unit=store_weight_unit)
            except RuleFailure as failure:
                if not infers:
                    errors.append(failure.error)
                    continue
                value = failure.error
        if not infers:
            values[target] = value
            continue
        # What `infer` answers first, without the call: the rule's value translated before.
        known = None
        if answers is not None and value is not None and type(value) is not MappingError:
            known = answers.get(value)
        outcome = known or inference.infer(target, product, store_weight_unit, value)
        if isinstance(outcome, MappingError):
            errors.append(outcome)
            continue
        inferred[target] = outcome
        provenance[target] = outcome.provenance or "the rule"
    currency = _currency(store_currency, errors)
    if errors:
        return ProductMappingResult(product=None, errors=errors)

    product_type = inferred["product_type"].value
    metal = inferred["metal"].value
    producer = inferred["producer"]
    weight, weight_unit = inferred["weight"].value
    stock = values.get("stock_quantity")
    in_stock = values.get("in_stock")
    return ProductMappingResult(
        product=_product(
            {
                "external_id": external_id or "",
                "parent_external_id": parent_external_id,
                "sku": values.get("sku") or None,
                "name": values["name"],
                "product_type_id": product_type[0],
                "product_type_name": product_type[1],
                "metal_id": metal[0],
                "metal_name": metal[1],
                "producer_id": producer.value[0],
                "producer_name": producer.value[1],
                "weight": weight,
                "weight_unit": weight_unit,
                "purity": inferred["purity"].value,
                "price": values["price"],
                "currency": currency or "",
                "year": values.get("year"),
                "description": values.get("description") or None,
                "image_url": values.get("image_url") or "",
                "in_stock": True if in_stock is None else in_stock,
                # WooCommerce counts backorders as negative stock; goldsphere has no such thing.
                "stock_quantity": None if stock is None else max(stock, 0),
                # Only the source: the value it gave is already in the payload beside it.
                "provenance": provenance,
                "new_producer": None
                if producer.new_producer is None
                else _new_producer(producer.new_producer),
            }
        )
    )


def _new_producer(producer: NewProducer) -> dict[str, str]:
    return {
        "name": producer.name,
        "country_code": producer.country_code,
        "country_name": producer.country_name,
    }


_WEIGHT_UNITS = frozenset({"grams", "troy_ounces", "kilograms"})


def _product(fields: dict[str, Any]) -> MappedProduct:
    """`MappedProduct(**fields)`, without validation when every value is already valid.

    Not checked again: `external_id`, `parent_external_id` and `currency` (text or None
    by construction above), `provenance` and `new_producer` (built above)."""
    weight, purity, price = fields["weight"], fields["purity"], fields["price"]
    sku, description = fields["sku"], fields["description"]
    year, stock = fields["year"], fields["stock_quantity"]
    if (
        (sku is None or type(sku) is str)
        and type(fields["name"]) is str
        and type(fields["product_type_id"]) is UUID
        and type(fields["product_type_name"]) is str
        and type(fields["metal_id"]) is UUID
        and type(fields["metal_name"]) is str
        and type(fields["producer_id"]) is UUID
        and type(fields["producer_name"]) is str
        and type(weight) is Decimal
        and weight.is_finite()
        and weight > 0
        and type(fields["weight_unit"]) is str
        and fields["weight_unit"] in _WEIGHT_UNITS
        and type(purity) is Decimal
        and purity.is_finite()
        and 0 < purity <= 1
        and type(price) is Decimal
        and price.is_finite()
        and price >= 0
        and (year is None or type(year) is int)
        and (description is None or type(description) is str)
        and type(fields["image_url"]) is str
        and type(fields["in_stock"]) is bool
        and (stock is None or type(stock) is int)
    ):
        return construct_checked(MappedProduct, fields)
    return MappedProduct(**fields)


def _failed(error: MappingError) -> ProductMappingResult:
    return ProductMappingResult(product=None, errors=[error])


def _optional_id(value: Any) -> str | None:
    try:
        return parse_external_id(value)
    except Rejected:
        return None


_ACCEPTED_CURRENCIES: dict[str, str] = {}
"""Store currency as the store sends it → its code: every product of a run has the same."""


def _currency(store_currency: Any, errors: list[MappingError]) -> str | None:
    if type(store_currency) is str:
        known = _ACCEPTED_CURRENCIES.get(store_currency)
        if known is not None:
            return known
    try:
        code = parse_currency(store_currency)
        if type(store_currency) is str and len(_ACCEPTED_CURRENCIES) < 64:
            _ACCEPTED_CURRENCIES[store_currency] = code
        return code
    except Rejected as problem:
        errors.append(
            MappingError(
                field="currency",
                code=problem.code,
                message=f"currency: the store's currency {shown_value(store_currency)!r} "
                f"{problem.reason}.",
                value=shown_value(store_currency),
            )
        )
        return None
