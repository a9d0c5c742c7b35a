"""What a sandbox store is made of and how it misbehaves.

`SandboxConfig` fixes the data (sizes, seed, keys, currency, version) at start-up.
`FaultKnobs` is the part that may change while the store runs (`SandboxStore.set_faults`,
`POST /_sandbox/faults`); every knob also exists on `SandboxConfig` as its start value.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

DEMO_CONSUMER_KEY = "ck_5d1b7c2f4e8a9036b1c4d7e0f2a5b8c1d4e7f0a3"
"""The sandbox's fixed demo key (printed by `goldsphere sandbox serve`); never a real store's."""
DEMO_CONSUMER_SECRET = "cs_9e2a6d0b3f7c1e5a8d2b6f9c3e7a0d4b8f1c5e9a"  # noqa: S105 - demo key
"""The secret that goes with `DEMO_CONSUMER_KEY`."""

Rate = float
"""A share of requests, 0.0 to 1.0."""


class FaultKnobs(BaseModel):
    """How the store's `/wp-json/wc/v3` endpoints misbehave; never the admin endpoint.

    Rates are shares of requests, rolled independently per request in this order:
    rate limit (`max_rps`), then one of 429 / 5xx / dropped connection / HTML page,
    then, on a response that got through, a byte order mark or a truncated body.
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    latency_ms: int = Field(0, ge=0, description="Added to every response, in milliseconds.")
    rate_spike: Rate = Field(0.0, ge=0, le=1, description="Share of requests delayed by spike_ms.")
    spike_ms: int = Field(2000, ge=0, description="Extra delay of a latency spike.")
    rate_429: Rate = Field(0.0, ge=0, le=1, description="Share answered 429 Too Many Requests.")
    retry_after_s: int | None = Field(
        None, ge=0, description="Retry-After seconds sent with 429 and 503; None sends none."
    )
    rate_5xx: Rate = Field(0.0, ge=0, le=1, description="Share answered 500/502/503/504.")
    rate_drop: Rate = Field(0.0, ge=0, le=1, description="Share whose connection is reset.")
    rate_html: Rate = Field(0.0, ge=0, le=1, description="Share answered by an HTML page, 200.")
    rate_bom: Rate = Field(0.0, ge=0, le=1, description="Share of bodies with a UTF-8 BOM.")
    rate_truncated: Rate = Field(0.0, ge=0, le=1, description="Share of 200 bodies cut short.")
    max_rps: float | None = Field(
        None, gt=0, description="Requests per second above which the store answers 429."
    )
    key_revoked: bool = Field(
        False, description="The consumer key was deleted in WooCommerce: every call gets 401."
    )
    listing_vanish_per_page: int = Field(
        0,
        ge=0,
        description="After each page of /products or /orders served, this many of its "
        "records are deleted for good (ids vanish during a listing; X-WP-Total moves).",
    )
    listing_appear_per_page: int = Field(
        0, ge=0, description="After each such page, this many new records are created."
    )
    listing_fail_after_pages: int | None = Field(
        None,
        ge=0,
        description="Pages of /products or /orders after this many are answered 500 "
        "(a listing that fails midway, whatever the client retries).",
    )
    listing_short_page: int | None = Field(
        None,
        ge=1,
        description="The n-th page of /products or /orders served with records (from 1) "
        "leaves out its last record, headers unchanged (a page shorter than it should be).",
    )
    supports_modified_filters: bool = Field(
        True,
        description="False plays a store older than 5.8 that ignores modified_after/_before.",
    )
    # Webhook deliveries (sandbox.webhooks), rolled per delivery.
    webhook_rate_duplicate: Rate = Field(
        0.0, ge=0, le=1, description="Share of deliveries sent twice with one delivery id."
    )
    webhook_rate_out_of_order: Rate = Field(
        0.0, ge=0, le=1, description="Share of deliveries held back until the next one went."
    )
    webhook_rate_drop: Rate = Field(
        0.0, ge=0, le=1, description="Share of deliveries never sent (lost on the way)."
    )


FAULT_KNOB_NAMES: frozenset[str] = frozenset(FaultKnobs.model_fields)


class SandboxConfig(FaultKnobs):
    """Everything a sandbox store is built from; the same seed gives the same store."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    products: int = Field(200, ge=0, description="Products (simple and variable parents).")
    variable_share: float = Field(0.1, ge=0, le=1, description="Share of variable products.")
    variations_per_product: int = Field(5, ge=1, le=50)
    orders: int = Field(1000, ge=0)
    customers: int = Field(200, ge=1)
    seed: int = 7
    consumer_key: SecretStr = SecretStr(DEMO_CONSUMER_KEY)
    consumer_secret: SecretStr = SecretStr(DEMO_CONSUMER_SECRET)
    key_permissions: Literal["read", "write", "read_write"] = "read"
    currency: str = Field("USD", min_length=3, max_length=3)
    woocommerce_version: str = "8.9.1"
    messy_share: float = Field(0.05, ge=0, le=1, description="Share of records with a flaw.")
    behind_tls_proxy: bool = Field(
        False, description="Plain HTTP that WordPress treats as HTTPS (TLS ends at a proxy)."
    )
    system_status_allowed: bool = Field(
        True, description="False answers /system_status with 403, as for a shop-manager key."
    )
    dialect: Literal[
        "classic", "names", "brands", "tags", "series", "german", "french", "mixed"
    ] = Field("classic", description="How products are written (sandbox/dialects.py).")
    utc_offset_minutes: int = Field(
        -300, ge=-720, le=840, description="The store's local time; *_gmt fields are UTC."
    )

    def fault_knobs(self) -> FaultKnobs:
        """The start values of the knobs that may change while the store runs."""
        return FaultKnobs(**{name: getattr(self, name) for name in FAULT_KNOB_NAMES})

    def with_changes(self, **changes: Any) -> SandboxConfig:
        """A validated copy with some fields changed."""
        return SandboxConfig.model_validate({**self.model_dump(), **changes})
