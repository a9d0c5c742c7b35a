"""The admin API's settings, read from the environment when the app is created.

`JWT_SECRET` is the goldsphere server's token secret; `GOLDSPHERE_DAGSTER_URL` is the
Dagster webserver that runs the syncs; `GOLDSPHERE_ADMIN_API_MAX_BODY_BYTES` bounds
request bodies. The JWT secret is held as a `SecretStr`: never in a log or `repr()`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from pydantic import SecretStr

from goldsphere_pipelines.errors import GoldsphereError

JWT_SECRET_ENV = "JWT_SECRET"  # noqa: S105 - a variable name
DAGSTER_URL_ENV = "GOLDSPHERE_DAGSTER_URL"
MAX_BODY_BYTES_ENV = "GOLDSPHERE_ADMIN_API_MAX_BODY_BYTES"

DEFAULT_DAGSTER_URL = "http://127.0.0.1:3000"
DEFAULT_MAX_BODY_BYTES = 64 * 1024


class AdminApiConfigurationError(GoldsphereError):
    """A setting of the admin API is missing or unusable; the message names it."""

    code = "admin_api_misconfigured"


@dataclass(frozen=True)
class AdminApiSettings:
    jwt_secret: SecretStr = field(repr=False)
    dagster_url: str = DEFAULT_DAGSTER_URL
    """The Dagster webserver's root URL, without a trailing slash."""
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES


def load_settings(
    *,
    jwt_secret: str | None = None,
    dagster_url: str | None = None,
    max_body_bytes: int | None = None,
) -> AdminApiSettings:
    """Arguments win over the environment; a missing JWT secret is an error, not a default."""
    secret = jwt_secret if jwt_secret is not None else os.environ.get(JWT_SECRET_ENV, "")
    if not secret.strip():
        raise AdminApiConfigurationError(
            f"{JWT_SECRET_ENV} is not set. The admin API verifies goldsphere's admin tokens "
            f"with it: export the goldsphere server's {JWT_SECRET_ENV} before starting it."
        )
    url = dagster_url if dagster_url is not None else os.environ.get(DAGSTER_URL_ENV, "")
    return AdminApiSettings(
        jwt_secret=SecretStr(secret),
        dagster_url=normalize_dagster_url(url.strip() or DEFAULT_DAGSTER_URL),
        max_body_bytes=(
            max_body_bytes if max_body_bytes is not None else _max_body_bytes_from_env()
        ),
    )


def normalize_dagster_url(url: str) -> str:
    """`http(s)://host[:port][/prefix]` without a trailing slash; anything else is refused."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
        raise AdminApiConfigurationError(
            f"{DAGSTER_URL_ENV} must be the Dagster webserver's address, e.g. "
            f"{DEFAULT_DAGSTER_URL} (the address `dagster dev` prints)."
        )
    if parts.username or parts.password:
        raise AdminApiConfigurationError(
            f"{DAGSTER_URL_ENV} must not contain a user name or password."
        )
    return url.rstrip("/")


def _max_body_bytes_from_env() -> int:
    raw = os.environ.get(MAX_BODY_BYTES_ENV, "").strip()
    if not raw:
        return DEFAULT_MAX_BODY_BYTES
    if not raw.isdigit() or not 1024 <= int(raw) <= 16 * 1024 * 1024:
        raise AdminApiConfigurationError(
            f"{MAX_BODY_BYTES_ENV} must be a number of bytes between 1024 and 16777216 "
            f"(default {DEFAULT_MAX_BODY_BYTES})."
        )
    return int(raw)
