"""Fixtures every suite shares: a real, migrated PostgreSQL database per test session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from goldsphere_pipelines_tests.support.database import (
    migrated_engine,
    scratch_database,
    truncate_data_tables,
)


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """URL of a freshly created database with both migration sets applied."""
    with scratch_database() as url:
        engine = migrated_engine(url)
        engine.dispose()
        yield url


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[sa.Engine]:
    from goldsphere_pipelines.storage.engine import create_engine

    eng = create_engine(database_url)
    yield eng
    eng.dispose()


@pytest.fixture
def db(engine: sa.Engine) -> sa.Engine:
    """The session's engine over empty data tables (reference data kept)."""
    truncate_data_tables(engine)
    return engine


@pytest.fixture(autouse=True)
def _isolated_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """No test reads the developer's own settings or writes into the repository's .goldsphere/."""
    for name in (
        "GOLDSPHERE_DATABASE_URL",
        "GOLDSPHERE_CREDENTIALS_KEY",
        "GOLDSPHERE_WC_CONSUMER_KEY",
        "GOLDSPHERE_WC_CONSUMER_SECRET",
        "GOLDSPHERE_ALLOW_PRIVATE_STORE_URLS",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GOLDSPHERE_HOME", str(tmp_path_factory.mktemp("goldsphere-home")))
