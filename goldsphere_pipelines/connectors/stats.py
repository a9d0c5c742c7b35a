"""Counts a step reports: into external_sync_run.stats_json and Dagster metadata alike."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from goldsphere_pipelines.connectors.raw_records import RecordError

# The run row and the UI show the first errors; the rest are counted.
MAX_ERRORS_KEPT = 50
MAX_SAMPLE = 5
_ONLY_WHEN_SET = frozenset({"mapping_report", "sample", "producers_created", "listings"})


@dataclass
class StepStats:
    """Everything optional is zero when a step has nothing to say about it."""

    mode: str = ""
    fetched: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    invalid: int = 0
    text_replaced: int = 0
    """Records stored with NUL characters or lone surrogates replaced by U+FFFD."""
    mapped: int = 0
    failed: int = 0
    awaiting_dependency: int = 0
    """Of `failed`, the orders missing only a product or user: mapped again on every sync."""
    not_sellable: int = 0
    requeued: int = 0
    """Orders that were awaiting a dependency when the step began, mapped again by it."""
    producers_created: list[str] = field(default_factory=list)
    """Producers created from the bullion knowledge file (`create_missing_producers`)."""
    held: int = 0
    """Records held as not deleted when a reconciliation began."""
    trash_listed: int = 0
    """Records the shop's trash listing (`status=trash`) returned."""
    trashed: int = 0
    """Records marked deleted because they are in the shop's trash."""
    gone: int = 0
    """Records marked deleted because a complete id listing no longer has them."""
    restored: int = 0
    """Records held as deleted that the shop lists again: mapped anew."""
    listings: dict[str, str] = field(default_factory=dict)
    """Reconciliation: what each kind was compared with ("id listing", or "this sync's
    full read" when the sync's extract had just read the kind whole)."""
    pages: int = 0
    requests: int = 0
    retries: int = 0
    variation_requests: int = 0
    gone_products: int = 0
    """Products or variations that orders name and the shop answered 404 for (orders)."""
    products_from_lines: int = 0
    """goldsphere products built from order lines whose product is gone (order mapping)."""
    seconds: float = 0.0
    watermark: str | None = None
    skipped_reason: str | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)
    error_count: int = 0
    mapping_report: dict[str, Any] = field(default_factory=dict)
    """Mapping steps: `failed_by_field` {field: {code: records}} and, for products,
    `mapped_by_source` {field: {source: records}} (where each inferred value came from)."""
    sample: list[dict[str, Any]] = field(default_factory=list)
    """The first mapped products with the provenance of each inferred field."""

    def note_failed(self, errors: list[dict[str, Any]]) -> None:
        """Count one failed record's errors by field and code (each pair once per record)."""
        by_field = self.mapping_report.setdefault("failed_by_field", {})
        for field_name, code in {(str(e.get("field")), str(e.get("code"))) for e in errors}:
            codes = by_field.setdefault(field_name, {})
            codes[code] = codes.get(code, 0) + 1

    def note_mapped(
        self, external_id: str, payload: dict[str, Any], provenance: dict[str, str]
    ) -> None:
        """Count where each inferred field of one mapped product came from; the sample
        shows each value with its source ("producer: Perth Mint — from series ...")."""
        by_source = self.mapping_report.setdefault("mapped_by_source", {})
        for field_name, text in provenance.items():
            source = provenance_kind(text)
            sources = by_source.setdefault(field_name, {})
            sources[source] = sources.get(source, 0) + 1
        if len(self.sample) < MAX_SAMPLE:
            self.sample.append(
                {
                    "externalId": external_id,
                    "name": payload.get("name", ""),
                    **{f: f"{f}: {_shown(f, payload)} — from {s}" for f, s in provenance.items()},
                }
            )

    def record_error(self, error: RecordError | dict[str, Any]) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS_KEPT:
            self.errors.append(error.as_dict() if isinstance(error, RecordError) else error)

    def as_json(self) -> dict[str, Any]:
        """Counts only (errors are stored separately)."""
        data = asdict(self)
        data.pop("errors")
        data["seconds"] = round(self.seconds, 3)
        return {
            k: v
            for k, v in data.items()
            if v not in (None, "") and not (k in _ONLY_WHEN_SET and not v)
        }


def _shown(field_name: str, payload: dict[str, Any]) -> str:
    if field_name == "weight":
        return f"{payload.get('weight')} {payload.get('weight_unit')}"
    if field_name == "purity":
        return str(payload.get("purity"))
    return str(payload.get(f"{field_name}_name"))


def provenance_kind(text: str) -> str:
    """The kind of source a provenance line names: rule, attribute, brand, tag, category,
    name, description, series, weight field, default or (products built from order lines)
    shop catalogue."""
    source = text
    if source in ("the template rule", "the connector rule", "the rule"):
        return "rule"
    for prefix, kind in (
        ("attribute ", "attribute"),
        ("brand ", "brand"),
        ("tag ", "tag"),
        ("category ", "category"),
        ("series ", "series"),
        ("WooCommerce's weight field", "weight field"),
        ("the connector's default", "default"),
        ("the shop's other ", "shop catalogue"),
    ):
        if source.startswith(prefix):
            return kind
    if source.endswith(" in name"):
        return "name"
    if source.endswith(" in description"):
        return "description"
    return "other"
