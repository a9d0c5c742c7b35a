"""Keep credentials out of every text the client produces: log lines, errors, excerpts.

Two layers. `Redactor` knows the actual key and secret and removes them (raw, percent-encoded
and inside a Basic header) from any text. `redact_patterns` knows no secret but removes the
query parameters that carry one (`consumer_key=…`, `oauth_signature=…`) and anything shaped
like a WooCommerce key (`ck_…`, `cs_…`); it guards the httpx2 and httpcore2 loggers, which log
every request URL, and with query-string auth that URL holds the secret.
"""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import Iterable
from urllib.parse import quote, quote_plus, urlsplit, urlunsplit

REDACTED = "[redacted]"

_SECRET_PARAMS = re.compile(
    r"(?i)\b(consumer_key|consumer_secret|oauth_consumer_key|oauth_signature)"
    r"(=|%3D)([^&#\s\"'<>]*)"
)
_KEY_SHAPED = re.compile(r"\b(ck|cs)_[A-Za-z0-9]{8,}")
# Query parameters that carry a credential; stripped from any URL the client logs or follows.
SECRET_QUERY_PARAMS = frozenset(
    {
        "consumer_key",
        "consumer_secret",
        "oauth_consumer_key",
        "oauth_signature",
        "oauth_nonce",
        "oauth_timestamp",
        "oauth_signature_method",
        "oauth_version",
    }
)


def redact_patterns(text: str) -> str:
    """`text` without credential-carrying query parameters or key-shaped tokens."""
    text = _SECRET_PARAMS.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)
    return _KEY_SHAPED.sub(lambda m: f"{m.group(1)}_{REDACTED}", text)


class Redactor:
    """Removes known secrets from text. Safe to share between threads (immutable)."""

    __slots__ = ("_needles",)

    def __init__(self, secrets: Iterable[str]) -> None:
        needles: set[str] = set()
        values = [s for s in secrets if s]
        for value in values:
            needles.update({value, quote(value, safe=""), quote_plus(value, safe="")})
        if len(values) == 2:
            pair = f"{values[0]}:{values[1]}".encode()
            needles.add(base64.b64encode(pair).decode("ascii"))
        # Longest first, so that a secret containing another is removed whole.
        self._needles = tuple(sorted(needles, key=len, reverse=True))

    def __call__(self, text: str) -> str:
        for needle in self._needles:
            if needle in text:
                text = text.replace(needle, REDACTED)
        return redact_patterns(text)

    def __repr__(self) -> str:
        return f"Redactor({len(self._needles)} needles)"


def url_without_secrets(url: str) -> str:
    """`url` with every credential-carrying query parameter removed (for logs and redirects)."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    kept = [
        pair
        for pair in parts.query.split("&")
        if pair and pair.split("=", 1)[0].lower() not in SECRET_QUERY_PARAMS
    ]
    return urlunsplit(parts._replace(query="&".join(kept)))


class RedactingFilter(logging.Filter):
    """Rewrites a record's message with `redact_patterns` before any handler sees it."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed record is the logging module's problem
            return True
        cleaned = redact_patterns(message)
        if cleaned != message:
            record.msg = cleaned
            record.args = None
        return True


# A filter applies only to records made by its own logger, not its children: name them all.
# httpcore2 logs response headers at DEBUG, and WordPress echoes query-string credentials
# into its `Link` header.
_GUARDED_LOGGERS = (
    "httpx2",
    "httpcore2",
    "httpcore2.connection",
    "httpcore2.http11",
    "httpcore2.http2",
    "httpcore2.proxy",
    "httpcore2.socks",
    "goldsphere_pipelines.woocommerce",
)


def guard_http_loggers() -> None:
    """Attach `RedactingFilter` to the loggers that may see request URLs (idempotent)."""
    for name in _GUARDED_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) for f in logger.filters):
            logger.addFilter(RedactingFilter())
