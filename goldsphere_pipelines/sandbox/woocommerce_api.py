"""`/wp-json/wc/v3`: routing, authentication, pagination headers and fault injection.

A plain ASGI app (no Starlette router inside) so that every response passes one place
where faults can spoil it, and a page costs what rendering it costs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import re
import socket
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from goldsphere_pipelines.sandbox import record_writes, rest_errors
from goldsphere_pipelines.sandbox.auth import AuthOutcome, RequestFacts, authenticate
from goldsphere_pipelines.sandbox.fault_pages import fault_response, spoil_body
from goldsphere_pipelines.sandbox.listing import ListQuery, parse_list_query, project_fields
from goldsphere_pipelines.sandbox.rest_errors import RestError
from goldsphere_pipelines.sandbox.settings_payloads import (
    namespace_index,
    settings_general,
    settings_groups,
    system_status,
)
from goldsphere_pipelines.sandbox.store import Page, SandboxStore
from goldsphere_pipelines.sandbox.webhooks import WEBHOOK_TOPICS, PingFailedError

TRANSPORT_KEY = "goldsphere.sandbox.transport"
"""ASGI scope extension under which the sandbox's server puts the connection's transport."""
ORIGINAL_PATH_KEY = "goldsphere.sandbox.original_raw_path"
"""Set when `?rest_route=` was rewritten: the path the client signed (OAuth)."""

BODY_KEY = "goldsphere.sandbox.body"
"""Where a write request's body is kept for its (synchronous) handler."""
_WEBHOOK_ROUTES = frozenset({"webhooks", "webhook"})
_WEBHOOK_WRITES = frozenset({("webhooks", "POST"), ("webhook", "DELETE"), ("webhook", "PUT")})

API_PREFIX = "/wp-json/wc/v3"
JSON = "application/json; charset=UTF-8"
_SECRET_PARAMS = frozenset(
    {"consumer_key", "consumer_secret", "oauth_consumer_key", "oauth_signature"}
)
access_log = logging.getLogger("goldsphere_pipelines.sandbox.access")


class ConnectionDropped(Exception):
    """Raised instead of dropping a connection when no real socket exists (ASGI in-process)."""


@dataclass(slots=True)
class _Reply:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None
    """Already-encoded JSON, used instead of `body`."""


Handler = Callable[[Request, "tuple[str, ...]", str], _Reply]


class WooCommerceApi:
    """Serves the REST API v3 of `store` under the path it is mounted at."""

    def __init__(self, store: SandboxStore, *, log_requests: bool = False) -> None:
        self.store = store
        self.log_requests = log_requests
        self.routes: list[tuple[re.Pattern[str], str, Handler, bool]] = [
            (re.compile(r"^/?$"), "index", self._index, False),
            (re.compile(r"^/products/?$"), "products", self._products, True),
            (re.compile(r"^/products/(\d+)/?$"), "product", self._product, True),
            (re.compile(r"^/products/(\d+)/variations/?$"), "variations", self._variations, True),
            (re.compile(r"^/products/(\d+)/variations/(\d+)/?$"), "variation", self._variation,
             True),
            (re.compile(r"^/orders/?$"), "orders", self._orders, True),
            (re.compile(r"^/orders/(\d+)/?$"), "order", self._order, True),
            (re.compile(r"^/system_status/?$"), "system_status", self._system_status, True),
            (re.compile(r"^/settings/?$"), "settings", self._settings, True),
            (re.compile(r"^/settings/([\w-]+)/?$"), "settings_group", self._settings_group, True),
            (re.compile(r"^/webhooks/?$"), "webhooks", self._webhooks, True),
            (re.compile(r"^/webhooks/(\d+)/?$"), "webhook", self._webhook, True),
        ]  # fmt: skip

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        started = time.perf_counter()
        request = Request(scope, receive)
        path = _api_path(scope)
        route = self._match(path)
        endpoint = route[1] if route else "unknown"
        self.store.stats_counter.request(endpoint)
        faults = self.store.fault_injector.decide()
        if faults.spiked:
            self.store.stats_counter.fault("latency_spike")
        if faults.delay_s:
            await asyncio.sleep(faults.delay_s)
        if faults.refuse is not None:
            self.store.stats_counter.fault(faults.refuse)
            if faults.refuse == "dropped":
                self._log(request, "dropped", started)
                _drop_connection(scope)
                # Let uvicorn notice the closed connection before this request ends, so it
                # does not report a request that ended without a response.
                await asyncio.sleep(0)
                await asyncio.sleep(0)
                return
            response = fault_response(faults.refuse, faults.retry_after_s)
            await self._send(response, request, scope, receive, send, started)
            return
        body_in = await request.body() if request.method in ("POST", "PUT") else b""
        if route is not None and route[1] in _WEBHOOK_ROUTES:
            # Saving a webhook pings its delivery URL: off the event loop.
            scope[BODY_KEY] = body_in
            reply = await asyncio.to_thread(self._handle, request, path, route, body_in)
        else:
            reply = self._handle(request, path, route, body_in)
        body = reply.raw if reply.raw is not None else orjson.dumps(reply.body)
        if faults.body is not None and not (faults.body == "truncated" and reply.status != 200):
            self.store.stats_counter.fault(faults.body)
            body = spoil_body(body, faults.body, faults.cut_at)
        response = Response(body, reply.status, reply.headers, media_type=JSON)
        await self._send(response, request, scope, receive, send, started)

    async def _send(
        self,
        response: Response,
        request: Request,
        scope: Scope,
        receive: Receive,
        send: Send,
        started: float,
    ) -> None:
        self.store.stats_counter.response(response.status_code)
        self._log(request, str(response.status_code), started)
        await response(scope, receive, send)

    def _log(self, request: Request, outcome: str, started: float) -> None:
        if not self.log_requests:
            return
        query = urlencode(
            [
                (key, "***" if key in _SECRET_PARAMS else value)
                for key, value in request.query_params.multi_items()
            ]
        )
        target = request.url.path + (f"?{query}" if query else "")
        elapsed_ms = (time.perf_counter() - started) * 1000
        access_log.info("%s %s -> %s (%.1f ms)", request.method, target, outcome, elapsed_ms)

    def _match(self, path: str) -> tuple[tuple[str, ...], str, Handler, bool] | None:
        for pattern, name, handler, needs_auth in self.routes:
            found = pattern.match(path)
            if found:
                return found.groups(), name, handler, needs_auth
        return None

    def _handle(
        self,
        request: Request,
        path: str,
        route: tuple[tuple[str, ...], str, Handler, bool] | None,
        body_in: bytes = b"",
    ) -> _Reply:
        outcome = self._authenticate(request)
        try:
            if outcome.error is not None:
                raise outcome.error
            if route is None:
                raise rest_errors.no_route()
            groups, name, handler, needs_auth = route
            if (name, request.method) in _WEBHOOK_WRITES:
                if not outcome.authenticated:
                    raise rest_errors.cannot_edit()
                return handler(request, groups, _base_url(request))
            if request.method not in ("GET", "HEAD"):
                write = record_writes.handler(self.store, name, request.method)
                if write is None:
                    raise rest_errors.no_route()
                if not outcome.authenticated:
                    raise rest_errors.cannot_edit()
                params = dict(request.query_params.multi_items())
                base = _base_url(request)
                return _Reply(200, write(groups, params, body_in, base))
            if needs_auth and not outcome.authenticated:
                single = name in ("product", "variation", "order")
                raise rest_errors.cannot_view() if single else rest_errors.cannot_list()
            return handler(request, groups, _base_url(request))
        except RestError as error:
            return _Reply(error.status, error.payload())

    def _authenticate(self, request: Request) -> AuthOutcome:
        scope = request.scope
        raw_path = scope.get(ORIGINAL_PATH_KEY) or scope.get("raw_path") or b""
        facts = RequestFacts(
            method=request.method,
            is_ssl=scope.get("scheme") == "https" or self.store.config.behind_tls_proxy,
            host=request.headers.get("host", ""),
            raw_path=raw_path.decode("latin-1") if isinstance(raw_path, bytes) else raw_path,
            query=request.query_params.multi_items(),
            headers=request.headers,
        )
        return authenticate(facts, self.store.api_key(), self.store.nonces)

    # --- handlers -------------------------------------------------------------------

    def _query(self, request: Request, kind: str) -> ListQuery:
        return parse_list_query(
            request.query_params.multi_items(),
            kind=kind,
            store_offset_minutes=self.store.config.utc_offset_minutes,
            supports_modified_filters=self.store.fault_knobs.supports_modified_filters,
        )

    def _paged(
        self, request: Request, route: str, query: ListQuery, page: Page, base: str
    ) -> _Reply:
        total_pages = math.ceil(page.total / query.per_page) if page.total else 0
        headers = {"X-WP-Total": str(page.total), "X-WP-TotalPages": str(total_pages)}
        links = _pagination_links(request, f"{base}/wp-json/wc/v3/{route}", query.page, total_pages)
        if links:
            headers["Link"] = links
        return _Reply(200, None, headers, raw=page.body(base))

    def _index(self, request: Request, groups: tuple[str, ...], base: str) -> _Reply:
        return _Reply(200, namespace_index(base))

    def _products(self, request: Request, groups: tuple[str, ...], base: str) -> _Reply:
        query = self._query(request, "products")
        page = self.store.list_products_with_faults(query)
        return self._paged(request, "products", query, page, base)

    def _product(self, request: Request, groups: tuple[str, ...], base: str) -> _Reply:
        payload = self.store.get_product(int(groups[0]), base)
        if payload is None:
            raise rest_errors.invalid_id("product")
        return _Reply(200, _fields(request, payload))

    def _variations(self, request: Request, groups: tuple[str, ...], base: str) -> _Reply:
        query = self._query(request, "variations")
        product_id = int(groups[0])
        page = self.store.list_variations(product_id, query)
        return self._paged(request, f"products/{product_id}/variations", query, page, base)

    def _variation(self, request: Request, groups: tuple[str, ...], base: str) -> _Reply:
        payload = self.store.get_variation(int(groups[0]), int(groups[1]), base)
        if payload is None:
            raise rest_errors.invalid_id("product_variation")
        return _Reply(200, _fields(request, payload))

    def _orders(self, request: Request, groups: tuple[str, ...], base: str) -> _Reply:
        query = self._query(request, "orders")
        page = self.store.list_orders_with_faults(query)
        return self._paged(request, "orders", query, page, base)

    def _order(self, request: Request, groups: tuple[str, ...], base: str) -> _Reply:
        payload = self.store.get_order(int(groups[0]), base)
        if payload is None:
            raise rest_errors.invalid_id("shop_order")
        return _Reply(200, _fields(request, payload))

    def _system_status(self, request: Request, groups: tuple[str, ...], base: str) -> _Reply:
        if not self.store.config.system_status_allowed:
            raise RestError(
                403, "woocommerce_rest_cannot_view", "Sorry, you cannot list resources."
            )
        return _Reply(200, _fields(request, system_status(self.store.config, base)))

    def _webhooks(self, request: Request, groups: tuple[str, ...], base: str) -> _Reply:
        hub = self.store.webhooks
        if request.method == "GET":
            return _Reply(200, [s.payload() for s in hub.subscriptions()])
        self._require_write()
        body = _json_body(request)
        topic, url = body.get("topic"), body.get("delivery_url")
        problems = {}
        if topic not in WEBHOOK_TOPICS:
            problems["topic"] = ("rest_invalid_param", "Invalid topic.")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            problems["delivery_url"] = ("rest_invalid_param", "delivery_url is not a URL.")
        if problems:
            raise rest_errors.invalid_params(problems)
        hub.source_url = base + "/"
        try:
            subscription = hub.subscribe(
                name=str(body.get("name") or f"Webhook created by the REST API: {topic}"),
                topic=str(topic),
                delivery_url=str(url),
                secret=str(body.get("secret") or ""),
                status=str(body.get("status") or "active"),
            )
        except PingFailedError as error:
            raise RestError(400, "woocommerce_rest_webhook_ping_failed", str(error)) from error
        return _Reply(201, subscription.payload())

    def _webhook(self, request: Request, groups: tuple[str, ...], base: str) -> _Reply:
        hub = self.store.webhooks
        webhook_id = int(groups[0])
        if request.method in ("DELETE", "PUT"):
            self._require_write()
        found = hub.delete(webhook_id) if request.method == "DELETE" else hub.get(webhook_id)
        if found is None:
            raise RestError(404, "woocommerce_rest_webhook_invalid_id", "Invalid ID.")
        if request.method == "PUT":
            status = _json_body(request).get("status")
            if status in ("active", "paused", "disabled"):
                found.status = str(status)
                found.failure_count = 0
        return _Reply(200, found.payload())

    def _require_write(self) -> None:
        if self.store.config.key_permissions not in ("write", "read_write"):
            raise rest_errors.authentication_error(
                "The API key provided does not have write permissions."
            )

    def _settings(self, request: Request, groups: tuple[str, ...], base: str) -> _Reply:
        return _Reply(200, settings_groups(base))

    def _settings_group(self, request: Request, groups: tuple[str, ...], base: str) -> _Reply:
        if groups[0] != "general":
            raise RestError(404, "rest_setting_setting_group_invalid", "Invalid setting group.")
        return _Reply(200, settings_general(self.store.config, base))


def _json_body(request: Request) -> dict[str, Any]:
    try:
        body = orjson.loads(request.scope.get(BODY_KEY) or b"{}")
    except orjson.JSONDecodeError:
        body = None
    if not isinstance(body, dict):
        raise RestError(400, "rest_invalid_json", "Invalid JSON body passed.")
    return body


def _api_path(scope: Scope) -> str:
    """The path below /wp-json/wc/v3, whether the app is mounted there or routed to."""
    path: str = scope["path"]
    return path[len(API_PREFIX) :] if path.startswith(API_PREFIX) else path


def _base_url(request: Request) -> str:
    """The shop's home URL as the client reached it; payload links point there."""
    scheme = request.scope.get("scheme", "http")
    return f"{scheme}://{request.headers.get('host', '127.0.0.1')}"


def _fields(request: Request, payload: dict[str, Any]) -> dict[str, Any]:
    wanted = [
        part.strip()
        for key, value in request.query_params.multi_items()
        if key == "_fields"
        for part in value.split(",")
        if part.strip()
    ]
    return project_fields(payload, wanted) if wanted else payload


def _pagination_links(request: Request, route_url: str, page: int, total_pages: int) -> str:
    """WooCommerce's Link header: prev and next only, carrying every query parameter.

    Like WooCommerce, the links repeat the request's parameters, credentials included
    when they came in the query string: a client must not log them.
    """
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "page"]
    links = []
    if page > 1:
        previous = min(page - 1, total_pages) if total_pages else page - 1
        links.append(f'<{route_url}?{urlencode([*params, ("page", previous)])}>; rel="prev"')
    if total_pages > page:
        links.append(f'<{route_url}?{urlencode([*params, ("page", page + 1)])}>; rel="next"')
    return ", ".join(links)


def _drop_connection(scope: Scope) -> None:
    """Reset the TCP connection without a response (RST), as a crashing proxy does."""
    transport = scope.get("extensions", {}).get(TRANSPORT_KEY)
    if transport is None:
        raise ConnectionDropped("the sandbox dropped this connection (fault injection)")
    sock = transport.get_extra_info("socket")
    if sock is not None:
        # Without linger the close is a FIN instead of a reset; either way no response.
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()
