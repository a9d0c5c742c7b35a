"""Counts a step reports: into external_sync_run.stats_json and Dagster metadata alike."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from goldsphere_pipelines.connectors.raw_records import RecordError

# The run row and the UI show the first errors; the rest are counted.
MAX_ERRORS_KEPT = 50


@dataclass
class StepStats:
    """Everything optional is zero when a step has nothing to say about it."""

    mode: str = ""
    fetched: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    invalid: int = 0
    mapped: int = 0
    failed: int = 0
    awaiting_dependency: int = 0
    """Of `failed`, the orders missing only a product or user: mapped again on every sync."""
    not_sellable: int = 0
    requeued: int = 0
    """Orders that were awaiting a dependency when the step began, mapped again by it."""
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
    pages: int = 0
    requests: int = 0
    retries: int = 0
    variation_requests: int = 0
    seconds: float = 0.0
    watermark: str | None = None
    skipped_reason: str | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)
    error_count: int = 0

    def record_error(self, error: RecordError | dict[str, Any]) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS_KEPT:
            self.errors.append(error.as_dict() if isinstance(error, RecordError) else error)

    def as_json(self) -> dict[str, Any]:
        """Counts only (errors are stored separately)."""
        data = asdict(self)
        data.pop("errors")
        data["seconds"] = round(self.seconds, 3)
        return {k: v for k, v in data.items() if v not in (None, "")}
