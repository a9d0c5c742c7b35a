"""The admin API application: `create_app()` wires settings, services and routes.

Thin by design: each endpoint calls the same `connectors/` services as the CLI, and a
sync is launched in Dagster (`DagsterLauncher`), never run inside this process.
"""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy.engine import Engine

from goldsphere_pipelines import __version__
from goldsphere_pipelines.admin_api.body_limit import BodySizeLimit
from goldsphere_pipelines.admin_api.context import ApiContext
from goldsphere_pipelines.admin_api.dagster_launcher import DagsterLauncher
from goldsphere_pipelines.admin_api.errors import install_error_handlers
from goldsphere_pipelines.admin_api.routes import (
    connectors,
    deletions,
    doctor,
    rules,
    syncs,
    webhook_receiver,
    webhooks,
)
from goldsphere_pipelines.admin_api.settings import load_settings
from goldsphere_pipelines.admin_api.ui import create_ui
from goldsphere_pipelines.connectors.webhook_receiver import MAX_WEBHOOK_BODY_BYTES
from goldsphere_pipelines.storage.credentials import load_cipher
from goldsphere_pipelines.storage.engine import default_engine

UI_PATH = "/admin/ui"
"""The Connectivity page (HTML, signed in with a goldsphere admin's e-mail and password)."""

DESCRIPTION = """\
Connectivity for goldsphere admins: WooCommerce connectors, their encrypted credentials,
Test Connection, Run Sync Now (a Dagster run) and the sync history.

Every endpoint needs a goldsphere admin's bearer token. Errors are
`{"error": {"code": ..., "message": ...}}`. Consumer keys and secrets are accepted,
stored encrypted, and never returned.
"""


def create_app(
    engine: Engine | None = None,
    *,
    dagster_url: str | None = None,
    jwt_secret: str | None = None,
    max_body_bytes: int | None = None,
) -> FastAPI:
    """The admin API on `engine` (default: the configured goldsphere database).

    Settings not given come from the environment (`JWT_SECRET`, `GOLDSPHERE_DAGSTER_URL`,
    `GOLDSPHERE_ADMIN_API_MAX_BODY_BYTES`); the credentials key is loaded now, so a
    missing `JWT_SECRET` or key fails here with a message naming the setting.
    """
    settings = load_settings(
        jwt_secret=jwt_secret, dagster_url=dagster_url, max_body_bytes=max_body_bytes
    )
    context = ApiContext(
        engine=engine if engine is not None else default_engine(),
        cipher=load_cipher(),
        launcher=DagsterLauncher(settings.dagster_url),
        settings=settings,
    )
    app = FastAPI(
        title="goldsphere admin API",
        version=__version__,
        description=DESCRIPTION,
        openapi_url="/admin/openapi.json",
        docs_url="/admin/docs",
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
    )
    app.state.context = context
    install_error_handlers(app)
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_body_bytes,
        by_path_prefix={webhook_receiver.WEBHOOK_PATH_PREFIX: MAX_WEBHOOK_BODY_BYTES},
    )
    app.include_router(connectors.router)
    app.include_router(syncs.router)
    app.include_router(rules.router)
    app.include_router(doctor.router)
    app.include_router(deletions.router)
    app.include_router(webhooks.router)
    app.include_router(webhook_receiver.router)
    app.mount(UI_PATH, create_ui(context))
    return app
