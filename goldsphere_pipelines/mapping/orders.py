"""WooCommerce order → goldsphere `orders` + `order_items` rows, or the reasons it cannot be."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, Literal, NamedTuple
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from goldsphere_pipelines.mapping import errors as codes
from goldsphere_pipelines.mapping.compiled_orders import (
    compile_items_reader,
    compile_order_readers,
)
from goldsphere_pipelines.mapping.engine import CompiledRule, RuleFailure
from goldsphere_pipelines.mapping.errors import DEPENDENCY_CODES, MappingError, mask_email
from goldsphere_pipelines.mapping.line_products import GoneProducts, product_from_line
from goldsphere_pipelines.mapping.lookups import OrderLookups
from goldsphere_pipelines.mapping.normalize import normalize_email
from goldsphere_pipelines.mapping.paths import MAX_CANDIDATES, Key
from goldsphere_pipelines.mapping.products import MappedProduct
from goldsphere_pipelines.mapping.record_checks import internal_error, record_id, wrong_type
from goldsphere_pipelines.mapping.rules import CompiledMapping
from goldsphere_pipelines.mapping.targets import ORDER_STATUSES, PAYMENT_STATUSES, TRANSACTION_TYPES
from goldsphere_pipelines.mapping.trusted import (
    checked_model,
    construct_checked,
    is_amount,
    is_optional_moment,
)

TOLERANCE = Decimal("0.01")
UNIT_PRICE_STEP = Decimal("0.0001")
_CENT = Decimal("0.01")
_NO_CENTS = Decimal("0.00")

_ORDER_TARGETS = (
    "user",
    "type",
    "order_status",
    "payment_status",
    "paid_at",
    "created_at",
    "currency",
    "total",
    "taxes",
    "shipping",
    "fees",
    "discounts",
)
_ITEM_TARGETS = (
    "item.external_line_id",
    "item.product_name",
    "item.quantity",
    "item.total_price",
    "item.product_id",
    "item.variation_id",
    "item.sku",
)


@checked_model
class MappedOrderItem(BaseModel):
    """A goldsphere `order_items` row. `unit_price` is `total_price / quantity` to four
    places (two when exact): WooCommerce's own `price` is a float and is never used."""

    model_config = ConfigDict(frozen=True)

    product_id: UUID
    product_name: str
    quantity: Decimal = Field(gt=0)
    unit_price: Decimal
    total_price: Decimal
    external_line_id: str | None
    external_product_id: str | None
    external_variation_id: str | None
    sku: str | None


@checked_model
class MappedOrder(BaseModel):
    """A goldsphere `orders` row with its items and the shop's totals.

    `paid_at` and `created_at` are timezone-aware UTC datetimes. `subtotal` is the sum of
    the items' `total_price` (as goldsphere computes it); `total` = subtotal + shipping +
    fees + taxes within a cent (`discounts` are already deducted from item totals).
    """

    model_config = ConfigDict(frozen=True)

    external_id: str
    user_id: UUID
    type: Literal["buy", "sell"]
    order_status: Literal[
        "pending", "confirmed", "processing", "shipped", "delivered", "completed", "cancelled"
    ]
    payment_status: Literal["pending", "paid", "failed", "refunded"]
    paid_at: datetime | None
    created_at: datetime | None
    currency: str
    items: list[MappedOrderItem]
    subtotal: Decimal
    taxes: Decimal
    shipping: Decimal
    fees: Decimal
    discounts: Decimal
    total: Decimal

    def to_json(self) -> dict[str, Any]:
        """JSON-safe (decimals, UUIDs and datetimes as text), for `mapped_payload_json`."""
        return self.model_dump(mode="json")


@dataclass(frozen=True, slots=True)
class OrderMappingResult:
    """`order` when the record maps; `errors` (all of them) when it does not.

    `awaiting_dependency` is True when every error is a missing user or product: nothing
    is wrong with the order itself, and a later sync may map it.
    """

    order: MappedOrder | None
    errors: list[MappingError] = field(default_factory=list)
    derived_products: list[MappedProduct] = field(default_factory=list)
    """Products built from lines whose product the shop no longer has (see `GoneProducts`):
    the order's items point at them by `GoneProducts.ids`; the caller writes them first."""

    @property
    def awaiting_dependency(self) -> bool:
        return bool(self.errors) and all(e.code in DEPENDENCY_CODES for e in self.errors)


def map_order(
    payload: Any,
    *,
    mapping: CompiledMapping,
    lookups: OrderLookups,
    gone_products: GoneProducts | None = None,
) -> OrderMappingResult:
    """Map one WooCommerce order. Never raises.

    A line naming a product in `gone_products.ids` maps to a product built from the line
    (`derived_products`); when that product cannot be built, the order fails with
    `gone_product_incomplete` naming the line and the fields it lacks.
    """
    try:
        return _map_order(payload, mapping, lookups, gone_products, _evaluation(mapping))
    except Exception as exc:  # noqa: BLE001 - the contract is "never raises"; tests assert no internal_error
        return OrderMappingResult(order=None, errors=[internal_error(exc)])


def map_order_reference(
    payload: Any,
    *,
    mapping: CompiledMapping,
    lookups: OrderLookups,
    gone_products: GoneProducts | None = None,
) -> OrderMappingResult:
    """What `map_order` gives, by the general engine alone: every rule evaluated step by
    step (`CompiledRule.evaluate_reference`) and every result model validated by
    pydantic. Far slower; it is what the compiled rules are tested against."""
    try:
        return _map_order(payload, mapping, lookups, gone_products, _reference(mapping))
    except Exception as exc:  # noqa: BLE001 - as map_order
        return OrderMappingResult(order=None, errors=[internal_error(exc)])


def order_fields_read(mapping: CompiledMapping) -> frozenset[str] | None:
    """The top-level keys of an order payload that mapping it with `mapping` can read:
    the order's id, and the first field of every rule's source paths (a path always
    begins with a field name; line items are read whole, as their rules and products
    built from them may read any of their fields). `map_order` gives the same result for
    the payload cut down to these keys as for the whole payload. None when some path
    would not begin with a field name: then the whole payload is needed."""
    keys = {"id"}
    for rule in mapping.rules.values():
        for path in rule.paths:
            first = path.steps[0] if path.steps else None
            if not isinstance(first, Key):
                return None
            keys.add(first.name)
    return frozenset(keys)


@dataclass(frozen=True, slots=True)
class _Evaluation:
    """How one order's rules are asked: `order(payload, errors)` gives the order rules'
    values by target, `line(raw, index, errors)` a line's by name and whether one failed;
    `validate` builds the result models through pydantic's validation."""

    order: Callable[[dict[str, Any], list[MappingError]], dict[str, Any]]
    line: Callable[[dict[str, Any], int, list[MappingError]], tuple[dict[str, Any], bool]]
    items: Callable[[CompiledRule, Any], Any]
    validate: bool = False


# Compiled once per mapping (a sync compiles its mapping once): the rules object is held,
# so that its id cannot name another mapping's rules while it is here.
_COMPILED: dict[int, tuple[Mapping[str, CompiledRule], _Evaluation]] = {}
_COMPILED_MAPPINGS = 16


def _evaluation(mapping: CompiledMapping) -> _Evaluation:
    rules = mapping.rules
    cached = _COMPILED.get(id(rules))
    if cached is not None and cached[0] is rules:
        return cached[1]
    if all(t in rules for t in (*_ORDER_TARGETS, "items", *_ITEM_TARGETS)):
        readers = compile_order_readers(
            [(target, rules[target]) for target in _ORDER_TARGETS],
            [(target[len("item.") :], rules[target]) for target in _ITEM_TARGETS],
        )
        read_items = compile_items_reader(rules["items"])
        evaluation = _Evaluation(
            order=readers.order, line=readers.line, items=lambda _, payload: read_items(payload)
        )
    else:
        # A mapping without some target (built by hand, not by compile_rules): rule by rule.
        evaluation = _rule_by_rule(rules, _evaluate, validate=False)
    if len(_COMPILED) >= _COMPILED_MAPPINGS:
        _COMPILED.clear()
    _COMPILED[id(rules)] = (rules, evaluation)
    return evaluation


def _reference(mapping: CompiledMapping) -> _Evaluation:
    return _rule_by_rule(mapping.rules, _evaluate_reference, validate=True)


def _evaluate(rule: CompiledRule, payload: Any, label: str | None = None) -> Any:
    return rule.evaluate(payload, label=label)


def _evaluate_reference(rule: CompiledRule, payload: Any, label: str | None = None) -> Any:
    return rule.evaluate_reference(payload, label=label)


def _rule_by_rule(
    rules: Mapping[str, CompiledRule],
    evaluate: Callable[[CompiledRule, Any, str | None], Any],
    *,
    validate: bool,
) -> _Evaluation:
    """The rules asked one after the other by `evaluate`, as the rule language reads."""
    order_rules = [(t, rule) for t in _ORDER_TARGETS if (rule := rules.get(t)) is not None]
    line_rules = [
        (t[len("item.") :], rule) for t in _ITEM_TARGETS if (rule := rules.get(t)) is not None
    ]

    def read_order(payload: dict[str, Any], errors: list[MappingError]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for target, rule in order_rules:
            try:
                values[target] = evaluate(rule, payload, None)
            except RuleFailure as failure:
                errors.append(failure.error)
        return values

    def read_line(
        raw: dict[str, Any], index: int, errors: list[MappingError]
    ) -> tuple[dict[str, Any], bool]:
        values: dict[str, Any] = {}
        failed = False
        for name, rule in line_rules:
            try:
                values[name] = evaluate(rule, raw, f"items[{index}].{name}")
            except RuleFailure as failure:
                errors.append(failure.error)
                failed = True
        return values, failed

    return _Evaluation(
        order=read_order,
        line=read_line,
        items=lambda rule, payload: evaluate(rule, payload, None),
        validate=validate,
    )


def _map_order(
    payload: Any,
    mapping: CompiledMapping,
    lookups: OrderLookups,
    gone_products: GoneProducts | None,
    evaluation: _Evaluation,
) -> OrderMappingResult:
    if not isinstance(payload, dict):
        error = wrong_type("payload", payload, "an order object")
        return OrderMappingResult(order=None, errors=[error])
    errors: list[MappingError] = []
    external_id = record_id(payload.get("id"), "external_id", errors)
    values = evaluation.order(payload, errors)
    user_id = _user(values.get("user"), external_id, lookups, errors)
    lines = _lines(payload, mapping, lookups, gone_products, errors, evaluation)
    subtotal = _reconcile(values, lines, errors)
    if errors or user_id is None or lines is None or subtotal is None:
        return OrderMappingResult(order=None, errors=errors)
    paid_at = values.get("paid_at")
    payment_status = values.get("payment_status") or ("paid" if paid_at else "pending")
    zero = _NO_CENTS
    return OrderMappingResult(
        order=_order(
            {
                "external_id": external_id or "",
                "user_id": user_id,
                "type": values["type"],
                "order_status": values["order_status"],
                "payment_status": payment_status,
                "paid_at": paid_at,
                "created_at": values.get("created_at"),
                "currency": values["currency"],
                "items": [line.item for line in lines if line.item is not None],
                "subtotal": subtotal,
                "taxes": values.get("taxes") or zero,
                "shipping": values.get("shipping") or zero,
                "fees": values.get("fees") or zero,
                "discounts": values.get("discounts") or zero,
                "total": values["total"],
            },
            evaluation.validate,
        ),
        derived_products=_derived(lines),
    )


def _derived(lines: list[_Line]) -> list[MappedProduct]:
    by_id = {line.derived.external_id: line.derived for line in lines if line.derived is not None}
    return list(by_id.values())


def _order(fields: dict[str, Any], validate: bool) -> MappedOrder:
    """`MappedOrder(**fields)`, without validation when every value is already valid."""
    if (
        not validate
        and type(fields["external_id"]) is str
        and type(fields["user_id"]) is UUID
        and type(fields["type"]) is str
        and type(fields["order_status"]) is str
        and type(fields["payment_status"]) is str
        and fields["type"] in TRANSACTION_TYPES
        and fields["order_status"] in ORDER_STATUSES
        and fields["payment_status"] in PAYMENT_STATUSES
        and is_optional_moment(fields["paid_at"])
        and is_optional_moment(fields["created_at"])
        and type(fields["currency"]) is str
        and type(fields["items"]) is list
        and all(type(item) is MappedOrderItem for item in fields["items"])
        and is_amount(fields["subtotal"])
        and is_amount(fields["taxes"])
        and is_amount(fields["shipping"])
        and is_amount(fields["fees"])
        and is_amount(fields["discounts"])
        and is_amount(fields["total"])
    ):
        return construct_checked(MappedOrder, fields)
    return MappedOrder(**fields)


def _user(
    email: Any, external_id: str | None, lookups: OrderLookups, errors: list[MappingError]
) -> UUID | None:
    if not isinstance(email, str):
        return None  # the rule already reported why there is no e-mail
    user_id = lookups.users_by_email.get(normalize_email(email))
    if user_id is None:
        errors.append(
            MappingError(
                field="user",
                code=codes.USER_NOT_FOUND,
                message=f"user: no goldsphere user has the billing e-mail of order "
                f"{external_id or '(no id)'} ({mask_email(email)}). Create the user in "
                "goldsphere or correct the e-mail in the shop; the order is tried again "
                "on the next sync.",
                value=mask_email(email),
            )
        )
    return user_id


class _Line(NamedTuple):
    """One line item as far as it maps: its total counts towards reconciliation even when
    its product is not found, so that every error of the order is reported at once."""

    total: Decimal | None
    item: MappedOrderItem | None
    derived: MappedProduct | None = None


def _lines(
    payload: dict[str, Any],
    mapping: CompiledMapping,
    lookups: OrderLookups,
    gone_products: GoneProducts | None,
    errors: list[MappingError],
    evaluation: _Evaluation,
) -> list[_Line] | None:
    items_rule = mapping.rules.get("items")
    if items_rule is None:
        return None
    try:
        raw_items = evaluation.items(items_rule, payload)
    except RuleFailure as failure:
        errors.append(failure.error)
        return None
    if raw_items is not None and len(raw_items) >= MAX_CANDIDATES:
        # Source paths read at most MAX_CANDIDATES values: refuse rather than drop items.
        errors.append(
            MappingError(
                field="items",
                code=codes.TOO_LONG,
                message=f"items: the order has {MAX_CANDIDATES} line items or more; "
                f"goldsphere-pipelines maps orders of at most {MAX_CANDIDATES - 1}.",
            )
        )
        return None
    return [
        _line(index, raw, evaluation, lookups, gone_products, errors)
        for index, raw in enumerate(raw_items or ())
    ]


def _line(
    index: int,
    raw: Any,
    evaluation: _Evaluation,
    lookups: OrderLookups,
    gone_products: GoneProducts | None,
    errors: list[MappingError],
) -> _Line:
    if not isinstance(raw, dict):
        errors.append(wrong_type(f"items[{index}]", raw, "a line item object"))
        return _Line(total=None, item=None)
    values, failed = evaluation.line(raw, index, errors)
    total: Decimal | None = values.get("total_price")
    product_id, derived = _product(index, raw, values, lookups, gone_products, errors)
    if failed or product_id is None or total is None:
        return _Line(total=total, item=None)
    quantity: Decimal = values["quantity"]
    line_id, external_product_id, variation_id, sku = (
        values.get("external_line_id"),
        values.get("product_id"),
        values.get("variation_id"),
        values.get("sku") or None,
    )
    unit_price = _unit_price(total, quantity)
    fields = {
        "product_id": product_id,
        "product_name": values["product_name"],
        "quantity": quantity,
        "unit_price": unit_price,
        "total_price": total,
        "external_line_id": line_id,
        "external_product_id": external_product_id,
        "external_variation_id": variation_id,
        "sku": sku,
    }
    # Validation would return these very values; check them here, far faster.
    if (
        not evaluation.validate
        and type(product_id) is UUID
        and type(fields["product_name"]) is str
        and type(quantity) is Decimal
        and quantity.is_finite()
        and quantity > 0
        and type(unit_price) is Decimal
        and unit_price.is_finite()
        and type(total) is Decimal
        and total.is_finite()
        and (line_id is None or type(line_id) is str)
        and (external_product_id is None or type(external_product_id) is str)
        and (variation_id is None or type(variation_id) is str)
        and (sku is None or type(sku) is str)
    ):
        return _Line(total, construct_checked(MappedOrderItem, fields), derived)
    return _Line(total, MappedOrderItem(**fields), derived)


def _product(
    index: int,
    raw: dict[str, Any],
    values: dict[str, Any],
    lookups: OrderLookups,
    gone_products: GoneProducts | None,
    errors: list[MappingError],
) -> tuple[UUID | None, MappedProduct | None]:
    """By variation id first, then product id, then SKU; else, when the shop no longer has
    the line's product, the product built from the line (returned as well)."""
    variation_id = values.get("variation_id")
    product_id = values.get("product_id")
    sku = values.get("sku")
    by_id = lookups.products_by_external_id
    found = (
        (by_id.get(variation_id) if variation_id else None)
        or (by_id.get(product_id) if product_id else None)
        or (lookups.products_by_sku.get(sku) if sku else None)
    )
    if found is not None:
        return found, None
    label = f"items[{index}]"
    line = values.get("external_line_id")
    name = values.get("product_name")
    described = f"line item {line or '(no id)'}" + (f" {name!r}" if name else "")
    target = variation_id or product_id
    if gone_products is not None and target and target in gone_products.ids:
        return _gone_product(label, described, raw, target, gone_products, errors)
    if not (variation_id or product_id or sku):
        errors.append(
            MappingError(
                field=f"{label}.product_id",
                code=codes.MISSING_FIELD,
                message=f"{label}: {described} names no product, variation or SKU (the product "
                "was probably deleted from the shop), so it cannot point at a goldsphere product.",
            )
        )
        return None, None
    errors.append(
        MappingError(
            field=f"{label}.product_id",
            code=codes.PRODUCT_NOT_FOUND,
            message=f"{label}: {described} (product {product_id or '-'}, variation "
            f"{variation_id or '-'}, SKU {sku or '-'}) matches no goldsphere product imported "
            "from this shop. Products sync before orders: once the product maps, the next "
            "sync imports this order.",
            value=variation_id or product_id or sku,
        )
    )
    return None, None


def _gone_product(
    label: str,
    described: str,
    raw: dict[str, Any],
    external_id: str,
    gone_products: GoneProducts,
    errors: list[MappingError],
) -> tuple[UUID | None, MappedProduct | None]:
    result = product_from_line(raw, external_id, gone_products)
    if result.product is not None:
        return gone_products.ids[external_id], result.product
    missing = sorted({error.field for error in result.errors})
    reasons = " ".join(error.message for error in result.errors[:3])
    errors.append(
        MappingError(
            field=f"{label}.product_id",
            code=codes.GONE_PRODUCT_INCOMPLETE,
            message=f"{label}: {described} sold product {external_id}, which the shop no "
            f"longer has; a product built from the line lacks {', '.join(missing)}. "
            f"{reasons} Add a product rule or default for {', '.join(missing)} "
            "(`goldsphere rules doctor` proposes one); the order maps on the next sync.",
            value=", ".join(missing),
        )
    )
    return None, None


def _unit_price(total: Decimal, quantity: Decimal) -> Decimal:
    unit = (total / quantity).quantize(UNIT_PRICE_STEP, rounding=ROUND_HALF_EVEN)
    cents = unit.quantize(_CENT)
    return cents if cents == unit else unit


def _reconcile(
    values: dict[str, Any], lines: list[_Line] | None, errors: list[MappingError]
) -> Decimal | None:
    """The subtotal (sum of item totals), after checking the shop's total against it."""
    if lines is None:
        return None
    subtotal = _NO_CENTS
    for line in lines:
        if line.total is None:
            return None
        subtotal += line.total
    total = values.get("total")
    if total is None or "shipping" not in values or "fees" not in values or "taxes" not in values:
        return subtotal  # a part failed to parse and is reported already; no sum to compare
    shipping = values.get("shipping") or Decimal(0)
    fees = values.get("fees") or Decimal(0)
    taxes = values.get("taxes") or Decimal(0)
    expected = subtotal + shipping + fees + taxes
    if abs(expected - total) > TOLERANCE:
        errors.append(
            MappingError(
                field="total",
                code=codes.TOTALS_MISMATCH,
                message=f"total: the shop's total {total} differs from items {subtotal} + "
                f"shipping {shipping} + fees {fees} + taxes {taxes} = {expected} by more "
                "than a cent. Check the order in the shop (a plugin may add amounts that "
                "the rules do not read).",
                value=str(total),
            )
        )
    return subtotal
