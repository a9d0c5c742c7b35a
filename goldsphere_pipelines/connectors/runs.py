"""Reading a connector's sync runs, for the CLI and the admin API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from sqlalchemy.engine import Engine

from goldsphere_pipelines.connectors.configuration import get_connector
from goldsphere_pipelines.connectors.models import CamelModel
from goldsphere_pipelines.storage.sync_runs import SyncRunRepository, SyncRunRow


class SyncRun(CamelModel):
    """One external_sync_run, camelCase on the wire."""

    id: UUID
    connector_id: UUID
    status: Literal["running", "success", "failed"]
    started_at: datetime
    finished_at: datetime | None
    stats: dict[str, Any]
    error: str | None
    trigger: str
    dagster_run_id: str | None

    @classmethod
    def from_row(cls, row: SyncRunRow) -> SyncRun:
        return cls(
            id=row.id,
            connector_id=row.connector_id,
            status=row.status,
            started_at=row.started_at,
            finished_at=row.finished_at,
            stats=row.stats,
            error=row.error,
            trigger=row.trigger,
            dagster_run_id=row.dagster_run_id,
        )


def list_runs(
    engine: Engine, name_or_id: str | UUID, *, limit: int = 20, offset: int = 0
) -> list[SyncRun]:
    connector = get_connector(engine, name_or_id)
    rows = SyncRunRepository(engine).list_for_connector(connector.id, limit=limit, offset=offset)
    return [SyncRun.from_row(r) for r in rows]


def count_runs(engine: Engine, name_or_id: str | UUID) -> int:
    connector = get_connector(engine, name_or_id)
    return SyncRunRepository(engine).count_for_connector(connector.id)
