"""A Dagster instance loaded from one of the repository's dagster.yaml files, its storage
in a scratch database of the test PostgreSQL server (DAGSTER_PG_* as in production)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from goldsphere_pipelines_tests.support.database import admin_server_url, scratch_database

REPOSITORY = Path(__file__).resolve().parents[2]


@contextmanager
def instance_from_yaml(
    source: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[dg.DagsterInstance, sa.Engine]]:
    """Copy `source` into `home` as dagster.yaml and load it; yields the instance and an
    engine on its storage database."""
    server = make_url(admin_server_url())
    if not server.host:
        pytest.skip(
            "the test PostgreSQL is the embedded one (a Unix socket, no TCP), and "
            "dagster-postgres' config names a host and port"
        )
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy(source, home / "dagster.yaml")
    with scratch_database(prefix="gs_dagster") as url:
        storage = make_url(url)
        monkeypatch.setenv("DAGSTER_HOME", str(home))
        monkeypatch.setenv("DAGSTER_PG_HOST", storage.host or "")
        monkeypatch.setenv("DAGSTER_PG_PORT", str(storage.port or 5432))
        monkeypatch.setenv("DAGSTER_PG_USERNAME", storage.username or "")
        monkeypatch.setenv("DAGSTER_PG_PASSWORD", storage.password or "")
        monkeypatch.setenv("DAGSTER_PG_DB", storage.database or "")
        instance = dg.DagsterInstance.get()
        engine = sa.create_engine(url)
        try:
            yield instance, engine
        finally:
            instance.dispose()
            engine.dispose()
