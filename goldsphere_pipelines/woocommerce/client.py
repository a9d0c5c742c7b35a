"""The WooCommerce REST API v3 client the pipeline reads stores with (read-only)."""

from __future__ import annotations

import ssl
from collections import deque
from collections.abc import Generator, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from types import TracebackType
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import httpx2

from goldsphere_pipelines import __version__
from goldsphere_pipelines.woocommerce.auth import OAuthSignatureIn, build_auth
from goldsphere_pipelines.woocommerce.connection_test import (
    ConnectionTestResult,
    run_connection_test,
)
from goldsphere_pipelines.woocommerce.credentials import AuthMode, WooCredentials
from goldsphere_pipelines.woocommerce.errors import InvalidResponseError, WooCommerceError
from goldsphere_pipelines.woocommerce.fetching import Fetched, Fetcher
from goldsphere_pipelines.woocommerce.filters import PAGING_PARAMS, filter_params
from goldsphere_pipelines.woocommerce.id_listing import IdListing, IdPage, list_ids
from goldsphere_pipelines.woocommerce.pagination import Page, Window, scan
from goldsphere_pipelines.woocommerce.parsing import parse_count_header
from goldsphere_pipelines.woocommerce.redaction import Redactor, guard_http_loggers
from goldsphere_pipelines.woocommerce.retry import RetryPolicy
from goldsphere_pipelines.woocommerce.stats import ClientStats

API_ROOT = "/wp-json/wc/v3"
USER_AGENT = f"goldsphere-pipelines/{__version__}"
DEFAULT_MAX_RESPONSE_BYTES = 32 * 1024 * 1024

Pages = Generator[Page, None, None]
"""An iterator of pages; `close()` it to stop early (fetches in flight are abandoned)."""


def normalize_base_url(base_url: str) -> str:
    """The shop root as `scheme://host[:port][/path]`, without a trailing slash.

    A pasted API address (`…/wp-json` or `…/wp-json/wc/v3`) is cut back to the shop root.
    Raises ValueError for anything but an http(s) URL with a host, or one carrying a query,
    a fragment or user information (credentials belong in `WooCredentials`).
    """
    parts = urlsplit(base_url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(
            f"The store URL must start with https:// or http:// and name a host, "
            f"e.g. https://shop.example.com; got {parts.scheme or 'no scheme'}."
        )
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ValueError(
            "The store URL must be the shop's address only, without a query, fragment or "
            "user name, e.g. https://shop.example.com."
        )
    path = parts.path.rstrip("/")
    for suffix in (API_ROOT, "/wp-json"):
        if path.endswith(suffix):
            path = path[: -len(suffix)]
            break
    return urlunsplit((parts.scheme, parts.netloc.lower(), path, "", ""))


def _ssl_context(ca_bundle_pem: str) -> ssl.SSLContext:
    try:
        # Only the given bundle is trusted, as with curl --cacert; verification stays on.
        return ssl.create_default_context(cadata=ca_bundle_pem)
    except (ssl.SSLError, ValueError) as exc:
        raise WooCommerceError(
            f"The connector's CA bundle is not a valid PEM certificate bundle ({exc}). "
            "Give the store's CA certificate(s) in PEM form (-----BEGIN CERTIFICATE-----).",
        ) from None


# WooCommerce's maximum page size: the fewest requests for an id listing.
ID_PAGE_SIZE = 100


class WooCommerceClient:
    """Reads one WooCommerce store through its REST API v3.

    Use it as a context manager; it owns one `httpx2.Client` and is safe to share between
    threads. At most `concurrency` requests are in flight at any time, across all the
    iterators running. `repr()` shows only the base URL and auth mode.

    `base_url` is the shop root (`https://shop.example.com`); the client adds `/wp-json/wc/v3`.
    `auth_mode`: BASIC (HTTP Basic, HTTPS), QUERY (key and secret as query parameters,
    HTTPS, for hosts that strip the Authorization header), OAUTH1 (one-legged OAuth 1.0a
    HMAC-SHA256, what WooCommerce requires over plain HTTP; `oauth_signature_in` puts the
    signature in the query string, as WooCommerce's own clients do, or in the header).
    `ca_bundle_pem`: the only certificates trusted for the store, for self-signed or corporate
    certificates; verification is never switched off.
    """

    def __init__(
        self,
        base_url: str,
        credentials: WooCredentials,
        *,
        auth_mode: AuthMode = AuthMode.BASIC,
        ca_bundle_pem: str | None = None,
        timeout: float = 30.0,
        max_attempts: int = 6,
        backoff_base_s: float = 0.5,
        backoff_max_s: float = 30.0,
        concurrency: int = 4,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        transport: httpx2.BaseTransport | None = None,
        per_page: int = 100,
        oauth_signature_in: OAuthSignatureIn = "query",
    ) -> None:
        if not 2 <= per_page <= 100:
            raise ValueError("per_page must be between 2 and 100 (WooCommerce's maximum)")
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        if max_response_bytes < 1:
            raise ValueError("max_response_bytes must be positive")
        self.base_url = normalize_base_url(base_url)
        self.auth_mode = AuthMode(auth_mode)
        self.concurrency = concurrency
        self.per_page = per_page
        self.stats = ClientStats()
        self._api = self.base_url + API_ROOT
        guard_http_loggers()
        redactor = Redactor(
            [
                credentials.consumer_key.get_secret_value(),
                credentials.consumer_secret.get_secret_value(),
            ]
        )
        self._fetcher = Fetcher(
            auth=build_auth(self.auth_mode, credentials, oauth_signature_in=oauth_signature_in),
            auth_mode=self.auth_mode,
            verify=_ssl_context(ca_bundle_pem) if ca_bundle_pem else True,
            timeout=timeout,
            retry=RetryPolicy(max_attempts, backoff_base_s, backoff_max_s),
            concurrency=concurrency,
            max_response_bytes=max_response_bytes,
            transport=transport,
            redactor=redactor,
            stats=self.stats,
            user_agent=USER_AGENT,
        )

    def __repr__(self) -> str:
        return f"WooCommerceClient(base_url={self.base_url!r}, auth_mode={self.auth_mode.value!r})"

    def __enter__(self) -> WooCommerceClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connections. Iterators still open fail on their next request."""
        self._fetcher.close()

    # -- reading collections --------------------------------------------------------------

    def iter_pages(self, path: str, params: Mapping[str, str | int] | None = None) -> Pages:
        """Every record of the collection at `path` (e.g. "/orders"), once, in id order.

        Pages after the first are fetched `concurrency` at a time and handed out in order,
        at most `2 × concurrency` pages ahead of the caller. Records deleted while the
        collection is read make the scan re-read, never skip. Raises `WooCommerceError`
        (see `errors`) rather than ever returning fewer records than the store holds.
        """
        clashing = PAGING_PARAMS.intersection(params or {})
        if clashing:
            raise ValueError(f"iter_pages sets {sorted(clashing)} itself")
        return self._scan(path, params or {}, workers=self.concurrency)

    def iter_products(
        self,
        *,
        after: datetime | None = None,
        before: datetime | None = None,
        modified_after: datetime | None = None,
        modified_before: datetime | None = None,
        status: str | None = None,
        search: str | None = None,
        sku: str | None = None,
        include: Iterable[int] | None = None,
        type: str | None = None,
        parent: int | Iterable[int] | None = None,
        _fields: str | Iterable[str] | None = None,
        **extra: str | int,
    ) -> Pages:
        """Pages of `/products` matching the filters (all statuses unless `status` is set).

        Dates are sent as UTC with `dates_are_gmt=true`; naive datetimes are taken as UTC.
        `after`/`modified_after` are exclusive, as in WooCommerce. `extra` holds any other
        WooCommerce list parameter (`category`, `exclude`, `stock_status`, …), sent as given.
        """
        return self.iter_pages(
            "/products",
            extra
            | filter_params(
                after=after,
                before=before,
                modified_after=modified_after,
                modified_before=modified_before,
                status=status,
                search=search,
                sku=sku,
                include=include,
                type=type,
                parent=parent,
                fields=_fields,
            ),
        )

    def iter_variations(
        self,
        product_id: int,
        *,
        after: datetime | None = None,
        before: datetime | None = None,
        modified_after: datetime | None = None,
        modified_before: datetime | None = None,
        status: str | None = None,
        search: str | None = None,
        sku: str | None = None,
        include: Iterable[int] | None = None,
        _fields: str | Iterable[str] | None = None,
        **extra: str | int,
    ) -> Pages:
        """Pages of `/products/{product_id}/variations` matching the filters (see
        `iter_products`)."""
        return self.iter_pages(
            f"/products/{_id(product_id)}/variations",
            extra
            | filter_params(
                after=after,
                before=before,
                modified_after=modified_after,
                modified_before=modified_before,
                status=status,
                search=search,
                sku=sku,
                include=include,
                fields=_fields,
            ),
        )

    def iter_orders(
        self,
        *,
        after: datetime | None = None,
        before: datetime | None = None,
        modified_after: datetime | None = None,
        modified_before: datetime | None = None,
        status: str | Iterable[str] | None = None,
        search: str | None = None,
        include: Iterable[int] | None = None,
        _fields: str | Iterable[str] | None = None,
        **extra: str | int,
    ) -> Pages:
        """Pages of `/orders` matching the filters (see `iter_products`; `extra` e.g.
        `customer`, `product`). WooCommerce's default status `any` leaves out trashed
        orders; ask `status="trash"` for those."""
        return self.iter_pages(
            "/orders",
            extra
            | filter_params(
                after=after,
                before=before,
                modified_after=modified_after,
                modified_before=modified_before,
                status=status,
                search=search,
                include=include,
                fields=_fields,
            ),
        )

    def iter_variations_many(self, product_ids: Iterable[int]) -> Iterator[tuple[int, list[Any]]]:
        """`(product_id, all its variations)` for each id, in the order given.

        Products are fetched `concurrency` at a time (each product's pages one after the
        other), at most `2 × concurrency` products ahead of the caller.
        """
        ahead = 2 * self.concurrency
        ids = iter(product_ids)
        pending: deque[tuple[int, Future[list[Any]]]] = deque()
        with ThreadPoolExecutor(self.concurrency) as executor:
            try:
                while True:
                    while len(pending) < ahead:
                        product_id = next(ids, None)
                        if product_id is None:
                            break
                        pending.append(
                            (product_id, executor.submit(self._all_variations, product_id))
                        )
                    if not pending:
                        return
                    product_id, future = pending.popleft()
                    yield product_id, future.result()
            finally:
                for _, future in pending:
                    future.cancel()

    def _all_variations(self, product_id: int) -> list[Any]:
        pages = self._scan(f"/products/{_id(product_id)}/variations", {}, workers=1)
        return [record for page in pages for record in page.records]

    def _scan(self, path: str, params: Mapping[str, str | int], *, workers: int) -> Pages:
        url = self._url(path)
        fixed: dict[str, str | int] = {
            **params,
            "per_page": self.per_page,
            "orderby": "id",
            "order": "asc",
        }

        def fetch(offset: int) -> Window:
            fetched = self._fetcher.get(url, {**fixed, "offset": offset}, expect="list")
            self.stats.add(pages=1)
            return Window(
                offset=offset,
                records=fetched.value,
                total=parse_count_header(fetched.headers.get("X-WP-Total")),
                total_pages=parse_count_header(fetched.headers.get("X-WP-TotalPages")),
            )

        return scan(
            fetch,
            per_page=self.per_page,
            workers=workers,
            on_reread=lambda: self.stats.add(rereads=1),
            what=_collection_name(path),
        )

    def list_ids(self, path: str, params: Mapping[str, str | int] | None = None) -> IdListing:
        """Every id of the collection at `path`, 100 a page (`_fields=id`), `concurrency`
        pages at a time; `IncompleteListingError` unless the listing is provably complete
        (see `id_listing`). Errors of the store raise as from any other read."""
        url = self._url(path)
        fixed: dict[str, str | int] = {
            **(params or {}),
            "per_page": ID_PAGE_SIZE,
            "orderby": "id",
            "order": "asc",
            "_fields": "id",
        }

        def fetch(page: int) -> IdPage:
            fetched = self._fetcher.get(url, {**fixed, "page": page}, expect="list")
            self.stats.add(pages=1)
            return fetched.value, parse_count_header(fetched.headers.get("X-WP-Total"))

        return list_ids(
            fetch, per_page=ID_PAGE_SIZE, workers=self.concurrency, what=_collection_name(path)
        )

    # -- single records and counts --------------------------------------------------------

    def get_product(self, product_id: int) -> dict[str, Any]:
        """The product `product_id`; `NotFoundError` when the store has none."""
        value: dict[str, Any] = self._get(f"/products/{_id(product_id)}", expect="object").value
        return value

    def get_variation(self, product_id: int, variation_id: int) -> dict[str, Any]:
        """The variation `variation_id` of `product_id`; `NotFoundError` when there is none."""
        path = f"/products/{_id(product_id)}/variations/{_id(variation_id)}"
        value: dict[str, Any] = self._get(path, expect="object").value
        return value

    def get_order(self, order_id: int) -> dict[str, Any]:
        """The order `order_id`; `NotFoundError` when the store has none."""
        value: dict[str, Any] = self._get(f"/orders/{_id(order_id)}", expect="object").value
        return value

    def count(self, path: str, params: Mapping[str, str | int] | None = None) -> int:
        """How many records the collection at `path` holds (its `X-WP-Total`), in one request."""
        fetched = self._get(path, {**(params or {}), "per_page": 1}, expect="list")
        total = parse_count_header(fetched.headers.get("X-WP-Total"))
        if total is None:
            raise InvalidResponseError(
                f"The store answered {fetched.url} without an X-WP-Total header, which "
                "WooCommerce always sends; a cache or proxy in front of it may drop headers.",
                url=fetched.url,
            )
        return total

    def test_connection(self, *, max_attempts: int | None = 2) -> ConnectionTestResult:
        """Whether the store can be read with these settings, and what it told about itself.

        Never raises for a store-side problem: `success=False` with a message an admin can
        act on (wrong URL, not WooCommerce, REST API off, key invalid or without read
        permission, TLS failure, timeout). `max_attempts` per request: two by default, so an
        admin's Test Connection answers quickly; None uses the client's retry policy (what a
        sync uses, so a short outage within the retry budget does not fail it).
        """
        return run_connection_test(
            lambda path, params: self._get(path, params, expect="any", max_attempts=max_attempts),
            base_url=self.base_url,
        )

    # -- internals ------------------------------------------------------------------------

    def _url(self, path: str) -> str:
        if "://" in path or "?" in path or "#" in path:
            raise ValueError(f"path must be a path under {API_ROOT}, like /orders")
        return self._api + "/" + path.lstrip("/")

    def _get(
        self,
        path: str,
        params: Mapping[str, str | int] | None = None,
        *,
        expect: Any,
        max_attempts: int | None = None,
    ) -> Fetched:
        return self._fetcher.get(self._url(path), params, expect=expect, max_attempts=max_attempts)


def _id(value: int) -> str:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"a WooCommerce id is a positive integer, got {value!r}")
    return quote(str(value))


def _collection_name(path: str) -> str:
    parts = [p for p in path.strip("/").split("/") if p]
    return parts[-1] if parts else "records"
