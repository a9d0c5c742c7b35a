"""The migration runner on fresh databases: once, twice, concurrently, and after an edit."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from goldsphere_pipelines import settings
from goldsphere_pipelines.storage.engine import create_engine
from goldsphere_pipelines.storage.migrations import MigrationError, migrate, migration_files
from goldsphere_pipelines_tests.support.database import scratch_database


def _tables(engine: sa.Engine) -> set[str]:
    with engine.connect() as conn:
        return set(
            conn.execute(
                sa.text(
                    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
                )
            ).scalars()
        )


def _history(engine: sa.Engine) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        return [
            (row.migration_set, row.filename)
            for row in conn.execute(
                sa.text(
                    "SELECT migration_set, filename FROM goldsphere_schema_migration ORDER BY 1, 2"
                )
            )
        ]


def _all_files(with_core_schema: bool) -> list[str]:
    sets = ["core", "connector"] if with_core_schema else ["connector"]
    return [f"{s}/{m.filename}" for s in sets for m in migration_files(s)]


def test_migrating_twice_changes_nothing_the_second_time() -> None:
    with scratch_database() as url:
        engine = create_engine(url)
        try:
            first = migrate(engine, with_core_schema=True)
            tables = _tables(engine)
            history = _history(engine)

            second = migrate(engine, with_core_schema=True)

            assert first == _all_files(with_core_schema=True)
            assert {"external_connector", "external_sync_run", "product", "orders"} <= tables
            assert second == []
            assert _tables(engine) == tables
            assert _history(engine) == history
        finally:
            engine.dispose()


def test_production_runs_only_the_connector_set() -> None:
    with scratch_database() as url:
        engine = create_engine(url)
        try:
            applied = migrate(engine)

            assert applied == _all_files(with_core_schema=False)
            assert "external_connector" in _tables(engine)
            assert "product" not in _tables(engine)
        finally:
            engine.dispose()


def test_two_concurrent_runs_both_succeed_and_apply_each_file_once() -> None:
    with scratch_database() as url:
        engines = [create_engine(url), create_engine(url)]
        start = threading.Barrier(2)
        results: list[list[str]] = []
        errors: list[BaseException] = []

        def run(engine: sa.Engine) -> None:
            try:
                start.wait()
                results.append(migrate(engine, with_core_schema=True))
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=run, args=(e,)) for e in engines]
        try:
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()

            assert errors == []
            expected = _all_files(with_core_schema=True)
            # The lock serializes the runs: one applies everything, the other finds nothing.
            assert sorted(results, key=len) == [[], expected]
            assert len(_history(engines[0])) == len(expected)
        finally:
            for engine in engines:
                engine.dispose()


def test_an_applied_file_that_was_edited_stops_the_run(tmp_path: Path) -> None:
    sql_root = tmp_path / "sql"
    shutil.copytree(settings.sql_dir(), sql_root)
    with scratch_database() as url:
        engine = create_engine(url)
        try:
            migrate(engine, sql_root=sql_root)
            edited = sql_root / "connector" / "0001_external_connector_tables.sql"
            edited.write_text(edited.read_text() + "\n-- an innocent-looking edit\n")

            with pytest.raises(MigrationError) as caught:
                migrate(engine, sql_root=sql_root)

            assert "0001_external_connector_tables.sql was edited" in str(caught.value)
        finally:
            engine.dispose()


def test_a_new_file_after_applied_ones_is_applied_alone(tmp_path: Path) -> None:
    sql_root = tmp_path / "sql"
    shutil.copytree(settings.sql_dir(), sql_root)
    with scratch_database() as url:
        engine = create_engine(url)
        try:
            migrate(engine, sql_root=sql_root)
            (sql_root / "connector" / "9999_add_table.sql").write_text(
                "CREATE TABLE migration_probe (id int PRIMARY KEY);"
            )

            assert migrate(engine, sql_root=sql_root) == ["connector/9999_add_table.sql"]
            assert "migration_probe" in _tables(engine)
        finally:
            engine.dispose()
