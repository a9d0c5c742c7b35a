"""external_sync_run: one row per Dagster run that touches a connector."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Engine

# The run row keeps the first errors only: enough to act on, bounded in size.
MAX_RECORDED_ERRORS = 50

STALE_RUN_MESSAGE = (
    "The process running this sync stopped before it finished (killed or crashed). "
    "Marked failed by the next sync of this connector, which repairs what it left."
)


@dataclass(frozen=True)
class SyncRunRow:
    id: UUID
    connector_id: UUID
    status: str
    started_at: datetime
    finished_at: datetime | None
    stats: dict[str, Any]
    error: str | None
    trigger: str
    dagster_run_id: str | None


_COLUMNS = (
    "id, connector_id, status, started_at, finished_at, stats_json, error, trigger, dagster_run_id"
)


def _row(row: sa.Row[Any]) -> SyncRunRow:
    return SyncRunRow(
        id=row.id,
        connector_id=row.connector_id,
        status=row.status,
        started_at=row.started_at,
        finished_at=row.finished_at,
        stats=dict(row.stats_json or {}),
        error=row.error,
        trigger=row.trigger,
        dagster_run_id=row.dagster_run_id,
    )


class SyncRunRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def fail_stale_runs(self, connector_id: UUID) -> int:
        """Mark `running` rows failed. Call only while holding the connector's sync lock:
        then no other sync can be running, so every such row belongs to a dead process."""
        with self._engine.begin() as conn:
            result = conn.execute(
                sa.text(
                    "UPDATE external_sync_run SET status = 'failed', finished_at = now(), "
                    "error = :error WHERE connector_id = :cid AND status = 'running'"
                ),
                {"cid": connector_id, "error": STALE_RUN_MESSAGE},
            )
            return int(result.rowcount or 0)

    def start(self, connector_id: UUID, *, trigger: str, dagster_run_id: str | None) -> UUID:
        with self._engine.begin() as conn:
            run_id: UUID = conn.execute(
                sa.text(
                    "INSERT INTO external_sync_run "
                    "(connector_id, status, started_at, trigger, dagster_run_id) "
                    "VALUES (:cid, 'running', now(), :trigger, :drid) RETURNING id"
                ),
                {"cid": connector_id, "trigger": trigger, "drid": dagster_run_id},
            ).scalar_one()
            return run_id

    def merge_stats(
        self,
        run_id: UUID,
        entity: str,
        stats: Mapping[str, Any],
        errors: Sequence[Mapping[str, Any]] = (),
    ) -> None:
        """Set `stats_json[entity]` and append errors to `stats_json.errors` (first ones kept)."""
        with self._engine.begin() as conn:
            conn.execute(
                sa.text(
                    "UPDATE external_sync_run SET stats_json = jsonb_set("
                    "  stats_json || jsonb_build_object("
                    "    CAST(:entity AS text), CAST(:stats AS jsonb)),"
                    "  '{errors}',"
                    "  (SELECT COALESCE(jsonb_agg(e), '[]'::jsonb) FROM ("
                    "     SELECT e FROM jsonb_array_elements("
                    "       COALESCE(stats_json->'errors', '[]'::jsonb) || CAST(:errors AS jsonb)"
                    "     ) WITH ORDINALITY AS t(e, n) ORDER BY n LIMIT :max_errors) AS kept)"
                    ") WHERE id = :id"
                ),
                {
                    "id": run_id,
                    "entity": entity,
                    "stats": orjson.dumps(dict(stats)).decode(),
                    "errors": orjson.dumps(list(errors)).decode(),
                    "max_errors": MAX_RECORDED_ERRORS,
                },
            )

    def fail(self, run_id: UUID, error: str) -> None:
        """Mark the run failed; the first error recorded is the one kept (it is the cause)."""
        with self._engine.begin() as conn:
            conn.execute(
                sa.text(
                    "UPDATE external_sync_run SET status = 'failed', finished_at = now(), "
                    "error = COALESCE(error, :error) WHERE id = :id"
                ),
                {"id": run_id, "error": error},
            )

    def finish(self, run_id: UUID) -> str:
        """Close the run: `success` unless a step already recorded it `failed`."""
        with self._engine.begin() as conn:
            status: str = conn.execute(
                sa.text(
                    "UPDATE external_sync_run SET "
                    "status = CASE WHEN status = 'running' THEN 'success' ELSE status END, "
                    "finished_at = COALESCE(finished_at, now()) WHERE id = :id RETURNING status"
                ),
                {"id": run_id},
            ).scalar_one()
            return status

    def get(self, run_id: UUID) -> SyncRunRow | None:
        with self._engine.connect() as conn:
            row = conn.execute(
                sa.text(f"SELECT {_COLUMNS} FROM external_sync_run WHERE id = :id"), {"id": run_id}
            ).first()
        return _row(row) if row else None

    def list_for_connector(
        self, connector_id: UUID, *, limit: int = 20, offset: int = 0
    ) -> list[SyncRunRow]:
        """Newest first."""
        with self._engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    f"SELECT {_COLUMNS} FROM external_sync_run WHERE connector_id = :cid "
                    "ORDER BY started_at DESC, id DESC LIMIT :limit OFFSET :offset"
                ),
                {"cid": connector_id, "limit": limit, "offset": offset},
            )
            return [_row(r) for r in rows]

    def count_for_connector(self, connector_id: UUID) -> int:
        with self._engine.connect() as conn:
            return int(
                conn.execute(
                    sa.text("SELECT count(*) FROM external_sync_run WHERE connector_id = :cid"),
                    {"cid": connector_id},
                ).scalar_one()
            )

    def stale_running(self, *, older_than_minutes: int) -> list[SyncRunRow]:
        """Rows still `running` after the given age: candidates for the stale-run check."""
        with self._engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    f"SELECT {_COLUMNS} FROM external_sync_run WHERE status = 'running' "
                    "AND started_at < now() - make_interval(mins => :mins)"
                ),
                {"mins": older_than_minutes},
            )
            return [_row(r) for r in rows]
