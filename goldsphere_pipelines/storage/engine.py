"""One SQLAlchemy engine per process, on psycopg 3, with every session in UTC."""

from __future__ import annotations

import os
from functools import lru_cache

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

from goldsphere_pipelines import settings
from goldsphere_pipelines.errors import GoldsphereError
from goldsphere_pipelines.storage.embedded import ensure_embedded_database


class DatabaseConfigurationError(GoldsphereError):
    """The database URL is unusable; the message says which setting to fix."""


def resolve_database_url() -> str:
    """`GOLDSPHERE_DATABASE_URL` when set, else the embedded database (started on demand)."""
    configured = os.environ.get(settings.DATABASE_URL_ENV, "").strip()
    if configured:
        return normalize_database_url(configured)
    return ensure_embedded_database(settings.goldsphere_home())


def normalize_database_url(url: str) -> str:
    """Accept the usual `postgresql://` and `postgres://` spellings; drive them with psycopg 3."""
    try:
        parsed = make_url(url)
    except Exception as exc:
        raise DatabaseConfigurationError(
            f"{settings.DATABASE_URL_ENV} is not a database URL; "
            "expected postgresql://user:password@host:5432/database."
        ) from exc
    if parsed.drivername in ("postgres", "postgresql", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.drivername != "postgresql+psycopg":
        raise DatabaseConfigurationError(
            f"{settings.DATABASE_URL_ENV} must be a postgresql:// URL, not {parsed.drivername}://."
        )
    return parsed.render_as_string(hide_password=False)


def create_engine(url: str, *, pool_size: int = 5) -> Engine:
    """An engine whose sessions run in UTC (every `timestamp` column holds UTC)."""
    return sa.create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        connect_args={"options": "-c timezone=UTC", "application_name": "goldsphere-pipelines"},
    )


@lru_cache(maxsize=4)
def _engine_for(url: str) -> Engine:
    return create_engine(url)


def default_engine() -> Engine:
    """The process-wide engine for the configured database."""
    return _engine_for(resolve_database_url())
