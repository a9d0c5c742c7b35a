"""What goes wrong when talking to a WooCommerce store, as a small hierarchy.

Every error carries the HTTP status, WooCommerce's own error code and message, and a short
excerpt of the body, all with credentials redacted. Its message is a sentence an admin can
act on. Catch `WooCommerceError` for "the store failed"; the subclasses say how.
"""

from __future__ import annotations

from goldsphere_pipelines.errors import GoldsphereError


class WooCommerceError(GoldsphereError):
    """The store could not be read. `str()` is safe to show: it never holds a credential."""

    code = "woocommerce_error"

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        wc_code: str | None = None,
        wc_message: str | None = None,
        body_excerpt: str | None = None,
        url: str | None = None,
        attempts: int | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        """HTTP status of the (last) response, None when no response arrived."""
        self.wc_code = wc_code
        """WooCommerce's error code, e.g. `woocommerce_rest_authentication_error`."""
        self.wc_message = wc_message
        """WooCommerce's error message, redacted."""
        self.body_excerpt = body_excerpt
        """The first few hundred characters of the body, redacted."""
        self.url = url
        """The requested URL without query-string credentials."""
        self.attempts = attempts
        """How many attempts were made before giving up."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status!r}, wc_code={self.wc_code!r})"


class AuthenticationError(WooCommerceError):
    """401: the store did not accept the consumer key and secret."""

    code = "woocommerce_authentication"


class PermissionDeniedError(WooCommerceError):
    """403, or `woocommerce_rest_cannot_view`: the key is valid but may not read this."""

    code = "woocommerce_permission_denied"


class NotFoundError(WooCommerceError):
    """404: no such record, or no such route (`rest_no_route`: wrong URL or plugin off)."""

    code = "woocommerce_not_found"


class BadRequestError(WooCommerceError):
    """400: the store refused the request's parameters (`rest_invalid_param`)."""

    code = "woocommerce_bad_request"


class TransientError(WooCommerceError):
    """5xx, timeouts, dropped connections: still failing when the attempts ran out."""

    code = "woocommerce_unavailable"


class RateLimitedError(TransientError):
    """429 Too Many Requests, still answered when the attempts ran out."""

    code = "woocommerce_rate_limited"


class InvalidResponseError(WooCommerceError):
    """A 2xx whose body is not the JSON that was expected (HTML, truncated, wrong shape),
    still so when the attempts ran out, or pages that contradict the requested order."""

    code = "woocommerce_invalid_response"


class ResponseTooLargeError(WooCommerceError):
    """A body larger than the client's `max_response_bytes`; refused before it was loaded."""

    code = "woocommerce_response_too_large"


class TLSError(WooCommerceError):
    """The store's certificate could not be verified (verification is never switched off)."""

    code = "woocommerce_tls"


class RedirectError(WooCommerceError):
    """The store redirected somewhere the client will not follow with credentials."""

    code = "woocommerce_redirect"


class StoreChangedError(TransientError):
    """Records vanished faster than the pages skipped by their removal could be re-read.
    A later run, once the store is quieter, reads it whole."""

    code = "woocommerce_store_changed"
