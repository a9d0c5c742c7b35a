"""Sandbox stores and clients for the sandbox's own tests.

The tests talk to a real loopback server (`run_sandbox`), over plain HTTP with OAuth
1.0a signatures as WooCommerce requires there. `sign_oauth` below is written from
RFC 5849 independently of the sandbox's own verification, so each request also checks
the server's signature code against a second implementation.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Generator, Iterator, Sequence
from typing import Any
from urllib.parse import quote, urlsplit

import httpx2
import pytest

from goldsphere_pipelines.sandbox import RunningSandbox, SandboxConfig, SandboxStore, run_sandbox

SMALL = SandboxConfig(products=60, variable_share=0.2, orders=400, customers=40, seed=7)
"""Several pages of everything, every status and flaw, built in a blink."""


class OAuthQuery(httpx2.Auth):
    """Signs each request with one-legged OAuth 1.0a, parameters in the query string."""

    def __init__(self, consumer_key: str, consumer_secret: str, algorithm: str = "HMAC-SHA256"):
        self.consumer_key = consumer_key
        self.consumer_secret = consumer_secret
        self.algorithm = algorithm

    def auth_flow(
        self, request: httpx2.Request
    ) -> Generator[httpx2.Request, httpx2.Response, None]:
        url = str(request.url.copy_with(query=None))
        params = list(request.url.params.multi_items())
        oauth = sign_oauth(
            request.method, url, params, self.consumer_key, self.consumer_secret,
            algorithm=self.algorithm,
        )  # fmt: skip
        request.url = request.url.copy_merge_params(oauth)
        yield request


def api_client(sandbox: RunningSandbox) -> httpx2.Client:
    """A client for the sandbox's REST API, signing with the sandbox's keys."""
    return httpx2.Client(
        base_url=sandbox.api_url,
        auth=OAuthQuery(sandbox.consumer_key, sandbox.consumer_secret),
        timeout=30,
    )


@pytest.fixture(scope="module")
def small_store() -> SandboxStore:
    """A store the test module only reads."""
    return SandboxStore(SMALL)


@pytest.fixture(scope="module")
def small_sandbox(small_store: SandboxStore) -> Iterator[RunningSandbox]:
    with run_sandbox(small_store) as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def api(small_sandbox: RunningSandbox) -> Iterator[httpx2.Client]:
    with api_client(small_sandbox) as client:
        yield client


@pytest.fixture
def store() -> SandboxStore:
    """A store of the test's own, to change."""
    return SandboxStore(SMALL)


@pytest.fixture
def sandbox(store: SandboxStore) -> Iterator[RunningSandbox]:
    with run_sandbox(store) as running:
        yield running


@pytest.fixture
def client(sandbox: RunningSandbox) -> Iterator[httpx2.Client]:
    with api_client(sandbox) as signed:
        yield signed


def _encode(text: str) -> str:
    return quote(text, safe="~")


def sign_oauth(
    method: str,
    url: str,
    params: Sequence[tuple[str, str]],
    consumer_key: str,
    consumer_secret: str,
    *,
    algorithm: str = "HMAC-SHA256",
    nonce: str | None = None,
    timestamp: int | None = None,
) -> list[tuple[str, str]]:
    """The OAuth 1.0a parameters (signature included) for a one-legged request."""
    oauth = [
        ("oauth_consumer_key", consumer_key),
        ("oauth_nonce", nonce or secrets.token_hex(16)),
        ("oauth_signature_method", algorithm),
        ("oauth_timestamp", str(timestamp if timestamp is not None else int(time.time()))),
        ("oauth_version", "1.0"),
    ]
    parts = urlsplit(url)
    base_uri = f"{parts.scheme.lower()}://{parts.netloc.lower()}{parts.path or '/'}"
    pairs = sorted((_encode(k), _encode(v)) for k, v in [*params, *oauth])
    normalized = "&".join(f"{k}={v}" for k, v in pairs)
    base_string = "&".join((method.upper(), _encode(base_uri), _encode(normalized)))
    digest = hashlib.sha256 if algorithm == "HMAC-SHA256" else hashlib.sha1
    key = f"{_encode(consumer_secret)}&".encode()
    signature = base64.b64encode(hmac.new(key, base_string.encode(), digest).digest()).decode()
    return [*oauth, ("oauth_signature", signature)]


def oauth_header(oauth: Sequence[tuple[str, str]]) -> str:
    return "OAuth " + ", ".join(f'{k}="{_encode(v)}"' for k, v in oauth)


def ids(records: Sequence[dict[str, Any]]) -> list[int]:
    return [record["id"] for record in records]


def fetch_all(client: httpx2.Client, path: str, **params: Any) -> list[dict[str, Any]]:
    """Every record of a collection, paged by id, asserting the page count headers."""
    records: list[dict[str, Any]] = []
    page = 1
    while True:
        response = client.get(
            path, params={"per_page": 100, "orderby": "id", "order": "asc", "page": page, **params}
        )
        assert response.status_code == 200, response.text
        records.extend(response.json())
        if page >= int(response.headers["X-WP-TotalPages"]):
            assert len(records) == int(response.headers["X-WP-Total"])
            return records
        page += 1
