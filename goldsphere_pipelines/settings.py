"""Where the project keeps its local state, read from the environment once per call.

Every setting is documented in the README ("Settings"). Nothing here holds a secret.
"""

from __future__ import annotations

import os
from pathlib import Path

DATABASE_URL_ENV = "GOLDSPHERE_DATABASE_URL"
CREDENTIALS_KEY_ENV = "GOLDSPHERE_CREDENTIALS_KEY"
HOME_ENV = "GOLDSPHERE_HOME"
SQL_DIR_ENV = "GOLDSPHERE_SQL_DIR"


def goldsphere_home() -> Path:
    """The folder for local state (embedded database, local credentials key).

    `GOLDSPHERE_HOME` when set, else `.goldsphere/` in the current directory, which is
    the repository root for `make`, `dagster dev` and the CLI run from there.
    """
    configured = os.environ.get(HOME_ENV)
    return Path(configured) if configured else Path.cwd() / ".goldsphere"


def sql_dir() -> Path:
    """The `sql/` folder holding the migration sets (the repository's, unless overridden)."""
    configured = os.environ.get(SQL_DIR_ENV)
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parent.parent / "sql"
