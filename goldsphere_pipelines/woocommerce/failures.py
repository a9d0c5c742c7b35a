"""Turning a failed exchange into the error an admin reads: what happened, what to do.

Every text passed in here is already redacted by the caller; these functions only choose
the error class and write the sentence.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx2

from goldsphere_pipelines.woocommerce.credentials import AuthMode
from goldsphere_pipelines.woocommerce.errors import (
    AuthenticationError,
    BadRequestError,
    InvalidResponseError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    RedirectError,
    ResponseTooLargeError,
    TLSError,
    TransientError,
    WooCommerceError,
)
from goldsphere_pipelines.woocommerce.parsing import BodyProblem

KEYS_PAGE = "WooCommerce → Settings → Advanced → REST API"


@dataclass(frozen=True, slots=True)
class FailedResponse:
    """A response that is not a success, reduced to what may be shown (all redacted)."""

    status: int
    wc_code: str | None
    wc_message: str | None
    excerpt: str
    url: str
    is_html: bool


def _said(response: FailedResponse) -> str:
    """`401 woocommerce_rest_authentication_error: Consumer key is invalid.`"""
    text = str(response.status)
    if response.wc_code:
        text += f" {response.wc_code}"
    if response.wc_message:
        text += f": {response.wc_message}"
    return text


def error_for_status(
    response: FailedResponse, *, auth_mode: AuthMode, attempts: int
) -> WooCommerceError:
    """The error for a non-2xx response (after retries, for retryable statuses)."""
    status, code = response.status, response.wc_code or ""
    said = _said(response)
    cls: type[WooCommerceError]
    if code == "woocommerce_rest_cannot_view" or (status == 403 and not response.is_html):
        cls = PermissionDeniedError
        message = (
            f"WooCommerce accepted the request's credentials but will not show this ({said}). "
            f"Give the key Read permission in {KEYS_PAGE}, for a user who can manage "
            "WooCommerce."
        )
        if auth_mode is not AuthMode.OAUTH1 and status == 401:
            message += (
                " A plain-HTTP store (or one behind a TLS-terminating proxy that WordPress "
                "does not see as HTTPS) ignores Basic and query-string keys: use --auth "
                "oauth1 for it, or make WordPress recognise HTTPS."
            )
    elif status == 401:
        cls = AuthenticationError
        message = f"WooCommerce rejected the consumer key ({said}). "
        if "missing" in (response.wc_message or "").lower() and auth_mode is AuthMode.BASIC:
            message += (
                "The host seems to strip the Authorization header: switch the connector "
                "to --auth query, or create a new key if this one was revoked."
            )
        elif auth_mode is AuthMode.OAUTH1 and "signature" in (response.wc_message or ""):
            message += (
                "Check the consumer secret, and this server's clock (OAuth signatures "
                f"carry a timestamp); or create a new read key in {KEYS_PAGE}."
            )
        else:
            message += f"Create a new read key in {KEYS_PAGE}."
    elif status == 403:
        cls = PermissionDeniedError
        message = (
            f"The store, or a firewall in front of it, refused the request with an HTML page "
            f"(403). Let requests to /wp-json/ with the User-Agent goldsphere-pipelines "
            f"through (security plugin or host firewall): «{response.excerpt}»"
        )
    elif status == 404:
        cls = NotFoundError
        path = urlsplit(response.url).path
        if code == "rest_no_route":
            message = (
                f"The store has no REST route {path} ({said}): WooCommerce is deactivated "
                "or too old, or the base URL points at another WordPress site. Check the "
                "URL and that WooCommerce is active."
            )
        elif code:
            message = f"The store has no such record: {path} ({said})."
        else:
            message = (
                f"Nothing answers at {response.url} (404 without a WordPress REST API "
                "error). Check that the base URL is the shop's own address, e.g. "
                "https://shop.example.com, and that WordPress permalinks are not set to "
                "'Plain' (Settings → Permalinks)."
            )
    elif status == 400:
        cls = BadRequestError
        message = (
            f"WooCommerce refused the request's parameters ({said}) at {response.url}. "
            "The store may not support a filter the connector uses; report this message."
        )
    elif status == 429:
        cls = RateLimitedError
        message = (
            f"The store kept answering 429 Too Many Requests ({attempts} attempts). Lower "
            "the connector's concurrency, or ask the host to allow more requests from this "
            "server, then run the sync again."
        )
    elif status >= 500:
        cls = TransientError
        message = (
            f"The store kept failing with HTTP {said} ({attempts} attempts) at "
            f"{response.url}. Check that the shop is up and its PHP error log, then run "
            "the sync again."
        )
    else:
        cls = WooCommerceError
        message = (
            f"The store answered HTTP {said} at {response.url}, which a WooCommerce REST "
            "API does not send; a firewall or cache in front of it may be answering "
            f"instead. Let requests to /wp-json/ reach WordPress: «{response.excerpt}»"
        )
    return cls(
        message,
        status=status,
        wc_code=response.wc_code,
        wc_message=response.wc_message,
        body_excerpt=response.excerpt,
        url=response.url,
        attempts=attempts,
    )


# What the body was, and what the admin can do about it.
_BODY_PROBLEMS: dict[BodyProblem, tuple[str, str]] = {
    "html": (
        "an HTML page instead of JSON",
        "This is usually a PHP error or warning printed by a plugin, or a security "
        "plugin's page: check the shop's PHP error log.",
    ),
    "truncated": (
        "JSON that was cut off",
        "The host may be killing slow or memory-hungry PHP requests: raise its PHP time or "
        "memory limit, or lower the connector's concurrency.",
    ),
    "empty": ("an empty body", "Check the shop's PHP error log."),
    "not_json": ("something that is not JSON", "Check the shop's PHP error log."),
    "wrong_shape": (
        "JSON of the wrong shape",
        "A plugin may be rewriting REST API responses: check the shop's plugins.",
    ),
}


def error_for_body(
    problem: BodyProblem, detail: str, *, status: int, excerpt: str, url: str, attempts: int
) -> InvalidResponseError:
    """The error for a 2xx whose body is not the expected JSON."""
    what, advice = _BODY_PROBLEMS[problem]
    return InvalidResponseError(
        f"The store answered {url} with {what} ({detail}; {attempts} attempts): "
        f"«{excerpt}». {advice}",
        status=status,
        body_excerpt=excerpt,
        url=url,
        attempts=attempts,
    )


def error_for_transport(
    exc: httpx2.TransportError, *, reason: str, url: str, timeout: float, attempts: int
) -> WooCommerceError:
    """The error for a request that got no complete response. `reason` is redacted."""
    if is_tls_failure(exc):
        return TLSError(
            f"The store's TLS certificate could not be verified ({reason}). If the store "
            "uses a self-signed or corporate certificate, give the connector its CA bundle "
            "(--ca-bundle); verification is never switched off.",
            url=url,
            attempts=attempts,
        )
    if isinstance(exc, httpx2.TimeoutException):
        message = (
            f"The store did not answer within {timeout:g} s at {url} ({attempts} attempts). "
            "Check that the shop is up; a slow shared host may need a lower concurrency."
        )
    elif isinstance(exc, httpx2.ConnectError):
        message = (
            f"Could not connect to {urlsplit(url).netloc} ({reason}; {attempts} attempts). "
            "Check the base URL and that the shop is reachable from this server."
        )
    else:
        message = (
            f"The connection to the store was dropped before a full answer arrived "
            f"({reason}; {attempts} attempts) at {url}. Check that the shop is up, then "
            "run the sync again."
        )
    return TransientError(message, url=url, attempts=attempts)


def is_tls_failure(exc: BaseException) -> bool:
    """True when `exc` (or what caused it) is a certificate or TLS handshake failure."""
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            return False
        if isinstance(seen, ssl.SSLError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def too_large(url: str, limit: int, size_note: str) -> ResponseTooLargeError:
    return ResponseTooLargeError(
        f"The store's answer at {url} is larger than the limit of {limit:,} bytes "
        f"({size_note}) and was not loaded. A plugin may be bloating records; raise the "
        "client's max_response_bytes if the store is sound.",
        url=url,
    )


def redirect_refused(url: str, target: str) -> RedirectError:
    target_root = "{0.scheme}://{0.netloc}".format(urlsplit(target))
    return RedirectError(
        f"The store redirects {url} to {target_root}, a different address; credentials are "
        f"never sent along to another host or over plain HTTP. If {target_root} is the "
        "shop's address, set it as the connector's base URL.",
        url=url,
    )
