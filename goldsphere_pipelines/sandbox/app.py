"""`create_app`: the whole sandbox site as one Starlette app.

- `/wp-json/wc/v3/...` the WooCommerce REST API (authenticated, faulty on demand),
- `/?rest_route=/wc/v3/...` the same API for sites without pretty permalinks,
- `/wp-json/` the WordPress index, `/` a shop home page, HTML 404 elsewhere,
- `/_sandbox/...` the admin endpoints for tests (see `admin`).
"""

from __future__ import annotations

from urllib.parse import parse_qsl

import orjson
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from goldsphere_pipelines.sandbox.admin import admin_routes
from goldsphere_pipelines.sandbox.rest_errors import no_route
from goldsphere_pipelines.sandbox.settings_payloads import STORE_NAME, wp_index
from goldsphere_pipelines.sandbox.store import SandboxStore
from goldsphere_pipelines.sandbox.woocommerce_api import (
    API_PREFIX,
    JSON,
    ORIGINAL_PATH_KEY,
    WooCommerceApi,
)

_HOME = """<!DOCTYPE html>
<html lang="en-US">
<head>
<meta charset="UTF-8">
<title>{name}</title>
<link rel="https://api.w.org/" href="{base}/wp-json/" />
</head>
<body class="home woocommerce">
<h1>{name}</h1>
<p>Coins and bars of gold, silver, platinum and palladium.</p>
</body>
</html>
"""

_NOT_FOUND = """<!DOCTYPE html>
<html lang="en-US">
<head><meta charset="UTF-8"><title>Page not found &#8211; {name}</title></head>
<body class="error404"><h1>Oops! That page can&rsquo;t be found.</h1></body>
</html>
"""


class _RestRouteRewrite:
    """Serves `/?rest_route=/wc/v3/orders` as `/wp-json/wc/v3/orders`, as WordPress does."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] in ("/", "/index.php"):
            query = parse_qsl(scope.get("query_string", b"").decode("latin-1"))
            routes = [value for key, value in query if key == "rest_route"]
            if routes:
                path = "/wp-json/" + routes[-1].lstrip("/")
                scope = {
                    **scope,
                    "path": path,
                    "raw_path": path.encode(),
                    ORIGINAL_PATH_KEY: scope.get("raw_path") or scope["path"].encode(),
                }
        await self.app(scope, receive, send)


def _base(request: Request) -> str:
    return f"{request.url.scheme}://{request.headers.get('host', '127.0.0.1')}"


def create_app(store: SandboxStore, *, log_requests: bool = False) -> Starlette:
    """The ASGI app serving `store`. `log_requests` logs each API call, secrets masked."""
    api = WooCommerceApi(store, log_requests=log_requests)

    async def home(request: Request) -> Response:
        return HTMLResponse(_HOME.format(name=STORE_NAME, base=_base(request)))

    async def index(request: Request) -> Response:
        return Response(orjson.dumps(wp_index(store.config, _base(request))), media_type=JSON)

    async def other_namespace(request: Request) -> Response:
        return Response(orjson.dumps(no_route().payload()), 404, media_type=JSON)

    async def not_found(request: Request, exc: Exception) -> Response:
        return HTMLResponse(_NOT_FOUND.format(name=STORE_NAME), status_code=404)

    routes = [
        Route("/", home),
        Route("/wp-json", index),
        Route("/wp-json/", index),
        Route(API_PREFIX, api),
        Mount(API_PREFIX, app=api),
        Route("/wp-json/{rest:path}", other_namespace, methods=["GET", "POST", "PUT", "DELETE"]),
        Mount("/_sandbox", routes=admin_routes(store)),
    ]
    return Starlette(
        routes=routes,
        middleware=[Middleware(_RestRouteRewrite)],
        exception_handlers={404: not_found},
    )
