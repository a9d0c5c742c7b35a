"""What a client needs to authenticate, with the secret kept out of every repr and log."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, SecretStr


class AuthMode(StrEnum):
    """How the consumer key and secret travel to the store."""

    BASIC = "basic"
    """HTTP Basic over HTTPS (WooCommerce's default)."""
    QUERY = "query"
    """`consumer_key`/`consumer_secret` query parameters over HTTPS, for hosts that strip
    the Authorization header. The URL then carries the secret: it is never logged."""
    OAUTH1 = "oauth1"
    """One-legged OAuth 1.0a (HMAC-SHA256), what WooCommerce requires over plain HTTP."""


class WooCredentials(BaseModel):
    """A consumer key and secret. `repr()`, `str()` and JSON dumps show only `**********`."""

    model_config = ConfigDict(frozen=True)

    consumer_key: SecretStr
    consumer_secret: SecretStr
