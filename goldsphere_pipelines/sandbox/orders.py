"""The shop's orders: a compact index for 100,000 orders, full payloads rendered on demand.

The index (id, dates, status, customer, flaw) lives in typed arrays, which is what list
filters need; line items, totals and addresses are derived from (seed, order id) each
time an order is served, so memory does not grow with the shop.
"""

from __future__ import annotations

import random
from array import array
from bisect import bisect_left
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import orjson

from goldsphere_pipelines.sandbox import dates
from goldsphere_pipelines.sandbox.bullion import (
    COUPONS,
    FX_PER_USD,
    KNOWN_CURRENCIES,
    PAYMENT_METHODS,
    SILVER,
    TAX_RATES,
    UNKNOWN_CURRENCIES,
)
from goldsphere_pipelines.sandbox.catalogue import (
    REMOVED,
    Catalogue,
    ProductSpec,
    current_price_cents,
    shown_name,
    variation_option_slug,
    variation_sku,
)
from goldsphere_pipelines.sandbox.config import SandboxConfig
from goldsphere_pipelines.sandbox.customers import Customer, generate_customers
from goldsphere_pipelines.sandbox.money import cents_text, tax_text, unit_price_number

BASE_PLACEHOLDER = "{{goldsphere-sandbox-base}}"
"""Stands for the shop URL in cached JSON; replaced by the URL the client used."""

ORDER_STATUSES = (
    "pending",
    "processing",
    "on-hold",
    "completed",
    "cancelled",
    "refunded",
    "failed",
    "trash",
    "checkout-draft",
)
STATUS_CODE = {status: code for code, status in enumerate(ORDER_STATUSES)}
TRASH = STATUS_CODE["trash"]
_STATUS_WEIGHTS = (5, 14, 5, 58, 7, 4, 4, 2, 1)
_STATUS_CUMULATIVE = [sum(_STATUS_WEIGHTS[: k + 1]) / sum(_STATUS_WEIGHTS) for k in range(9)]

ORDER_FLAWS = ("guest_without_email", "deleted_product", "unknown_currency", "custom_line_item")
"""Flaws of messy orders, by code - 1 (code 0 is a clean order)."""
UNMAPPABLE_FLAWS = frozenset({"guest_without_email", "unknown_currency", "custom_line_item"})
"""Flaws no default rule can map: no buyer, a currency goldsphere does not take, a line
without a product. `deleted_product` is not one: its line can become a product."""
STATUSES_WITHOUT_DEFAULT = frozenset({"checkout-draft"})
"""Statuses the sandbox sells that the default order rules have no mapping for."""

_PAID = {"processing", "completed", "refunded"}
_COMPLETED = {"completed", "refunded"}
_ORDER_META_IDS = 80_000_000
_ITEM_META_IDS = 90_000_000
_USER_AGENT = "mozilla/5.0 (x11; ubuntu; linux x86_64; rv:126.0) gecko/20100101 firefox/126.0"
_VERSION_SINCE = ((1714500000, "8.9.1"), (1696000000, "8.2.1"), (0, "7.4.0"))


@dataclass(frozen=True, slots=True)
class LineSpec:
    product_id: int
    variation_id: int
    quantity: int


@dataclass(slots=True)
class AddedOrder:
    """An order created after generation: its items and buyer are given, not derived."""

    items: tuple[LineSpec, ...]
    email: str | None
    currency: str | None


@dataclass(slots=True)
class OrderBook:
    """Every order of a store. Ids are increasing; arrays are indexed by position."""

    config: SandboxConfig
    catalogue: Catalogue
    customers: list[Customer]
    ids: array[int] = field(default_factory=lambda: array("q"))
    created: array[int] = field(default_factory=lambda: array("q"))
    modified: array[int] = field(default_factory=lambda: array("q"))
    status: array[int] = field(default_factory=lambda: array("b"))
    customer: array[int] = field(default_factory=lambda: array("i"))
    flaw: array[int] = field(default_factory=lambda: array("b"))
    added: dict[int, AddedOrder] = field(default_factory=dict)
    revision: dict[int, int] = field(default_factory=dict)
    overrides: dict[int, dict[str, Any]] = field(default_factory=dict)
    deleted: set[int] = field(default_factory=set)
    next_id: int = 0
    json_cache: dict[int, tuple[tuple[int, int, int], bytes]] = field(default_factory=dict)
    line_templates: dict[tuple[int, int], _LineTemplate] = field(default_factory=dict)
    """What an order line of (product, variation) says, whatever the order: computed once."""

    @classmethod
    def generate(cls, config: SandboxConfig, catalogue: Catalogue) -> OrderBook:
        book = cls(config, catalogue, generate_customers(config.seed, config.customers))
        book._generate_index()
        return book

    def _generate_index(self) -> None:
        config = self.config
        rng = random.Random(f"{config.seed}:orders")
        count = config.orders
        messy = set(rng.sample(range(count), round(count * config.messy_share)))
        step = (dates.DATA_END - 4 * 86400 - dates.ORDERS_START) / max(count, 1)
        next_id = (self.catalogue.next_id // 1000 + 1) * 1000 + 1
        previous = dates.ORDERS_START
        customers = len(self.customers)
        for index in range(count):
            self.ids.append(next_id)
            next_id += 1 if rng.random() < 0.9 else 2
            if rng.random() < 0.04:
                created = previous  # a burst: orders placed in the same second
            else:
                created = max(previous, int(dates.ORDERS_START + step * (index + rng.random())))
            previous = created
            roll = rng.random()
            status = bisect_left(_STATUS_CUMULATIVE, roll)
            name = ORDER_STATUSES[status]
            if name in ("pending", "checkout-draft", "failed"):
                modified = created + rng.randint(0, 120)
            elif rng.random() < 0.08:
                modified = created + rng.randint(86400, 200 * 86400)
            else:
                modified = created + int(rng.expovariate(1 / (2 * 86400)))
            self.created.append(created)
            self.modified.append(min(modified, dates.DATA_END))
            self.status.append(status)
            self.customer.append(int(customers * rng.random() ** 2))
            self.flaw.append(rng.randrange(len(ORDER_FLAWS)) + 1 if index in messy else 0)
        self.next_id = next_id

    # --- lookups --------------------------------------------------------------------

    def index_of(self, order_id: int) -> int | None:
        """Position of a live order, or None when it does not exist (or was deleted)."""
        if order_id in self.deleted:
            return None
        position = bisect_left(self.ids, order_id)
        if position < len(self.ids) and self.ids[position] == order_id:
            return position
        return None

    def flaw_of(self, index: int) -> str | None:
        code = self.flaw[index]
        return ORDER_FLAWS[code - 1] if code else None

    def billing_email(self, index: int) -> str:
        order_id = self.ids[index]
        added = self.added.get(order_id)
        if added is not None and added.email is not None:
            return added.email
        if self.flaw_of(index) == "guest_without_email":
            return ""
        return self.customers[self.customer[index]].email

    def customer_user_id(self, index: int) -> int:
        if self.flaw_of(index) == "guest_without_email":
            return 0
        return self.customers[self.customer[index]].user_id

    # --- changes --------------------------------------------------------------------

    def append(self, *, created: int, status: str, customer: int, added: AddedOrder) -> int:
        order_id = self.next_id
        self.next_id += 1
        self.ids.append(order_id)
        self.created.append(created)
        self.modified.append(created)
        self.status.append(STATUS_CODE[status])
        self.customer.append(customer)
        self.flaw.append(0)
        self.added[order_id] = added
        return order_id

    # --- payloads -------------------------------------------------------------------

    def payload(self, index: int, base: str) -> dict[str, Any]:
        """The order exactly as `GET /wc/v3/orders/{id}` returns it."""
        return _OrderRenderer(self, index, base).render()

    def payload_json(self, index: int) -> bytes:
        """The order's JSON with `BASE_PLACEHOLDER` for the shop URL, cached until it changes.

        Rendering costs about 0.1 ms per order; a store of 100,000 orders would otherwise
        spend more time rendering than a client spends syncing. The cache holds about
        3 KB per order (300 MB for 100,000), in the sandbox's own process.
        """
        order_id = self.ids[index]
        stamp = (self.status[index], self.modified[index], self.revision.get(order_id, 0))
        cached = self.json_cache.get(order_id)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        # orjson's result keeps its whole output buffer (~30 KB); a copy keeps ~3 KB.
        body = bytes(memoryview(orjson.dumps(self.payload(index, BASE_PLACEHOLDER))))
        self.json_cache[order_id] = (stamp, body)
        return body

    def warm_up(self) -> None:
        """Render every live order once, so that the first full sync is served from cache."""
        for index, order_id in enumerate(self.ids):
            if order_id not in self.deleted:
                self.payload_json(index)


_LineTemplate = tuple[int, int, str, str, tuple[dict[str, Any], ...]]
"""Base price (cents, before revisions), variation id, name, SKU, item meta."""


def _line_template(spec: ProductSpec, variation: int, dialect: str) -> _LineTemplate:
    # A line keeps the name the shop gave the product, in the shop's language and style.
    price = current_price_cents(spec, variation, include_revision=False)
    name = shown_name(spec, dialect)
    if variation < 0:
        return price, 0, name, spec.sku, ()
    option = spec.options[variation]
    key = f"pa_{(spec.axis or 'option').lower()}"
    meta = ({"id": 0, "key": key, "value": variation_option_slug(option)},)
    return (
        price,
        spec.variation_ids[variation],
        f"{name} - {option}",
        variation_sku(spec, variation),
        meta,
    )


def _price_factor(epoch: int) -> Decimal:
    """Spot prices rose over the generated period: older orders were cheaper."""
    span = dates.DATA_END - dates.ORDERS_START
    share = min(max((epoch - dates.ORDERS_START) / span, 0.0), 1.0)
    return Decimal(45 + round(55 * share)) / 100


@dataclass(slots=True)
class _Line:
    product_id: int
    variation_id: int
    name: str
    sku: str
    quantity: int
    unit_cents: int
    meta: list[dict[str, Any]]
    subtotal: int = 0
    total: int = 0
    subtotal_tax: int = 0
    total_tax: int = 0


class _OrderRenderer:
    """Builds one order payload; every random choice comes from (seed, order id)."""

    def __init__(self, book: OrderBook, index: int, base: str) -> None:
        self.book = book
        self.index = index
        self.base = base
        self.order_id = book.ids[index]
        self.rng = random.Random(f"{book.config.seed}:order:{self.order_id}")
        self.offset = book.config.utc_offset_minutes * 60
        self.item_counter = 0

    def _next_item_id(self) -> int:
        # Order items share one sequence in WooCommerce; 20 per order never collide here.
        self.item_counter += 1
        return self.order_id * 20 + self.item_counter

    def _local(self, epoch: int | None) -> str | None:
        return None if epoch is None else dates.iso(epoch + self.offset)

    def _gmt(self, epoch: int | None) -> str | None:
        return None if epoch is None else dates.iso(epoch)

    def _currency(self, flaw: str | None, store_currency: str) -> str:
        added = self.book.added.get(self.order_id)
        if added is not None:
            return added.currency or store_currency
        if flaw == "unknown_currency":
            return self.rng.choice(UNKNOWN_CURRENCIES)
        if self.rng.random() < 0.1:
            return self.rng.choice([c for c in KNOWN_CURRENCIES if c != store_currency])
        return store_currency

    def _line_for(
        self, spec: ProductSpec, variation: int, quantity: int, factor: Decimal, fx: Decimal
    ) -> _Line:
        template = self.book.line_templates.get((spec.id, variation))
        if template is None:
            template = _line_template(spec, variation, self.book.config.dialect)
            self.book.line_templates[(spec.id, variation)] = template
        price, variation_id, name, sku, meta = template
        unit = int(price * factor * fx)
        return _Line(spec.id, variation_id, name, sku, quantity, unit, [dict(m) for m in meta])

    def _generated_lines(self, flaw: str | None, factor: Decimal, fx: Decimal) -> list[_Line]:
        rng = self.rng
        catalogue = self.book.catalogue
        lines: list[_Line] = []
        chosen: set[tuple[int, int]] = set()
        orderable = catalogue.orderable
        for _ in range(rng.choice((1, 1, 2, 2, 3, 3, 3, 4, 4, 5))):
            if not orderable:
                break
            spec, variation = orderable[rng.randrange(len(orderable))]
            if (spec.id, variation) in chosen:
                continue
            chosen.add((spec.id, variation))
            small_silver = spec.design.metal is SILVER and spec.weight.endswith("oz")
            quantity = rng.choice((1, 5, 10, 20, 25, 50) if small_silver else (1, 1, 1, 2, 3, 5))
            lines.append(self._line_for(spec, variation, quantity, factor, fx))
        if flaw == "deleted_product" and catalogue.ghosts:
            ghost = catalogue.ghosts[rng.randrange(len(catalogue.ghosts))]
            lines.insert(0, self._line_for(ghost, -1, 1, factor, fx))
        if flaw == "custom_line_item" or not lines:
            fee = int(rng.choice((2500, 4900, 9900)) * fx)
            lines.append(_Line(0, 0, "Storage and insurance (12 months)", "", 1, fee, []))
        return lines

    def _added_lines(self, added: AddedOrder, fx: Decimal) -> list[_Line]:
        catalogue = self.book.catalogue
        lines = []
        for item in added.items:
            spec: ProductSpec | None = catalogue.by_id.get(item.product_id)
            if spec is None:
                lines.append(_Line(item.product_id, item.variation_id, "Deleted product", "",
                                   item.quantity, 1000, []))  # fmt: skip
                continue
            variation = (
                spec.variation_ids.index(item.variation_id)
                if item.variation_id in spec.variation_ids
                else -1
            )
            lines.append(self._line_for(spec, variation, item.quantity, Decimal(1), fx))
        return lines

    def render(self) -> dict[str, Any]:
        book, rng, index = self.book, self.rng, self.index
        config = book.config
        order_id = self.order_id
        status = ORDER_STATUSES[book.status[index]]
        created = book.created[index]
        modified = book.modified[index]
        flaw = book.flaw_of(index)
        customer = book.customers[book.customer[index]]
        currency = self._currency(flaw, config.currency)
        fx = FX_PER_USD.get(currency, Decimal(1)) / FX_PER_USD.get(config.currency, Decimal(1))
        added = book.added.get(order_id)
        if added is not None:
            lines = self._added_lines(added, fx)
        else:
            lines = self._generated_lines(flaw, _price_factor(created), fx)

        country, state, city, postcode, street = customer.address
        tax_rate = TAX_RATES.get(state) if country == "US" and rng.random() < 0.6 else None
        basis_points = tax_rate[3] if tax_rate else 0

        items_subtotal = 0
        for line in lines:
            line.subtotal = line.unit_cents * line.quantity
            items_subtotal += line.subtotal

        coupon_lines: list[dict[str, Any]] = []
        discount = 0
        code = ""
        if rng.random() < 0.08 and items_subtotal > 0:
            code, amount = rng.choice(COUPONS)
            discount = min(int(amount * fx), items_subtotal // 2)
        remaining = discount
        for position, line in enumerate(lines):
            share = (
                remaining
                if position == len(lines) - 1
                else discount * line.subtotal // max(items_subtotal, 1)
            )
            remaining -= share
            line.total = line.subtotal - share
            line.subtotal_tax = round(line.subtotal * basis_points / 10000)
            line.total_tax = round(line.total * basis_points / 10000)
        discount_tax = sum(line.subtotal_tax - line.total_tax for line in lines)
        items_total = items_subtotal - discount

        if items_total >= 100000 * fx:
            shipping_method = ("free_shipping:2", "Free insured shipping", 0)
        elif rng.random() < 0.07:
            shipping_method = ("local_pickup:3", "Local pickup", 0)
        else:
            shipping_method = (
                "flat_rate:1",
                "Insured shipping",
                int(rng.choice((1500, 2500)) * fx),
            )
        shipping_total = shipping_method[2]
        shipping_tax = (
            round(shipping_total * basis_points / 10000)
            if basis_points and shipping_total and rng.random() < 0.5
            else 0
        )

        fees: list[tuple[str, int]] = []
        payment_method = PAYMENT_METHODS[rng.randrange(len(PAYMENT_METHODS))]
        if status == "on-hold":
            payment_method = PAYMENT_METHODS[0]
        if rng.random() < 0.1:
            fee = max(int(500 * fx), items_total // 100)
            fees.append(("Transport insurance", fee))
        if payment_method[0] == "bacs" and rng.random() < 0.15:
            fee = -(items_total * 2 // 100)
            fees.append(("Bank transfer discount (2%)", fee))

        cart_tax = sum(line.total_tax for line in lines)
        total_tax = cart_tax + shipping_tax
        total = items_total + shipping_total + sum(fee for _name, fee in fees) + total_tax

        line_items = [self._line_item(line, tax_rate) for line in lines]
        shipping_lines = [self._shipping_line(shipping_method, shipping_tax, tax_rate, lines)]
        fee_lines = [self._fee_line(name, fee) for name, fee in fees]
        tax_lines = []
        if tax_rate:
            tax_lines.append(
                {
                    "id": self._next_item_id(),
                    "rate_code": tax_rate[1],
                    "rate_id": tax_rate[0],
                    "label": tax_rate[2],
                    "compound": False,
                    "tax_total": cents_text(cart_tax),
                    "shipping_tax_total": cents_text(shipping_tax),
                    "meta_data": [],
                }
            )
        if discount:
            coupon_lines.append(
                {
                    "id": self._next_item_id(),
                    "code": code,
                    "discount": cents_text(discount),
                    "discount_tax": cents_text(discount_tax),
                    "meta_data": [],
                }
            )

        refunds: list[dict[str, Any]] = []
        if status == "refunded":
            refunds.append({"id": order_id + 3_000_000, "refund": "", "total": cents_text(-total)})
        elif status == "completed" and rng.random() < 0.04 and lines:
            partial = min(lines[0].total, total)
            refunds.append(
                {"id": order_id + 3_000_000, "refund": "", "total": cents_text(-partial)}
            )

        paid_at = created + rng.randint(5, 600) if status in _PAID else None
        if paid_at is not None:
            paid_at = min(paid_at, modified)
        completed_at = modified if status in _COMPLETED else None
        user_id = book.customer_user_id(index)
        email = book.billing_email(index)
        created_via = rng.choice(("checkout",) * 17 + ("admin", "admin", "rest-api"))
        at_checkout = created_via == "checkout"
        version = next(v for since, v in _VERSION_SINCE if created >= since)
        revision = book.revision.get(order_id, 0)
        meta_data: list[dict[str, Any]] = [
            {"id": _ORDER_META_IDS + order_id * 4, "key": "is_vat_exempt", "value": "no"},
        ]
        if payment_method[0] == "stripe":
            stripe_fee = cents_text(total * 29 // 1000 + 30)
            meta_data.append(
                {
                    "id": _ORDER_META_IDS + order_id * 4 + 1,
                    "key": "_stripe_fee",
                    "value": stripe_fee,
                }
            )
        if revision:
            meta_data.append(
                {
                    "id": _ORDER_META_IDS + order_id * 4 + 2,
                    "key": "_sandbox_revision",
                    "value": str(revision),
                }
            )
        first, last = customer.first_name, customer.last_name
        payload: dict[str, Any] = {
            "id": order_id,
            "parent_id": 0,
            "number": str(order_id),
            "order_key": f"wc_order_{rng.getrandbits(52):013x}",
            "created_via": created_via,
            "version": version,
            "status": status,
            "currency": currency,
            "date_created": self._local(created),
            "date_created_gmt": self._gmt(created),
            "date_modified": self._local(modified),
            "date_modified_gmt": self._gmt(modified),
            "discount_total": cents_text(discount),
            "discount_tax": cents_text(discount_tax),
            "shipping_total": cents_text(shipping_total),
            "shipping_tax": cents_text(shipping_tax),
            "cart_tax": cents_text(cart_tax),
            "total": cents_text(total),
            "total_tax": cents_text(total_tax),
            "prices_include_tax": False,
            "customer_id": user_id,
            "customer_ip_address": f"203.0.113.{rng.randint(1, 254)}" if at_checkout else "",
            "customer_user_agent": _USER_AGENT if at_checkout else "",
            "customer_note": "Please ship discreetly." if rng.random() < 0.03 else "",
            "billing": {
                "first_name": first,
                "last_name": last,
                "company": customer.company,
                "address_1": f"{customer.street_number} {street}",
                "address_2": "",
                "city": city,
                "state": state,
                "postcode": postcode,
                "country": country,
                "email": email,
                "phone": customer.phone,
            },
            "shipping": {
                "first_name": first,
                "last_name": last,
                "company": customer.company,
                "address_1": f"{customer.street_number} {street}",
                "address_2": "",
                "city": city,
                "state": state,
                "postcode": postcode,
                "country": country,
            },
            "payment_method": payment_method[0],
            "payment_method_title": payment_method[1],
            "transaction_id": f"ch_{rng.getrandbits(96):024x}"
            if payment_method[0] == "stripe" and paid_at
            else "",
            "date_paid": self._local(paid_at),
            "date_paid_gmt": self._gmt(paid_at),
            "date_completed": self._local(completed_at),
            "date_completed_gmt": self._gmt(completed_at),
            "cart_hash": f"{rng.getrandbits(128):032x}" if at_checkout else "",
            "meta_data": meta_data,
            "line_items": line_items,
            "tax_lines": tax_lines,
            "shipping_lines": shipping_lines,
            "fee_lines": fee_lines,
            "coupon_lines": coupon_lines,
            "refunds": refunds,
            "_links": self._links(user_id),
        }
        overrides = book.overrides.get(order_id)
        if overrides:
            for key, value in overrides.items():
                if value is REMOVED:
                    payload.pop(key, None)
                else:
                    payload[key] = value
        return payload

    def _line_item(self, line: _Line, tax_rate: tuple[int, str, str, int] | None) -> dict[str, Any]:
        item_id = self._next_item_id()
        taxes = []
        if tax_rate:
            taxes.append(
                {
                    "id": tax_rate[0],
                    "total": tax_text(line.total_tax),
                    "subtotal": tax_text(line.subtotal_tax),
                }
            )
        meta = [
            {**entry, "id": _ITEM_META_IDS + item_id * 4 + k} for k, entry in enumerate(line.meta)
        ]
        return {
            "id": item_id,
            "name": line.name,
            "product_id": line.product_id,
            "variation_id": line.variation_id,
            "quantity": line.quantity,
            "tax_class": "",
            "subtotal": cents_text(line.subtotal),
            "subtotal_tax": cents_text(line.subtotal_tax),
            "total": cents_text(line.total),
            "total_tax": cents_text(line.total_tax),
            "taxes": taxes,
            "meta_data": meta,
            "sku": line.sku,
            "price": unit_price_number(line.total, line.quantity),
        }

    def _shipping_line(
        self,
        method: tuple[str, str, int],
        shipping_tax: int,
        tax_rate: tuple[int, str, str, int] | None,
        lines: list[_Line],
    ) -> dict[str, Any]:
        item_id = self._next_item_id()
        summary = ", ".join(f"{line.name} &times; {line.quantity}" for line in lines)
        return {
            "id": item_id,
            "method_title": method[1],
            "method_id": method[0],
            "total": cents_text(method[2]),
            "total_tax": cents_text(shipping_tax),
            "taxes": [{"id": tax_rate[0], "total": tax_text(shipping_tax), "subtotal": ""}]
            if tax_rate and shipping_tax
            else [],
            "meta_data": [{"id": _ITEM_META_IDS + item_id * 4, "key": "Items", "value": summary}],
        }

    def _fee_line(self, name: str, cents: int) -> dict[str, Any]:
        return {
            "id": self._next_item_id(),
            "name": name,
            "tax_class": "",
            "tax_status": "none",
            "total": cents_text(cents),
            "total_tax": "0.00",
            "taxes": [],
            "meta_data": [],
        }

    def _links(self, user_id: int) -> dict[str, Any]:
        base = self.base
        links: dict[str, Any] = {
            "self": [{"href": f"{base}/wp-json/wc/v3/orders/{self.order_id}"}],
            "collection": [{"href": f"{base}/wp-json/wc/v3/orders"}],
        }
        if user_id:
            links["customer"] = [{"href": f"{base}/wp-json/wc/v3/customers/{user_id}"}]
        return links
