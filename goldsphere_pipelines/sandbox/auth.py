"""Authentication exactly as WooCommerce's `WC_REST_Authentication` does it.

- Over HTTPS (or when WordPress believes it is HTTPS, behind a TLS proxy) the consumer
  key and secret are read from the `consumer_key`/`consumer_secret` query parameters,
  else from HTTP Basic. A known key with a wrong secret is an error; an unknown key is
  silently ignored, so the request continues unauthenticated.
- Then, over either scheme, OAuth 1.0a one-legged (HMAC-SHA1 or HMAC-SHA256), its
  parameters in the query string or an `Authorization: OAuth` header, the signature over
  the RFC 5849 base string with the key `consumer_secret&`; timestamps within 15 minutes,
  nonces used once.
- A request with no valid credentials is not refused here: the endpoint answers 401
  `woocommerce_rest_cannot_view` ("Sorry, you cannot list resources.").
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import unquote

from authlib.oauth1.rfc5849.signature import construct_base_string

from goldsphere_pipelines.sandbox.rest_errors import RestError, authentication_error

OAUTH_REQUIRED = (
    "oauth_consumer_key",
    "oauth_timestamp",
    "oauth_nonce",
    "oauth_signature",
    "oauth_signature_method",
)
_HASHES = {"HMAC-SHA1": hashlib.sha1, "HMAC-SHA256": hashlib.sha256}
_HEADER_PARAM = re.compile(r'(oauth_[a-z_-]*)=(?:"([^"]*)"|([^,]*))')
TIMESTAMP_WINDOW_S = 15 * 60


@dataclass(frozen=True, slots=True)
class AuthOutcome:
    """Who the request is: `authenticated`, or an `error` WordPress answers with at once."""

    authenticated: bool
    error: RestError | None = None
    method: str | None = None
    """"basic", "query" or "oauth1" when authenticated."""


@dataclass(frozen=True, slots=True)
class ApiKey:
    consumer_key: str
    consumer_secret: str
    permissions: str
    revoked: bool


@dataclass(frozen=True, slots=True)
class RequestFacts:
    """What authentication reads from a request; built by the app from the ASGI scope."""

    method: str
    is_ssl: bool
    host: str
    raw_path: str
    query: Sequence[tuple[str, str]]
    headers: Mapping[str, str]


class NonceRegistry:
    """Nonces seen in the last 15 minutes, per key (WooCommerce keeps them on the key row)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: dict[str, int] = {}
        self._pruned_at = 0.0

    def claim(self, nonce: str, timestamp: int) -> bool:
        """True when the nonce is fresh (and now used); False when replayed."""
        now = time.time()
        with self._lock:
            if now - self._pruned_at > 60:
                cutoff = now - TIMESTAMP_WINDOW_S
                self._seen = {n: t for n, t in self._seen.items() if t >= cutoff}
                self._pruned_at = now
            if nonce in self._seen:
                return False
            self._seen[nonce] = timestamp
            return True


def authenticate(request: RequestFacts, key: ApiKey, nonces: NonceRegistry) -> AuthOutcome:
    """WooCommerce's decision for one request (before key permissions are checked)."""
    error: RestError | None = None
    if request.is_ssl:
        outcome = _basic(request, key)
        if outcome.authenticated:
            return _with_permissions(outcome, key, request.method)
        error = outcome.error
    oauth = _oauth(request, key, nonces)
    if oauth.authenticated:
        return _with_permissions(oauth, key, request.method)
    return AuthOutcome(False, oauth.error or error)


def _with_permissions(outcome: AuthOutcome, key: ApiKey, method: str) -> AuthOutcome:
    if method in ("GET", "HEAD") and key.permissions not in ("read", "read_write"):
        return AuthOutcome(
            False, authentication_error("The API key provided does not have read permissions.")
        )
    if method not in ("GET", "HEAD") and key.permissions not in ("write", "read_write"):
        return AuthOutcome(
            False, authentication_error("The API key provided does not have write permissions.")
        )
    return outcome


def _last(params: Sequence[tuple[str, str]], name: str) -> str:
    """PHP's `$_GET[name]`: the last occurrence wins."""
    value = ""
    for key, item in params:
        if key == name:
            value = item
    return value


def _basic(request: RequestFacts, key: ApiKey) -> AuthOutcome:
    consumer_key = _last(request.query, "consumer_key")
    consumer_secret = _last(request.query, "consumer_secret")
    method = "query"
    if not (consumer_key and consumer_secret):
        consumer_key = consumer_secret = ""
        method = "basic"
        header = request.headers.get("authorization", "")
        if header[:6].lower() == "basic ":
            try:
                decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                decoded = ""
            consumer_key, _, consumer_secret = decoded.partition(":")
    if not (consumer_key and consumer_secret):
        return AuthOutcome(False)
    if key.revoked or not hmac.compare_digest(consumer_key, key.consumer_key):
        return AuthOutcome(False)  # WooCommerce ignores unknown keys here.
    if not hmac.compare_digest(consumer_secret, key.consumer_secret):
        return AuthOutcome(False, authentication_error("Consumer secret is invalid."))
    return AuthOutcome(True, method=method)


def _oauth_params(request: RequestFacts) -> list[tuple[str, str]]:
    """The query parameters plus the Authorization header's OAuth parameters."""
    params = list(request.query)
    header = request.headers.get("authorization", "").strip()
    if header.startswith("OAuth "):
        for match in _HEADER_PARAM.finditer(header):
            value = match.group(2) if match.group(2) else match.group(3)
            params.append((match.group(1), unquote(value.strip())))
    return params


def _oauth(request: RequestFacts, key: ApiKey, nonces: NonceRegistry) -> AuthOutcome:
    params = _oauth_params(request)
    present = {name: _last(params, name) for name in OAUTH_REQUIRED}
    missing = [name for name, value in present.items() if not value]
    if len(missing) == len(OAUTH_REQUIRED):
        return AuthOutcome(False)
    if missing:
        noun = "parameter" if len(missing) == 1 else "parameters"
        return AuthOutcome(
            False,
            RestError(
                401,
                "woocommerce_rest_authentication_missing_parameter",
                f"Missing OAuth {noun} {', '.join(missing)}",
            ),
        )
    if key.revoked or not hmac.compare_digest(present["oauth_consumer_key"], key.consumer_key):
        return AuthOutcome(False, authentication_error("Consumer key is invalid."))
    method = present["oauth_signature_method"]
    digest = _HASHES.get(method)
    if digest is None:
        return AuthOutcome(
            False, authentication_error("Invalid signature - signature method is invalid.")
        )
    scheme = "https" if request.is_ssl else "http"
    uri = f"{scheme}://{request.host}{request.raw_path}"
    base_string = construct_base_string(request.method, uri, params)
    expected = base64.b64encode(
        hmac.new(f"{key.consumer_secret}&".encode(), base_string.encode(), digest).digest()
    ).decode()
    provided = present["oauth_signature"].replace(" ", "+")
    if not hmac.compare_digest(expected, provided):
        return AuthOutcome(
            False, authentication_error("Invalid signature - provided signature does not match.")
        )
    try:
        timestamp = int(present["oauth_timestamp"])
    except ValueError:
        timestamp = 0
    if abs(time.time() - timestamp) > TIMESTAMP_WINDOW_S:
        return AuthOutcome(False, authentication_error("Invalid timestamp."))
    if not nonces.claim(f"{key.consumer_key}:{present['oauth_nonce']}", timestamp):
        return AuthOutcome(
            False, authentication_error("Invalid nonce - nonce has already been used.")
        )
    return AuthOutcome(True, method="oauth1")
