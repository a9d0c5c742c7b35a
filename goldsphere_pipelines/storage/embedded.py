"""The embedded PostgreSQL used when `GOLDSPHERE_DATABASE_URL` is unset.

pgserver ships PostgreSQL 16 binaries inside its wheel, so a new user installs nothing by
hand. The server listens on a Unix socket in the data folder only (nothing on the network)
and is left running between commands so the next command starts in milliseconds;
`goldsphere db stop-embedded` stops it.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

logger = logging.getLogger(__name__)

EMBEDDED_DATABASE = "goldsphere"


def embedded_data_dir(home: Path) -> Path:
    return home / "pgdata"


def ensure_embedded_database(home: Path, database: str = EMBEDDED_DATABASE) -> str:
    """Start (or reuse) the embedded server under `home` and return a SQLAlchemy URL."""
    with warnings.catch_warnings():
        # platformdirs warns about XDG_RUNTIME_DIR on headless machines; harmless here.
        warnings.simplefilter("ignore")
        import pgserver

        home.mkdir(parents=True, exist_ok=True)
        server = pgserver.get_server(embedded_data_dir(home), cleanup_mode=None)
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}';")
    if "(1 row)" not in exists:
        server.psql(f'CREATE DATABASE "{database}";')
        logger.info("Created the embedded database %s under %s", database, home)
    socket_dir = server.get_uri().split("host=", 1)[1]
    return f"postgresql+psycopg://postgres@/{database}?host={socket_dir}"


def stop_embedded_database(home: Path) -> bool:
    """Stop the embedded server if one runs under `home`; True when one was stopped."""
    data_dir = embedded_data_dir(home)
    if not (data_dir / "postmaster.pid").exists():
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver

        server = pgserver.get_server(data_dir, cleanup_mode="stop")
    server.cleanup()
    return True
