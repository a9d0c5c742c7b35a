"""WooCommerce's webhook signature: base64 of HMAC-SHA256 over the raw body.

WooCommerce (`WC_Webhook::generate_signature`) signs the exact bytes it posts with the
webhook's secret and sends the result in `X-WC-Webhook-Signature`. Checking happens on
those bytes, before any parsing, in constant time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

SIGNATURE_HEADER = "x-wc-webhook-signature"
SECRET_BYTES = 32


def sign(body: bytes, secret: str) -> str:
    """The signature WooCommerce sends for `body` with `secret`."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def signature_matches(body: bytes, secret: str, signature: str | None) -> bool:
    """True when `signature` is `body`'s signature with `secret`; compared in constant time."""
    if not signature:
        return False
    expected = sign(body, secret).encode("ascii")
    return hmac.compare_digest(expected, signature.strip().encode("utf-8", "replace"))


def new_secret() -> str:
    """A random webhook secret (URL-safe text, 43 characters): WooCommerce accepts any
    string, and one without `&`, `<` or quotes survives its `wp_specialchars_decode`."""
    return secrets.token_urlsafe(SECRET_BYTES)
