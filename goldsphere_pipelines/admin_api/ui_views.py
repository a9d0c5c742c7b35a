"""What the Connectivity page's templates show, shaped from the services' answers.

Presentation only: the numbers and messages come from `connectors/` as they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from goldsphere_pipelines.connectors.runs import SyncRun

ERRORS_ON_PANEL = 5
OTHER_PLATFORMS = ("Shopify", "Magento (Adobe Commerce)", "PrestaShop", "Shopware")
FORM_FIELDS = {
    "base_url": "base_url",
    "baseUrl": "base_url",
    "consumer_key": "consumer_key",
    "consumerKey": "consumer_key",
    "consumer_secret": "consumer_secret",
    "consumerSecret": "consumer_secret",
    "auth_mode": "auth_mode",
    "authMode": "auth_mode",
    "caBundle": "ca_bundle",
    "ca_bundle_pem": "ca_bundle",
    "name": "name",
    "entity_type": "entity_type",
    "source_field": "source_field",
    "target_field": "target_field",
    "transform": "transform",
    "value": "value",
}


@dataclass
class FormErrors:
    """Messages per form field (shown beside it) and for the form as a whole."""

    fields: dict[str, str] = field(default_factory=dict)
    form: str | None = None

    def __bool__(self) -> bool:
        return bool(self.fields) or self.form is not None

    @classmethod
    def of_field(cls, name: str | None, message: str) -> FormErrors:
        if name is not None and name in FORM_FIELDS:
            return cls(fields={FORM_FIELDS[name]: message})
        return cls(form=message)

    @classmethod
    def of_validation(cls, exc: ValidationError) -> FormErrors:
        # pydantic's own messages, never the input (it may be a key or secret).
        errors = cls()
        for error in exc.errors():
            location = [str(part) for part in error.get("loc", ())]
            name = next((FORM_FIELDS[p] for p in location if p in FORM_FIELDS), None)
            message = "is required" if error.get("type") == "missing" else str(error["msg"])
            if name is None:
                errors.form = errors.form or message
            else:
                errors.fields.setdefault(name, message)
        return errors


@dataclass(frozen=True)
class StepCounts:
    step: str
    counts: list[tuple[str, Any]]


STEP_ORDER = ("products_extract", "products_map", "orders_extract", "orders_map")
"""The order a sync runs its steps in (the stored stats come back sorted otherwise)."""


def _in_run_order(stats: dict[str, Any]) -> list[tuple[str, Any]]:
    def position(step: str) -> tuple[int, str]:
        return (STEP_ORDER.index(step) if step in STEP_ORDER else len(STEP_ORDER), step)

    return sorted(stats.items(), key=lambda item: position(item[0]))


def step_counts(stats: dict[str, Any]) -> list[StepCounts]:
    """Each step's counts, in the run's order, without timings and empty figures."""
    steps = []
    for step, values in _in_run_order(stats):
        if not isinstance(values, dict):
            continue
        # The sample records and the mapping report are structures, not figures: the
        # Dagster UI shows them as tables, the errors page lists the errors.
        shown = [
            (name, value)
            for name, value in values.items()
            if name != "seconds"
            and value not in (0, None, "")
            and not isinstance(value, dict | list)
        ]
        steps.append(StepCounts(step=step.replace("_", " "), counts=shown))
    return steps


def run_errors(run: SyncRun) -> list[dict[str, Any]]:
    errors = run.stats.get("errors") or []
    return [error for error in errors if isinstance(error, dict)]


def error_count(run: SyncRun) -> int:
    """Errors of the run, kept or only counted."""
    counted = sum(
        int(values.get("error_count", 0))
        for values in run.stats.values()
        if isinstance(values, dict) and isinstance(values.get("error_count", 0), int)
    )
    return max(counted, len(run_errors(run)))


def counts_line(run: SyncRun) -> str:
    """One line for the connector list: what the run fetched and mapped."""
    parts = []
    for step, values in _in_run_order(run.stats):
        if not isinstance(values, dict):
            continue
        for name in ("fetched", "mapped", "failed"):
            value = values.get(name)
            if value:
                parts.append(f"{step.replace('_', ' ')} {name} {value}")
    return ", ".join(parts)
