"""Materialization metadata: what an admin reads in the UI after a sync."""

from __future__ import annotations

from typing import Any

import dagster as dg

from goldsphere_pipelines.connectors.stats import StepStats

MAX_ERROR_ROWS = 15


def _cell(value: Any, limit: int = 120) -> str:
    text = "" if value is None else str(value)
    text = text.replace("|", "\\|").replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def errors_table(errors: list[dict[str, Any]]) -> dg.MetadataValue:
    if not errors:
        return dg.MetadataValue.md("No errors.")
    lines = ["| WooCommerce id | field | code | message |", "|---|---|---|---|"]
    for error in errors[:MAX_ERROR_ROWS]:
        lines.append(
            f"| {_cell(error.get('externalId'))} | {_cell(error.get('field'))} "
            f"| {_cell(error.get('code'))} | {_cell(error.get('message'))} |"
        )
    if len(errors) > MAX_ERROR_ROWS:
        lines.append(f"\n…and {len(errors) - MAX_ERROR_ROWS} more in the run's stats.")
    return dg.MetadataValue.md("\n".join(lines))


def report_table(report: dict[str, Any]) -> dg.MetadataValue:
    """Records failed per field and cause, and mapped per field and source, as a table."""
    lines = ["| field | outcome | cause or source | records |", "|---|---|---|---|"]
    for outcome, key in (("failed", "failed_by_field"), ("mapped", "mapped_by_source")):
        for field_name, counts in sorted(report.get(key, {}).items()):
            for cause, count in sorted(counts.items(), key=lambda item: -item[1]):
                lines.append(f"| {_cell(field_name)} | {outcome} | {_cell(cause)} | {count} |")
    return dg.MetadataValue.md("\n".join(lines))


def sample_table(sample: list[dict[str, Any]]) -> dg.MetadataValue:
    """The first mapped products and where each inferred field came from."""
    lines = ["| WooCommerce id | name | provenance |", "|---|---|---|"]
    for entry in sample:
        provenance = "; ".join(str(v) for k, v in entry.items() if k not in ("externalId", "name"))
        lines.append(
            f"| {_cell(entry.get('externalId'))} | {_cell(entry.get('name'))} "
            f"| {_cell(provenance, 600)} |"
        )
    return dg.MetadataValue.md("\n".join(lines))


def step_metadata(
    connector_name: str,
    stats: StepStats,
    *,
    row_count: int,
    status_counts: dict[str, int] | None = None,
) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "connector": connector_name,
        "dagster/row_count": row_count,
        "seconds": dg.MetadataValue.float(round(stats.seconds, 3)),
    }
    for key, value in stats.as_json().items():
        if key in ("seconds", "errors", "sample", "mapping_report"):
            continue
        meta[key] = value
    if stats.mapping_report:
        meta["mapping report"] = report_table(stats.mapping_report)
        meta["mapping_report"] = dg.MetadataValue.json(stats.mapping_report)
    if stats.sample:
        meta["mapped sample"] = sample_table(stats.sample)
    if status_counts is not None:
        for status, count in status_counts.items():
            meta[f"rows_{status}"] = count
    meta["errors"] = errors_table(stats.errors)
    return meta
