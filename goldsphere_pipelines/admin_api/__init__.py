"""The admin HTTP API (FastAPI): connectors, credentials, Test Connection, Run Sync Now.

    from goldsphere_pipelines.admin_api import create_app
    app = create_app()          # JWT_SECRET, GOLDSPHERE_DAGSTER_URL from the environment

`goldsphere admin-api serve` runs it with uvicorn on 127.0.0.1:8090.
"""

from goldsphere_pipelines.admin_api.app import create_app

__all__ = ["create_app"]
