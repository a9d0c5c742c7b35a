"""The three ways a consumer key and secret travel to a WooCommerce store, as httpx2 auth.

Credentials are added by the auth flow, at send time: the URLs the client builds, logs and
puts into errors never hold them. Every attempt (including retries and same-host redirects)
is signed afresh, so OAuth nonces and timestamps are never reused.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Generator
from typing import Any, Literal
from urllib.parse import parse_qsl, urlsplit
from urllib.request import parse_http_list, parse_keqv_list

import httpx2
from authlib.oauth1 import ClientAuth
from authlib.oauth1.rfc5849.signature import construct_base_string
from authlib.oauth1.rfc5849.util import unescape

from goldsphere_pipelines.woocommerce.credentials import AuthMode, WooCredentials

OAuthSignatureIn = Literal["query", "header"]

_HMAC_SHA256 = "HMAC-SHA256"


class QueryStringAuth(httpx2.Auth):
    """`consumer_key`/`consumer_secret` as query parameters, for hosts that strip the
    Authorization header. The parameters exist only on the request httpx2 sends."""

    def __init__(self, credentials: WooCredentials) -> None:
        self._params = {
            "consumer_key": credentials.consumer_key.get_secret_value(),
            "consumer_secret": credentials.consumer_secret.get_secret_value(),
        }

    def auth_flow(
        self, request: httpx2.Request
    ) -> Generator[httpx2.Request, httpx2.Response, None]:
        # A new request, so that the caller's request (whose URL may be logged) stays clean.
        yield httpx2.Request(
            request.method,
            request.url.copy_merge_params(self._params),
            headers=request.headers,
            extensions=request.extensions,
        )

    def __repr__(self) -> str:
        return "QueryStringAuth()"


class WooOAuth1Auth(httpx2.Auth):
    """One-legged OAuth 1.0a with HMAC-SHA256, as WooCommerce verifies it over plain HTTP.

    Authlib's protocol core (`authlib.oauth1.ClientAuth`) renders each request: nonce,
    timestamp, parameter placement, base string. Its httpx2 integration is not used: Authlib
    1.9 deprecates it in favour of httpx2. `signature_in="query"` puts the OAuth parameters
    in the query string, as WooCommerce's own API clients do (it survives hosts that strip
    the Authorization header); "header" sends them as `Authorization: OAuth …`. WooCommerce
    accepts both.
    """

    def __init__(self, credentials: WooCredentials, signature_in: OAuthSignatureIn) -> None:
        self._signer = _HmacSha256ClientAuth(
            client_id=credentials.consumer_key.get_secret_value(),
            client_secret=credentials.consumer_secret.get_secret_value(),
            signature_method=_HMAC_SHA256,
            signature_type="QUERY" if signature_in == "query" else "HEADER",
        )

    def auth_flow(
        self, request: httpx2.Request
    ) -> Generator[httpx2.Request, httpx2.Response, None]:
        # A new request keeps the caller's URL free of the key. A JSON body (the one write,
        # creating webhooks) is not part of an OAuth 1.0a signature: it is carried as is.
        url, headers, _ = self._signer.prepare(
            request.method, str(request.url), dict(request.headers), b""
        )
        content = request.read() if request.method not in ("GET", "HEAD") else None
        yield httpx2.Request(
            request.method, url, headers=headers, content=content, extensions=request.extensions
        )

    def __repr__(self) -> str:
        return f"WooOAuth1Auth(signature_type={self._signer.signature_type!r})"


class _HmacSha256ClientAuth(ClientAuth):  # type: ignore[misc]  # Authlib is untyped
    """Authlib's client with WooCommerce's HMAC-SHA256 signature.

    Authlib knows only HMAC-SHA1, and its request wrapper refuses plain-http URLs other
    than loopback, while WooCommerce requires OAuth exactly for plain-http stores; so the
    signature is computed here over Authlib's own `construct_base_string`.
    """

    def sign(self, method: str, uri: str, headers: Any, body: Any) -> tuple[str, Any, Any]:
        # Authlib's own `sign`, less the body hash (WooCommerce GETs have no body), with a
        # nonce from one call to the OS's generator: Authlib draws each of its 30 characters
        # with a separate `os.urandom`, and each call gives up the interpreter lock and waits
        # to get it back, which under a sync's load cost more than the rest of signing.
        oauth_params = self.get_oauth_params(secrets.token_hex(16), str(int(time.time())))
        rendered = self._render(uri, headers, body, oauth_params)
        oauth_params.append(("oauth_signature", self.get_oauth_signature(method, *rendered)))
        signed: tuple[str, Any, Any] = self._render(uri, headers, body, oauth_params)
        return signed

    def get_oauth_signature(self, method: str, uri: str, headers: Any, body: Any) -> str:
        params = parse_qsl(urlsplit(uri).query, keep_blank_values=True)
        params.extend(_oauth_header_params(headers))
        base_string = construct_base_string(method.upper(), uri, params)
        # WooCommerce keys the HMAC with `consumer_secret&`, the secret NOT percent-encoded
        # (RFC 5849 would encode it; the two agree only for plain secrets like cs_<hex>).
        key = (self.client_secret or "") + "&"
        digest = hmac.new(key.encode(), base_string.encode(), hashlib.sha256).digest()
        return base64.b64encode(digest).decode("ascii")

    def __repr__(self) -> str:
        return "_HmacSha256ClientAuth()"


def _oauth_header_params(headers: Any) -> list[tuple[str, str]]:
    value = headers.get("Authorization") if headers is not None else None
    if not value or not str(value).lower().startswith("oauth "):
        return []
    items = parse_keqv_list(parse_http_list(str(value)[len("oauth ") :]))
    return [(unescape(k), unescape(v)) for k, v in items.items() if k != "realm"]


def build_auth(
    mode: AuthMode, credentials: WooCredentials, *, oauth_signature_in: OAuthSignatureIn
) -> httpx2.Auth:
    """The httpx2 auth for `mode`. None of these objects shows a secret in its repr."""
    if mode is AuthMode.BASIC:
        return httpx2.BasicAuth(
            credentials.consumer_key.get_secret_value(),
            credentials.consumer_secret.get_secret_value(),
        )
    if mode is AuthMode.QUERY:
        return QueryStringAuth(credentials)
    if mode is AuthMode.OAUTH1:
        auth: httpx2.Auth = WooOAuth1Auth(credentials, oauth_signature_in)
        return auth
    raise ValueError(f"unknown auth mode {mode!r}")
