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
        if key in ("seconds", "errors"):
            continue
        meta[key] = value
    if status_counts is not None:
        for status, count in status_counts.items():
            meta[f"rows_{status}"] = count
    meta["errors"] = errors_table(stats.errors)
    return meta
