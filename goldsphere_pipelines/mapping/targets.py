"""The goldsphere fields a rule may fill, and what kind of value each takes.

This is the fixed vocabulary of the rule language: a rule names one of these as its
`target_field`. The kind decides how the value read from the payload is parsed; the
templates and per-connector rules decide where it is read and how it is translated.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from goldsphere_pipelines.mapping import errors as codes

EntityType = Literal["product", "order"]
ENTITY_TYPES: tuple[EntityType, ...] = ("product", "order")

Kind = Literal[
    "plain_text",
    "multiline_text",
    "short_text",
    "url",
    "money",
    "quantity",
    "integer",
    "boolean",
    "enum",
    "reference",
    "email",
    "currency",
    "datetime",
    "weight",
    "purity",
    "external_id",
    "objects",
]

ReferenceTable = Literal["metals", "product_types", "producers"]

ORDER_STATUSES = frozenset(
    {"pending", "confirmed", "processing", "shipped", "delivered", "completed", "cancelled"}
)
PAYMENT_STATUSES = frozenset({"pending", "paid", "failed", "refunded"})
TRANSACTION_TYPES = frozenset({"buy", "sell"})

# The reference data the goldsphere server loads; validation uses the database's own
# names when the caller passes them, these otherwise.
DEFAULT_PRODUCT_TYPES = (
    "Coin", "Bar", "Medallion", "Jewelry", "Cast Bar", "Minted Bar", "CombiBar",
)  # fmt: skip
DEFAULT_METALS = ("Gold", "Silver", "Palladium", "Platinum", "AU", "AG", "PD", "PT")
DEFAULT_PRODUCERS = (
    "Argor-Heraeus", "Austrian Mint", "Perth Mint", "PAMP Suisse", "Royal Canadian Mint",
    "United States Mint", "Valcambi", "Metalor", "Heraeus", "Umicore", "Rand Refinery",
    "Swiss Mint", "British Royal Mint", "Degussa", "Asahi Refining", "Johnson Matthey",
    "Mexican Mint", "China Gold Coin",
)  # fmt: skip

MAX_MONEY = Decimal("9999999999.99")
MAX_ORDER_MONEY = Decimal("999999999999.99")


@dataclass(frozen=True, slots=True)
class TargetSpec:
    """One fillable goldsphere field.

    `always_required`: goldsphere cannot store the entity without it (a rule may not make
    it optional). `unknown_code`: the error code when the payload has values but none of
    them translates. `personal`: the value is personal data, never shown whole in errors.
    """

    name: str
    kind: Kind
    description: str
    always_required: bool = False
    unknown_code: str = codes.UNMAPPED_VALUE
    enum_values: frozenset[str] | None = None
    reference: ReferenceTable | None = None
    minimum: Decimal | None = None
    maximum: Decimal = MAX_MONEY
    max_length: int = 500
    personal: bool = False

    @property
    def is_item_field(self) -> bool:
        return self.name.startswith("item.")


def _specs(*specs: TargetSpec) -> dict[str, TargetSpec]:
    return {spec.name: spec for spec in specs}


PRODUCT_TARGETS = _specs(
    TargetSpec("name", "plain_text", "product name (HTML removed)", always_required=True),
    TargetSpec("sku", "short_text", "stock keeping unit", max_length=100),
    TargetSpec(
        "price", "money", "price in the store currency", always_required=True, minimum=Decimal(0)
    ),
    TargetSpec("description", "multiline_text", "description (HTML removed)", max_length=65535),
    TargetSpec("image_url", "url", "first image"),
    TargetSpec("in_stock", "boolean", "whether it can be bought now (absent: true)"),
    TargetSpec(
        "stock_quantity",
        "integer",
        "units in stock; null when WooCommerce does not manage stock; negative counts as 0",
        maximum=Decimal(2**31 - 1),
    ),
    TargetSpec(
        "product_type",
        "reference",
        "goldsphere product type name (Coin, Bar, ...)",
        always_required=True,
        unknown_code=codes.UNKNOWN_PRODUCT_TYPE,
        reference="product_types",
    ),
    TargetSpec(
        "metal",
        "reference",
        "goldsphere metal name or symbol (Gold, AU, ...)",
        always_required=True,
        unknown_code=codes.UNKNOWN_METAL,
        reference="metals",
    ),
    TargetSpec(
        "producer",
        "reference",
        "goldsphere producer name (mint or refinery)",
        always_required=True,
        unknown_code=codes.UNKNOWN_PRODUCER,
        reference="producers",
    ),
    TargetSpec(
        "weight",
        "weight",
        "weight and its unit (grams, troy_ounces, kilograms)",
        always_required=True,
        unknown_code=codes.INVALID_WEIGHT,
    ),
    TargetSpec(
        "purity",
        "purity",
        "fineness as a fraction of at most 1",
        always_required=True,
        unknown_code=codes.INVALID_PURITY,
    ),
    TargetSpec("year", "integer", "mint year", minimum=Decimal(1000), maximum=Decimal(2999)),
)

ORDER_TARGETS = _specs(
    TargetSpec(
        "user",
        "email",
        "the goldsphere user, found by e-mail",
        always_required=True,
        unknown_code=codes.USER_NOT_FOUND,
        personal=True,
    ),
    TargetSpec(
        "type",
        "enum",
        "transaction type (buy, sell)",
        always_required=True,
        enum_values=TRANSACTION_TYPES,
    ),
    TargetSpec(
        "order_status",
        "enum",
        "goldsphere order status",
        always_required=True,
        unknown_code=codes.UNKNOWN_STATUS,
        enum_values=ORDER_STATUSES,
    ),
    TargetSpec(
        "payment_status",
        "enum",
        "payment status; when absent: paid if paid_at is known, else pending",
        enum_values=PAYMENT_STATUSES,
    ),
    TargetSpec("paid_at", "datetime", "when it was paid (UTC)"),
    TargetSpec("created_at", "datetime", "when it was placed (UTC)"),
    TargetSpec("currency", "currency", "ISO 4217 currency", always_required=True),
    TargetSpec(
        "total",
        "money",
        "grand total",
        always_required=True,
        minimum=Decimal(0),
        maximum=MAX_ORDER_MONEY,
    ),
    TargetSpec("taxes", "money", "total tax", minimum=Decimal(0), maximum=MAX_ORDER_MONEY),
    TargetSpec("shipping", "money", "shipping total", minimum=Decimal(0), maximum=MAX_ORDER_MONEY),
    TargetSpec("fees", "money", "fees (may be negative)", maximum=MAX_ORDER_MONEY),
    TargetSpec(
        "discounts",
        "money",
        "discounts (already deducted from item totals)",
        minimum=Decimal(0),
        maximum=MAX_ORDER_MONEY,
    ),
    TargetSpec("items", "objects", "the line items", always_required=True),
    TargetSpec("item.external_line_id", "external_id", "the line item's own id"),
    TargetSpec("item.product_name", "plain_text", "name as ordered", always_required=True),
    TargetSpec(
        "item.quantity",
        "quantity",
        "quantity, more than zero",
        always_required=True,
        maximum=Decimal(10**9),
    ),
    TargetSpec(
        "item.total_price",
        "money",
        "line total after discounts, before tax",
        always_required=True,
        minimum=Decimal(0),
        maximum=MAX_ORDER_MONEY,
    ),
    TargetSpec("item.product_id", "external_id", "WooCommerce product id"),
    TargetSpec("item.variation_id", "external_id", "WooCommerce variation id (0: none)"),
    TargetSpec("item.sku", "short_text", "SKU as ordered", max_length=100),
)

TARGETS: dict[EntityType, dict[str, TargetSpec]] = {
    "product": PRODUCT_TARGETS,
    "order": ORDER_TARGETS,
}
