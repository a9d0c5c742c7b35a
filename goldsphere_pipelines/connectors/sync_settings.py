"""Knobs of a sync, with defaults that suit a shared-hosting store."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class SyncSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    concurrency: int = Field(4, ge=1, le=32, description="Pages fetched at once from the store.")
    mapping_batch_size: int = Field(1000, ge=1, le=10_000)
    overlap_seconds: int = Field(
        300,
        ge=1,
        description="A delta starts this long before the last watermark: WooCommerce's "
        "modified_after is strict and clocks drift; re-read records are skipped by hash.",
    )
    product_reconcile_hours: float = Field(
        24.0,
        gt=0,
        description="A product sync is a full pass (variations included) when the last full "
        "pass is older than this.",
    )
    full_refresh: bool = Field(False, description="Ignore watermarks: read the whole store.")
