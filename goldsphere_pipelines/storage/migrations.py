"""Applies the SQL files of `sql/` in order, each once, each in its own transaction.

Two sets live there: `connector` (the connector's own tables, what production runs) and
`core` (a goldsphere core subset for development, tests and the demo). Applied files are
recorded with a sha256 checksum; an applied file that was edited afterwards stops the run
instead of drifting silently. A PostgreSQL advisory lock makes concurrent runs safe: the
second waits, then finds nothing left to do.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from goldsphere_pipelines import settings
from goldsphere_pipelines.errors import GoldsphereError

CONNECTOR_SET = "connector"
CORE_SET = "core"
# Core tables come first: connector tables do not reference them, but the demo and tests
# expect goldsphere's reference data to exist before any sync.
_SET_ORDER = (CORE_SET, CONNECTOR_SET)
# Any constant works; this one spells "gold" in ASCII so it is recognisable in pg_locks.
MIGRATION_LOCK_ID = 0x676F6C64

_HISTORY_DDL = """
CREATE TABLE IF NOT EXISTS goldsphere_schema_migration (
  migration_set varchar(50) NOT NULL,
  filename text NOT NULL,
  checksum char(64) NOT NULL,
  applied_at timestamp NOT NULL DEFAULT now(),
  PRIMARY KEY (migration_set, filename)
)
"""


class MigrationError(GoldsphereError):
    """A migration cannot be applied; the message names the file and what to do."""


@dataclass(frozen=True)
class MigrationFile:
    migration_set: str
    path: Path

    @property
    def filename(self) -> str:
        return self.path.name

    @property
    def sql(self) -> str:
        return self.path.read_text(encoding="utf-8")

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()


def migration_files(migration_set: str, sql_root: Path | None = None) -> list[MigrationFile]:
    folder = (sql_root or settings.sql_dir()) / migration_set
    if not folder.is_dir():
        raise MigrationError(f"Migration folder {folder} is missing; is the sql/ folder intact?")
    return [MigrationFile(migration_set, p) for p in sorted(folder.glob("*.sql"))]


def migrate(
    engine: Engine, *, with_core_schema: bool = False, sql_root: Path | None = None
) -> list[str]:
    """Apply every pending migration; return the `set/file` names applied (empty: no-op)."""
    sets = [s for s in _SET_ORDER if with_core_schema or s != CORE_SET]
    applied_now: list[str] = []
    with engine.connect() as conn:
        # A session-level lock outlives the per-file transactions below.
        conn.execute(sa.text("SELECT pg_advisory_lock(:id)"), {"id": MIGRATION_LOCK_ID})
        conn.commit()
        try:
            with conn.begin():
                conn.execute(sa.text(_HISTORY_DDL))
            for migration_set in sets:
                with conn.begin():
                    applied = _applied_checksums(conn, migration_set)
                for migration in migration_files(migration_set, sql_root):
                    recorded = applied.get(migration.filename)
                    if recorded is not None:
                        if recorded != migration.checksum:
                            raise MigrationError(
                                f"sql/{migration_set}/{migration.filename} was edited after it "
                                "was applied. Restore the file and add a new migration instead."
                            )
                        continue
                    _apply(conn, migration)
                    applied_now.append(f"{migration_set}/{migration.filename}")
        finally:
            conn.execute(sa.text("SELECT pg_advisory_unlock(:id)"), {"id": MIGRATION_LOCK_ID})
            conn.commit()
    return applied_now


def _applied_checksums(conn: Connection, migration_set: str) -> dict[str, str]:
    rows = conn.execute(
        sa.text(
            "SELECT filename, checksum FROM goldsphere_schema_migration WHERE migration_set = :set"
        ),
        {"set": migration_set},
    )
    return {row.filename: row.checksum for row in rows}


def _apply(conn: Connection, migration: MigrationFile) -> None:
    try:
        with conn.begin():
            # Straight to the driver with no parameters: the files contain $$-quoted
            # bodies, colons and percent signs that a parameter parser would misread.
            driver_connection = conn.connection.driver_connection
            assert driver_connection is not None
            driver_connection.execute(migration.sql)
            conn.execute(
                sa.text(
                    "INSERT INTO goldsphere_schema_migration (migration_set, filename, checksum) "
                    "VALUES (:set, :filename, :checksum)"
                ),
                {
                    "set": migration.migration_set,
                    "filename": migration.filename,
                    "checksum": migration.checksum,
                },
            )
    except sa.exc.DBAPIError as exc:
        raise MigrationError(
            f"sql/{migration.migration_set}/{migration.filename} failed: "
            f"{str(exc.orig).strip().splitlines()[0]}"
        ) from exc
