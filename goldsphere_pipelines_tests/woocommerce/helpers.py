"""Small helpers for the client's tests: a client around one odd response, and a port of
WooCommerce's own OAuth signature check to hold the client's signatures against."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, unquote_plus, urlsplit

import httpx2
import orjson

from goldsphere_pipelines.woocommerce import AuthMode, WooCommerceClient, WooCredentials

KEY = "ck_0123456789abcdef0123456789abcdef01234567"
SECRET = "cs_fedcba9876543210fedcba9876543210fedcba98"
CREDENTIALS = WooCredentials(consumer_key=KEY, consumer_secret=SECRET)
SHOP = "https://shop.example.com"
API = SHOP + "/wp-json/wc/v3"

Handler = Callable[[httpx2.Request], httpx2.Response]


def odd_client(
    handler: Handler,
    *,
    auth_mode: AuthMode = AuthMode.BASIC,
    base_url: str = SHOP,
    sleeps: list[float] | None = None,
    **options: Any,
) -> WooCommerceClient:
    """A client whose transport is `handler`, with quick retries; waits are recorded, not slept."""
    settings: dict[str, Any] = {
        "max_attempts": 3,
        "backoff_base_s": 0.0,
        "backoff_max_s": 60.0,
        "concurrency": 2,
    }
    settings.update(options)
    client = WooCommerceClient(
        base_url,
        CREDENTIALS,
        auth_mode=auth_mode,
        transport=httpx2.MockTransport(handler),
        **settings,
    )
    recorded = sleeps if sleeps is not None else []
    client._fetcher._sleep = recorded.append  # tests do not wait for real
    return client


def json_list(records: list[Any], total: int | None = None) -> httpx2.Response:
    headers = {} if total is None else {"X-WP-Total": str(total), "X-WP-TotalPages": "1"}
    return httpx2.Response(200, content=orjson.dumps(records), headers=headers)


def wc_error(status: int, code: str, message: str) -> httpx2.Response:
    return httpx2.Response(
        status, json={"code": code, "message": message, "data": {"status": status}}
    )


def sequence(
    *responses: httpx2.Response | Exception,
) -> Callable[[httpx2.Request], httpx2.Response]:
    """A handler answering with `responses` in turn, then repeating the last one."""
    remaining = list(responses)

    def handler(request: httpx2.Request) -> httpx2.Response:
        answer = remaining.pop(0) if len(remaining) > 1 else remaining[0]
        if isinstance(answer, Exception):
            raise answer
        return answer

    return handler


# -- WooCommerce's OAuth 1.0a check (WC_REST_Authentication, includes/class-wc-rest-
#    authentication.php), ported line by line so that the client is held to what a real
#    store verifies rather than to what Authlib produces. ----------------------------------


def _rawurlencode(text: str) -> str:
    return quote(text, safe="-_.~")


def _woocommerce_header_params(header: str) -> dict[str, str]:
    if not header.startswith("OAuth "):
        return {}
    params: dict[str, str] = {}
    for name, quoted, bare in re.findall(r'(oauth_[a-z_-]*)=(?:"([^"]*)"|([^,]*))', header):
        params[name] = unquote_plus(quoted or bare)
    return params


def woocommerce_accepts_signature(request: httpx2.Request, consumer_secret: str) -> bool:
    """True when WooCommerce would accept `request`'s OAuth 1.0a signature."""
    params = dict(parse_qsl(request.url.query.decode(), keep_blank_values=True))
    params.update(_woocommerce_header_params(request.headers.get("Authorization", "")))
    if params.get("oauth_signature_method") not in ("HMAC-SHA1", "HMAC-SHA256"):
        return False
    consumer_signature = unquote(params.pop("oauth_signature", "").replace(" ", "+"))
    parts = urlsplit(str(request.url))
    base_request_uri = _rawurlencode(f"{parts.scheme}://{parts.netloc}{parts.path}")
    normalized = {_rawurlencode(k): _rawurlencode(v) for k, v in sorted(params.items())}
    query_string = "%26".join(_rawurlencode(f"{k}={v}") for k, v in normalized.items())
    string_to_sign = f"{request.method.upper()}&{base_request_uri}&{query_string}"
    algorithm = params["oauth_signature_method"].removeprefix("HMAC-").lower()
    digest = hmac.new(
        f"{consumer_secret}&".encode(), string_to_sign.encode(), getattr(hashlib, algorithm)
    ).digest()
    return hmac.compare_digest(base64.b64encode(digest).decode(), consumer_signature)
