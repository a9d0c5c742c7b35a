"""`SandboxStore`: a WooCommerce store's data, its changes, its faults; thread-safe.

The server runs in another thread (or process) while tests call these methods: every
public method takes the store's lock, so a page is always cut from one consistent state.
A change bumps `date_modified_gmt` to the current time (never backwards), as WooCommerce
does when an admin edits a record.
"""

from __future__ import annotations

import random
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import orjson

from goldsphere_pipelines.sandbox import dates
from goldsphere_pipelines.sandbox.auth import ApiKey, NonceRegistry
from goldsphere_pipelines.sandbox.bullion import CATEGORY_IDS, UNKNOWN_CATEGORY
from goldsphere_pipelines.sandbox.catalogue import (
    Catalogue,
    ProductSpec,
    ProductTruth,
    VariationState,
    add_product,
    product_payload,
    product_truth,
    variation_payload,
    variation_sku,
)
from goldsphere_pipelines.sandbox.config import FaultKnobs, SandboxConfig
from goldsphere_pipelines.sandbox.faults import FaultInjector, SandboxStats, StatsCounter
from goldsphere_pipelines.sandbox.listing import ListQuery, cut_page, project_fields, sorted_rows
from goldsphere_pipelines.sandbox.orders import (
    BASE_PLACEHOLDER,
    ORDER_STATUSES,
    STATUS_CODE,
    STATUSES_WITHOUT_DEFAULT,
    TRASH,
    UNMAPPABLE_FLAWS,
    AddedOrder,
    LineSpec,
    OrderBook,
)
from goldsphere_pipelines.sandbox.rest_errors import RestError
from goldsphere_pipelines.sandbox.webhooks import WebhookHub

DEFAULT_BASE_URL = "http://127.0.0.1"
_CACHE_SIZE = 24
_ORDER_LIGHT_FIELDS = frozenset(
    {"id", "parent_id", "number", "status", "date_created", "date_created_gmt",
     "date_modified", "date_modified_gmt", "customer_id"}
)  # fmt: skip
_PRODUCT_LIGHT_FIELDS = frozenset(
    {"id", "name", "slug", "sku", "type", "status", "parent_id", "date_created",
     "date_created_gmt", "date_modified", "date_modified_gmt"}
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a collection, as JSON, and the size of the whole filtered collection."""

    records: list[bytes]
    """Each record's JSON, with `BASE_PLACEHOLDER` where the shop URL goes."""
    total: int

    def body(self, base_url: str) -> bytes:
        """The JSON array WooCommerce would send, links pointing at `base_url`."""
        joined = b"[" + b",".join(self.records) + b"]"
        return joined.replace(BASE_PLACEHOLDER.encode(), base_url.encode())


class AlreadyTrashed(ValueError):
    """The record is in the trash already (WooCommerce answers 410)."""


class SandboxStore:
    """A deterministic bullion shop; the same config gives the same records.

    Ids a test may rely on: `product_ids()`, `variation_ids()`, `order_ids()` list
    exactly what a full sync with default filters (`status=any`) must find.
    """

    def __init__(self, config: SandboxConfig | None = None, **settings: Any) -> None:
        if config is None:
            config = SandboxConfig(**settings)
        elif settings:
            config = config.with_changes(**settings)
        self.config = config
        self._lock = threading.RLock()
        self._catalogue = Catalogue.generate(config)
        self._orders = OrderBook.generate(config, self._catalogue)
        self._faults = FaultInjector(config.fault_knobs(), config.seed)
        self._stats = StatsCounter()
        self._nonces = NonceRegistry()
        self._version = 0
        self._cache: OrderedDict[tuple[Any, ...], tuple[list[int], list[Any] | None]] = (
            OrderedDict()
        )
        self._mutation_random = random.Random(f"{config.seed}:mutations")
        self._list_pages_served = 0
        self._list_pages_with_records = 0
        self.webhooks = WebhookHub(
            woocommerce_version=config.woocommerce_version,
            seed=config.seed,
            knobs=lambda: self._faults.knobs,
        )

    # --- credentials, faults, statistics ----------------------------------------------

    @property
    def consumer_key(self) -> str:
        return self.config.consumer_key.get_secret_value()

    @property
    def consumer_secret(self) -> str:
        return self.config.consumer_secret.get_secret_value()

    def api_key(self) -> ApiKey:
        knobs = self._faults.knobs
        return ApiKey(
            consumer_key=self.consumer_key,
            consumer_secret=self.consumer_secret,
            permissions=self.config.key_permissions,
            revoked=knobs.key_revoked,
        )

    @property
    def nonces(self) -> NonceRegistry:
        return self._nonces

    @property
    def fault_injector(self) -> FaultInjector:
        return self._faults

    @property
    def fault_knobs(self) -> FaultKnobs:
        return self._faults.knobs

    def set_faults(self, **knobs: Any) -> FaultKnobs:
        """Change fault knobs while the store serves (`FaultKnobs` names); returns them all."""
        with self._lock:
            before = self._faults.knobs.supports_modified_filters
            updated = self._faults.update(**knobs)
            # Listing faults count the pages served from the moment they are set.
            self._list_pages_served = 0
            self._list_pages_with_records = 0
            if updated.supports_modified_filters != before:
                self._changed()
            return updated

    def clear_faults(self) -> FaultKnobs:
        """Back to a well-behaved store (keeps `supports_modified_filters`)."""
        keep = self._faults.knobs.supports_modified_filters
        return self.set_faults(**{**FaultKnobs().model_dump(), "supports_modified_filters": keep})

    @property
    def stats(self) -> SandboxStats:
        """Requests served and faults injected since start or `reset_stats()`."""
        return self._stats.snapshot()

    @property
    def stats_counter(self) -> StatsCounter:
        return self._stats

    def reset_stats(self) -> None:
        self._stats.reset()

    # --- what a test checks against ---------------------------------------------------

    def product_ids(self, *, include_trash: bool = False) -> list[int]:
        """Every product a `GET /products` (status any) lists, in id order."""
        with self._lock:
            return [
                spec.id
                for spec in self._catalogue.live_products()
                if include_trash or spec.status != "trash"
            ]

    def variation_ids(self) -> list[int]:
        """Every variation of every listed variable product, in id order."""
        with self._lock:
            return [
                vid
                for spec in self._catalogue.live_products()
                if spec.status != "trash"
                for vid in spec.variation_ids
                if vid not in self._catalogue.deleted
            ]

    def variable_product_ids(self) -> list[int]:
        with self._lock:
            return [
                spec.id
                for spec in self._catalogue.live_products()
                if spec.variable and spec.status != "trash"
            ]

    def variations_of(self, product_id: int) -> list[int]:
        with self._lock:
            spec = self._live_product(product_id)
            if spec is None:
                return []
            return [vid for vid in spec.variation_ids if vid not in self._catalogue.deleted]

    def order_ids(self, *, include_trash: bool = False) -> list[int]:
        """Every order a `GET /orders` (status any) lists, in id order; trash on request."""
        with self._lock:
            book = self._orders
            return [
                order_id
                for position, order_id in enumerate(book.ids)
                if order_id not in book.deleted
                and (include_trash or book.status[position] != TRASH)
            ]

    def product(self, product_id: int, *, base_url: str = DEFAULT_BASE_URL) -> dict[str, Any]:
        """The product payload; KeyError when it does not exist."""
        with self._lock:
            spec = self._live_product(product_id)
            if spec is None:
                raise KeyError(product_id)
            return product_payload(self._catalogue, spec, base_url)

    def variation(self, variation_id: int, *, base_url: str = DEFAULT_BASE_URL) -> dict[str, Any]:
        with self._lock:
            found = self._live_variation(variation_id)
            if found is None:
                raise KeyError(variation_id)
            parent, index = found
            return variation_payload(self._catalogue, parent, index, base_url)

    def order(self, order_id: int, *, base_url: str = DEFAULT_BASE_URL) -> dict[str, Any]:
        """The order payload; KeyError when it does not exist."""
        with self._lock:
            position = self._orders.index_of(order_id)
            if position is None:
                raise KeyError(order_id)
            return self._orders.payload(position, base_url)

    def customer_emails(self) -> list[str]:
        """Distinct non-empty billing e-mails of the listed orders, sorted."""
        with self._lock:
            book = self._orders
            emails = {
                book.billing_email(position)
                for position, order_id in enumerate(book.ids)
                if order_id not in book.deleted
            }
            emails.discard("")
            return sorted(emails)

    def product_flaw(self, product_id: int) -> str | None:
        """The messy-record flaw of a product: missing_sku, empty_price, unknown_category."""
        with self._lock:
            spec = self._catalogue.by_id.get(product_id)
            return spec.flaw if spec else None

    def order_flaw(self, order_id: int) -> str | None:
        """guest_without_email, deleted_product, unknown_currency, custom_line_item or None."""
        with self._lock:
            position = self._orders.index_of(order_id)
            return self._orders.flaw_of(position) if position is not None else None

    def deliberately_broken(self, order_id: int) -> tuple[str, ...]:
        """Why an order is made so that no default rule maps it (a test must see it fail
        with a precise error): its flaw `guest_without_email` (no user to buy for),
        `unknown_currency` (SEK, JPY) or `custom_line_item` (a line with product id 0), and
        `status:checkout-draft` (a status without a default). Empty for an order meant to
        map, `deleted_product` included: its line maps to a product built from the line."""
        with self._lock:
            book = self._orders
            position = book.index_of(order_id)
            if position is None:
                raise KeyError(order_id)
            flaw = book.flaw_of(position)
            status = ORDER_STATUSES[book.status[position]]
        reasons = [flaw] if flaw in UNMAPPABLE_FLAWS else []
        if status in STATUSES_WITHOUT_DEFAULT:
            reasons.append(f"status:{status}")
        return tuple(reasons)

    def truth(self, product_id: int) -> ProductTruth:
        """The true producer, metal, weight (grams), purity and product type of a product,
        variation or deleted ("ghost") product, whatever its payload says; KeyError when the
        id was never a product."""
        with self._lock:
            catalogue = self._catalogue
            spec = catalogue.by_id.get(product_id)
            if spec is not None:
                return product_truth(spec)
            if product_id in catalogue.variation_parent:
                parent, index = catalogue.variation_parent[product_id]
                return product_truth(parent, index)
            for ghost in catalogue.ghosts:
                if ghost.id == product_id:
                    return product_truth(ghost)
            raise KeyError(product_id)

    def ghost_product_ids(self) -> list[int]:
        """Ids of products deleted before generation that old orders still reference."""
        return [ghost.id for ghost in self._catalogue.ghosts]

    # --- changes --------------------------------------------------------------------

    def _changed(self) -> None:
        self._version += 1
        self._cache.clear()

    def _bump(self, previous: int) -> int:
        return max(dates.now(), previous + 1)

    # Every change is pushed to the webhooks subscribed to its topic, rendered as the REST
    # API would show it right after the change (called under the store's lock).

    def _webhook_base(self) -> str:
        return self.webhooks.source_url.rstrip("/")

    def _emit_product(self, event: str, product_id: int) -> None:
        def render() -> dict[str, Any]:
            spec = self._catalogue.by_id[product_id]
            return product_payload(self._catalogue, spec, self._webhook_base())

        self.webhooks.emit(f"product.{event}", product_id, render)

    def _emit_variation(self, event: str, variation_id: int) -> None:
        def render() -> dict[str, Any]:
            parent, index = self._catalogue.variation_parent[variation_id]
            return variation_payload(self._catalogue, parent, index, self._webhook_base())

        self.webhooks.emit(f"product.{event}", variation_id, render)

    def _emit_order(self, event: str, order_id: int) -> None:
        def render() -> dict[str, Any]:
            position = self._orders.index_of(order_id)
            assert position is not None
            return self._orders.payload(position, self._webhook_base())

        self.webhooks.emit(f"order.{event}", order_id, render)

    @staticmethod
    def _status_event(before: str, after: str, trash: str) -> str:
        """WooCommerce's topic for a save: trashing is `deleted`, untrashing `restored`."""
        if after == trash and before != trash:
            return "deleted"
        if before == trash and after != trash:
            return "restored"
        return "updated"

    def add_product(
        self,
        *,
        name: str | None = None,
        sku: str | None = None,
        price: str | None = None,
        status: str = "publish",
        variations: int = 0,
        overrides: dict[str, Any] | None = None,
    ) -> int:
        """Create a product now (variable when `variations` > 0); returns its id."""
        with self._lock:
            spec = add_product(
                self._catalogue,
                created=dates.now(),
                name=name,
                sku=sku,
                price=price,
                status=status,
                variations=variations,
                overrides=overrides,
            )
            self._changed()
            self._emit_product("created", spec.id)
            for variation_id in spec.variation_ids:
                self._emit_variation("created", variation_id)
            return spec.id

    def modify_product(
        self,
        product_id: int,
        *,
        status: str | None = None,
        overrides: dict[str, Any] | None = None,
    ) -> None:
        """Edit a product: price moves by 1 %, stock changes, `date_modified_gmt` is now."""
        with self._lock:
            spec = self._require_product(product_id)
            before = spec.status
            spec.revision += 1
            if spec.stock_quantity:
                spec.stock_quantity -= 1
            if status is not None:
                spec.status = status
            if overrides:
                spec.overrides = {**(spec.overrides or {}), **overrides}
            spec.modified = self._bump(spec.modified)
            self._changed()
            self._emit_product(self._status_event(before, spec.status, "trash"), product_id)

    def modify_variation(
        self, variation_id: int, *, overrides: dict[str, Any] | None = None
    ) -> None:
        """Edit a variation; WooCommerce then re-saves the parent, so both are modified."""
        with self._lock:
            found = self._live_variation(variation_id)
            if found is None:
                raise KeyError(variation_id)
            parent, index = found
            state = self._catalogue.variation_state.get(variation_id)
            if state is None:
                state = VariationState(modified=self._catalogue.variation_modified(parent, index))
                self._catalogue.variation_state[variation_id] = state
            state.revision += 1
            state.modified = self._bump(state.modified)
            if overrides:
                state.overrides = {**(state.overrides or {}), **overrides}
            parent.modified = max(self._bump(parent.modified), state.modified)
            self._changed()
            self._emit_variation("updated", variation_id)
            self._emit_product("updated", parent.id)

    def delete_product(self, product_id: int) -> None:
        """Delete permanently (with its variations): it vanishes from every listing."""
        with self._lock:
            spec = self._require_product(product_id)
            self._catalogue.deleted.add(spec.id)
            self._catalogue.deleted.update(spec.variation_ids)
            self._changed()
            for variation_id in spec.variation_ids:
                self._emit_variation("deleted", variation_id)
            self._emit_product("deleted", spec.id)

    def trash_product(self, product_id: int) -> None:
        """Move to the trash, as `DELETE /products/{id}` without force: only `status=trash`
        lists it, its variations with it (WooCommerce trashes them too). AlreadyTrashed
        when it is in the trash already (WooCommerce's 410)."""
        with self._lock:
            spec = self._require_product(product_id)
            if spec.status == "trash":
                raise AlreadyTrashed(product_id)
            self._set_product_status(spec, "trash")

    def restore_product(self, product_id: int, status: str = "publish") -> None:
        """Out of the trash, as `POST /products/{id}` with a `status` (or any status change)."""
        with self._lock:
            self._set_product_status(self._require_product(product_id), status)

    def _set_product_status(self, spec: ProductSpec, status: str) -> None:
        # WordPress saves the post with its new status: its modified date moves; nothing
        # else of the product changes.
        before = spec.status
        spec.status = status
        spec.modified = self._bump(spec.modified)
        self._changed()
        self._emit_product(self._status_event(before, status, "trash"), spec.id)

    def trash_order(self, order_id: int) -> None:
        """Move to the trash, as `DELETE /orders/{id}` without force."""
        with self._lock:
            position = self._orders.index_of(order_id)
            if position is None:
                raise KeyError(order_id)
            if self._orders.status[position] == TRASH:
                raise AlreadyTrashed(order_id)
            self._set_order_status(position, "trash")

    def restore_order(self, order_id: int, status: str = "processing") -> None:
        """Out of the trash, as `POST /orders/{id}` with a `status`."""
        if status not in STATUS_CODE:
            raise ValueError(f"unknown order status {status!r}")
        with self._lock:
            position = self._orders.index_of(order_id)
            if position is None:
                raise KeyError(order_id)
            self._set_order_status(position, status)

    def _set_order_status(self, position: int, status: str) -> None:
        book = self._orders
        before = ORDER_STATUSES[book.status[position]]
        book.status[position] = STATUS_CODE[status]
        book.modified[position] = self._bump(book.modified[position])
        self._changed()
        self._emit_order(self._status_event(before, status, "trash"), book.ids[position])

    def churn(self, kind: Literal["products", "orders"], *, vanish: int, appear: int) -> None:
        """Delete `vanish` records of `kind` for good and add `appear` new ones, at random
        (seeded): what a busy shop does while a listing is read."""
        with self._lock:
            pool = self.product_ids() if kind == "products" else self.order_ids()
            for record_id in self._mutation_random.sample(pool, min(vanish, len(pool))):
                if kind == "products":
                    self.delete_product(record_id)
                else:
                    self.delete_order(record_id)
            for _ in range(appear):
                if kind == "products":
                    self.add_product()
                else:
                    self.add_order()

    def delete_variation(self, variation_id: int) -> None:
        with self._lock:
            found = self._live_variation(variation_id)
            if found is None:
                raise KeyError(variation_id)
            parent, _index = found
            self._catalogue.deleted.add(variation_id)
            parent.modified = self._bump(parent.modified)
            self._changed()
            self._emit_variation("deleted", variation_id)
            self._emit_product("updated", parent.id)

    def add_order(
        self,
        *,
        items: Sequence[tuple[int, int, int]] | None = None,
        status: str = "processing",
        email: str | None = None,
        currency: str | None = None,
        overrides: dict[str, Any] | None = None,
    ) -> int:
        """Create an order now; `items` are (product_id, variation_id or 0, quantity).

        Without items, one clean product is bought. Returns the new order id.
        """
        if status not in STATUS_CODE:
            raise ValueError(f"unknown order status {status!r}")
        with self._lock:
            if items is None:
                spec, variation = self._pick_orderable()
                vid = spec.variation_ids[variation] if variation >= 0 else 0
                items = [(spec.id, vid, 1)]
            added = AddedOrder(
                items=tuple(LineSpec(p, v, q) for p, v, q in items), email=email, currency=currency
            )
            customer = self._mutation_random.randrange(len(self._orders.customers))
            order_id = self._orders.append(
                created=dates.now(), status=status, customer=customer, added=added
            )
            if overrides:
                self._orders.overrides[order_id] = dict(overrides)
            self._changed()
            self._emit_order("created", order_id)
            return order_id

    def modify_order(
        self,
        order_id: int,
        *,
        status: str | None = None,
        overrides: dict[str, Any] | None = None,
    ) -> None:
        """Edit an order (e.g. a status change); `date_modified_gmt` becomes now."""
        if status is not None and status not in STATUS_CODE:
            raise ValueError(f"unknown order status {status!r}")
        with self._lock:
            book = self._orders
            position = book.index_of(order_id)
            if position is None:
                raise KeyError(order_id)
            book.revision[order_id] = book.revision.get(order_id, 0) + 1
            before = ORDER_STATUSES[book.status[position]]
            if status is not None:
                book.status[position] = STATUS_CODE[status]
            if overrides:
                book.overrides[order_id] = {**book.overrides.get(order_id, {}), **overrides}
            book.modified[position] = self._bump(book.modified[position])
            self._changed()
            after = ORDER_STATUSES[book.status[position]]
            self._emit_order(self._status_event(before, after, "trash"), order_id)

    def delete_order(self, order_id: int) -> None:
        """Delete permanently (not trash): it vanishes from every listing."""
        with self._lock:
            if self._orders.index_of(order_id) is None:
                raise KeyError(order_id)
            self._orders.deleted.add(order_id)
            self._changed()
            self._emit_order("deleted", order_id)

    def modify_random(
        self, kind: Literal["products", "orders", "variations"], count: int
    ) -> list[int]:
        """Modify `count` distinct records picked at random (seeded); returns their ids."""
        with self._lock:
            pool = {
                "products": self.product_ids,
                "orders": self.order_ids,
                "variations": self.variation_ids,
            }[kind]()
            chosen = sorted(self._mutation_random.sample(pool, min(count, len(pool))))
            modifiers: dict[str, Callable[[int], None]] = {
                "products": self.modify_product,
                "orders": self.modify_order,
                "variations": self.modify_variation,
            }
            modify = modifiers[kind]
            for record_id in chosen:
                modify(record_id)
            return chosen

    def _pick_orderable(self) -> tuple[ProductSpec, int]:
        candidates = [
            (spec, k)
            for spec, k in self._catalogue.orderable
            if spec.id not in self._catalogue.deleted
        ]
        if not candidates:
            raise ValueError("the store has no clean published product to order")
        return candidates[self._mutation_random.randrange(len(candidates))]

    def _live_product(self, product_id: int) -> ProductSpec | None:
        spec = self._catalogue.by_id.get(product_id)
        if spec is None or spec.id in self._catalogue.deleted:
            return None
        return spec

    def _require_product(self, product_id: int) -> ProductSpec:
        spec = self._live_product(product_id)
        if spec is None:
            raise KeyError(product_id)
        return spec

    def _live_variation(self, variation_id: int) -> tuple[ProductSpec, int] | None:
        found = self._catalogue.variation_parent.get(variation_id)
        if found is None or variation_id in self._catalogue.deleted:
            return None
        if found[0].id in self._catalogue.deleted:
            return None
        return found

    # --- what the API serves --------------------------------------------------------

    def get_product(self, product_id: int, base_url: str) -> dict[str, Any] | None:
        with self._lock:
            spec = self._live_product(product_id)
            return None if spec is None else product_payload(self._catalogue, spec, base_url)

    def get_variation(
        self, product_id: int, variation_id: int, base_url: str
    ) -> dict[str, Any] | None:
        with self._lock:
            found = self._live_variation(variation_id)
            if found is None or found[0].id != product_id:
                return None
            return variation_payload(self._catalogue, found[0], found[1], base_url)

    def get_order(self, order_id: int, base_url: str) -> dict[str, Any] | None:
        with self._lock:
            position = self._orders.index_of(order_id)
            return None if position is None else self._orders.payload(position, base_url)

    def list_products(self, query: ListQuery) -> Page:
        """A page of `GET /products` for a validated query."""
        with self._lock:
            rows, keys = self._cached(("products", *query.filter_key()), query, self._product_rows)
            page = cut_page(rows, keys, query.start, query.per_page)
            records = [orjson.dumps(self._render_product(row, query)) for row in page]
            return Page(records, len(rows))

    def list_variations(self, product_id: int, query: ListQuery) -> Page:
        """A page of `GET /products/{id}/variations` (empty for simple or unknown products)."""
        with self._lock:
            parent = self._live_product(product_id)
            # A trashed product's variations are trashed with it: the default listing
            # (status any) leaves them out.
            if parent is None or not parent.variable or parent.status == "trash":
                return Page([], 0)
            rows, keys = self._variation_rows(parent, query)
            records = []
            for vid in cut_page(rows, keys, query.start, query.per_page):
                if query.fields == ("id",):
                    # An id scan must not cost a full render per variation.
                    records.append(orjson.dumps({"id": vid}))
                    continue
                index = parent.variation_ids.index(vid)
                payload = variation_payload(self._catalogue, parent, index, BASE_PLACEHOLDER)
                if query.fields:
                    payload = project_fields(payload, query.fields)
                records.append(orjson.dumps(payload))
            return Page(records, len(rows))

    def list_orders(self, query: ListQuery) -> Page:
        """A page of `GET /orders` for a validated query."""
        with self._lock:
            rows, keys = self._cached(("orders", *query.filter_key()), query, self._order_rows)
            page = cut_page(rows, keys, query.start, query.per_page)
            records = [self._render_order(row, query) for row in page]
            return Page(records, len(rows))

    def list_products_with_faults(self, query: ListQuery) -> Page:
        """`list_products`, spoiled by the listing fault knobs (see `FaultKnobs`)."""
        return self._listed_with_faults("products", query, self.list_products)

    def list_orders_with_faults(self, query: ListQuery) -> Page:
        return self._listed_with_faults("orders", query, self.list_orders)

    def _listed_with_faults(
        self,
        kind: Literal["products", "orders"],
        query: ListQuery,
        list_page: Callable[[ListQuery], Page],
    ) -> Page:
        knobs = self._faults.knobs
        with self._lock:
            self._list_pages_served += 1
            served = self._list_pages_served
        if knobs.listing_fail_after_pages is not None and served > knobs.listing_fail_after_pages:
            self._stats.fault("listing_failed")
            raise RestError(500, "internal_server_error", "There has been a critical error.")
        page = list_page(query)
        if page.records:
            with self._lock:
                self._list_pages_with_records += 1
                with_records = self._list_pages_with_records
            if knobs.listing_short_page == with_records:
                self._stats.fault("short_page")
                page = Page(page.records[:-1], page.total)
        if knobs.listing_vanish_per_page or knobs.listing_appear_per_page:
            self._stats.fault("listing_churn")
            self.churn(
                kind, vanish=knobs.listing_vanish_per_page, appear=knobs.listing_appear_per_page
            )
        return page

    def warm_up(self) -> None:
        """Render every order once now, so that a first full sync is served from cache."""
        with self._lock:
            self._orders.warm_up()

    def _cached(
        self,
        key: tuple[Any, ...],
        query: ListQuery,
        compute: Any,
    ) -> tuple[list[int], list[Any] | None]:
        # Paging through a collection repeats the same filter once per page.
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return cached
        result: tuple[list[int], list[Any] | None] = compute(query)
        self._cache[key] = result
        if len(self._cache) > _CACHE_SIZE:
            self._cache.popitem(last=False)
        return result

    # Rows are product ids (products), positions in the order index (orders).

    def _product_rows(self, query: ListQuery) -> tuple[list[int], list[Any] | None]:
        statuses = set(query.status)
        any_status = not statuses or "any" in statuses
        skus = set(query.sku)
        include = set(query.include)
        exclude = set(query.exclude)
        categories = set(query.category)
        search = query.search.lower() if query.search else None
        rows = []
        specs: dict[int, ProductSpec] = {}
        for spec in self._catalogue.live_products():
            if any_status:
                if spec.status == "trash":
                    continue
            elif spec.status not in statuses:
                continue
            if query.type and spec.product_type != query.type:
                continue
            if skus and spec.sku not in skus:
                continue
            if include and spec.id not in include:
                continue
            if spec.id in exclude:
                continue
            if query.parent and 0 not in query.parent:
                continue
            if categories and _category_id(spec) not in categories:
                continue
            if query.stock_status and spec.stock_status != query.stock_status:
                continue
            if search and search not in spec.name.lower():
                continue
            if not _within(spec.created, query.after, query.before):
                continue
            if not _within(spec.modified, query.modified_after, query.modified_before):
                continue
            rows.append(spec.id)
            specs[spec.id] = spec
        sort_keys = {
            "date": lambda row: specs[row].created,
            "modified": lambda row: specs[row].modified,
            "title": lambda row: specs[row].name,
            "slug": lambda row: specs[row].slug,
            "price": lambda row: specs[row].regular_cents,
            "popularity": lambda row: specs[row].total_sales,
            "rating": lambda row: 0,
            "menu_order": lambda row: 0,
        }
        return sorted_rows(
            rows,
            orderby=query.orderby,
            descending=query.order == "desc",
            sort_key=sort_keys.get(query.orderby),
            include=query.include,
            id_of=lambda row: row,
        )

    def _variation_rows(
        self, parent: ProductSpec, query: ListQuery
    ) -> tuple[list[int], list[Any] | None]:
        catalogue = self._catalogue
        skus = set(query.sku)
        rows = []
        created: dict[int, int] = {}
        modified: dict[int, int] = {}
        for index, vid in enumerate(parent.variation_ids):
            if vid in catalogue.deleted:
                continue
            if query.status and "any" not in query.status and "publish" not in query.status:
                continue
            sku = variation_sku(parent, index)
            if skus and sku not in skus:
                continue
            if query.include and vid not in query.include:
                continue
            if vid in query.exclude:
                continue
            created[vid] = catalogue.variation_created(parent, index)
            modified[vid] = catalogue.variation_modified(parent, index)
            if not _within(created[vid], query.after, query.before):
                continue
            if not _within(modified[vid], query.modified_after, query.modified_before):
                continue
            rows.append(vid)
        sort_key = {
            "date": created.__getitem__,
            "modified": modified.__getitem__,
            "menu_order": parent.variation_ids.index,
        }.get(query.orderby)
        return sorted_rows(
            rows,
            orderby=query.orderby,
            descending=query.order == "desc",
            sort_key=sort_key,
            include=query.include,
            id_of=lambda row: row,
        )

    def _order_rows(self, query: ListQuery) -> tuple[list[int], list[Any] | None]:
        book = self._orders
        if not query.status or "any" in query.status:
            wanted = {code for code in range(len(ORDER_STATUSES)) if code != TRASH}
            if "trash" in query.status:
                wanted.add(TRASH)
        else:
            wanted = {STATUS_CODE[name] for name in query.status}
        include = set(query.include)
        exclude = set(query.exclude)
        search = query.search.lower() if query.search else None
        ids, status, created, modified = book.ids, book.status, book.created, book.modified
        deleted = book.deleted
        after, before = query.after, query.before
        modified_after, modified_before = query.modified_after, query.modified_before
        rows = []
        for position in range(len(ids)):
            order_id = ids[position]
            if status[position] not in wanted or order_id in deleted:
                continue
            if include and order_id not in include:
                continue
            if order_id in exclude:
                continue
            if (after is not None and created[position] <= after) or (
                before is not None and created[position] >= before
            ):
                continue
            if (modified_after is not None and modified[position] <= modified_after) or (
                modified_before is not None and modified[position] >= modified_before
            ):
                continue
            if query.customer is not None and book.customer_user_id(position) != query.customer:
                continue
            if query.parent and 0 not in query.parent:
                continue
            if search and not self._order_matches(position, search):
                continue
            rows.append(position)
        sort_key = {
            "date": created.__getitem__,
            "title": created.__getitem__,
            "slug": created.__getitem__,
            "modified": modified.__getitem__,
        }.get(query.orderby)
        return sorted_rows(
            rows,
            orderby=query.orderby,
            descending=query.order == "desc",
            sort_key=sort_key,
            include=query.include,
            id_of=ids.__getitem__,
        )

    def _order_matches(self, position: int, search: str) -> bool:
        book = self._orders
        customer = book.customers[book.customer[position]]
        haystack = (
            f"{book.ids[position]} {customer.first_name} {customer.last_name} "
            f"{book.billing_email(position)}"
        )
        return search in haystack.lower()

    def _render_product(self, product_id: int, query: ListQuery) -> dict[str, Any]:
        spec = self._catalogue.by_id[product_id]
        fields = query.fields
        if fields == ("id",):
            return {"id": spec.id}
        if fields and spec.overrides is None and _PRODUCT_LIGHT_FIELDS.issuperset(fields):
            # An id scan (`_fields=id`) must not cost a full render per record.
            offset = self.config.utc_offset_minutes * 60
            light = {
                "id": spec.id,
                "name": spec.name,
                "slug": spec.slug,
                "sku": spec.sku,
                "type": spec.product_type,
                "status": spec.status,
                "parent_id": 0,
                "date_created": dates.iso(spec.created + offset),
                "date_created_gmt": dates.iso(spec.created),
                "date_modified": dates.iso(spec.modified + offset),
                "date_modified_gmt": dates.iso(spec.modified),
            }
            return {name: light[name] for name in light if name in fields}
        payload = product_payload(self._catalogue, spec, BASE_PLACEHOLDER)
        return project_fields(payload, fields) if fields else payload

    def _render_order(self, position: int, query: ListQuery) -> bytes:
        book = self._orders
        fields = query.fields
        order_id = book.ids[position]
        if fields == ("id",):
            # The id scan of a reconciliation: its cost is the latency knob's, not a render.
            return orjson.dumps({"id": order_id})
        if fields and order_id not in book.overrides and _ORDER_LIGHT_FIELDS.issuperset(fields):
            offset = self.config.utc_offset_minutes * 60
            created, modified = book.created[position], book.modified[position]
            light = {
                "id": order_id,
                "parent_id": 0,
                "number": str(order_id),
                "status": ORDER_STATUSES[book.status[position]],
                "date_created": dates.iso(created + offset),
                "date_created_gmt": dates.iso(created),
                "date_modified": dates.iso(modified + offset),
                "date_modified_gmt": dates.iso(modified),
                "customer_id": book.customer_user_id(position),
            }
            return orjson.dumps({name: light[name] for name in light if name in fields})
        if fields:
            payload = book.payload(position, BASE_PLACEHOLDER)
            return orjson.dumps(project_fields(payload, fields))
        return book.payload_json(position)

    # --- reference ------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        """How many products, variations and orders a full default sync must find."""
        return {
            "products": len(self.product_ids()),
            "variations": len(self.variation_ids()),
            "orders": len(self.order_ids()),
        }


def _within(moment: int, after: float | None, before: float | None) -> bool:
    """WordPress date queries are strict on both ends."""
    if after is not None and moment <= after:
        return False
    return not (before is not None and moment >= before)


def _category_id(spec: ProductSpec) -> int:
    if spec.flaw == "unknown_category":
        return UNKNOWN_CATEGORY[2]
    return CATEGORY_IDS[spec.design.category]
