"""Admin authentication: goldsphere's bearer tokens, checked against `users` on every call.

A token is an HS256 JWT signed with the goldsphere server's `JWT_SECRET`, with the claims
`id`, `email` and `role`. It passes when its signature (and expiry, when it has one) is
valid, its role is `admin`, and the user it names is still an active admin. No token or
an unusable one is 401; a valid token of anyone but an active admin is 403. The token
itself is never logged or repeated.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from uuid import UUID

import jwt
from pydantic import SecretStr
from sqlalchemy.engine import Engine

from goldsphere_pipelines.admin_api.errors import ForbiddenError, NotAuthenticatedError
from goldsphere_pipelines.storage.users import GoldsphereUser, find_user

logger = logging.getLogger(__name__)

ALGORITHMS = ["HS256"]
"""Only HS256: accepting the token's own `alg` would let `none` or RS/HS confusion in."""
LEEWAY_SECONDS = 30
"""Clock skew tolerated between the goldsphere server and this one."""


@dataclass(frozen=True)
class TokenClaims:
    user_id: UUID
    email: str | None
    role: str


def read_token(token: str, secret: SecretStr) -> TokenClaims:
    """The claims of a valid token; `NotAuthenticatedError` for anything else."""
    try:
        claims = jwt.decode(
            token,
            secret.get_secret_value(),
            algorithms=ALGORITHMS,
            leeway=LEEWAY_SECONDS,
            options={"verify_aud": False},
        )
    except jwt.ExpiredSignatureError:
        raise NotAuthenticatedError(
            "The bearer token has expired; sign in to goldsphere again for a new one."
        ) from None
    except jwt.InvalidTokenError as exc:
        logger.info("Refused a bearer token: %s", type(exc).__name__)
        raise NotAuthenticatedError(
            "The bearer token is not a valid goldsphere token; sign in to goldsphere again "
            "and send the token it issues as `Authorization: Bearer <token>`."
        ) from None
    try:
        user_id = UUID(str(claims.get("id", "")))
    except ValueError:
        raise NotAuthenticatedError(
            "The bearer token names no goldsphere user (claim `id`); sign in to goldsphere "
            "again for a new token."
        ) from None
    role = claims.get("role")
    email = claims.get("email")
    return TokenClaims(
        user_id=user_id,
        email=email if isinstance(email, str) else None,
        role=role if isinstance(role, str) else "",
    )


def authenticate_admin(
    engine: Engine, secret: SecretStr, authorization: str | None
) -> GoldsphereUser:
    """The active admin the `Authorization` header proves, or the error to answer with."""
    token = _bearer_token(authorization)
    claims = read_token(token, secret)
    if claims.role != "admin":
        raise ForbiddenError(
            "Only goldsphere admins may manage connectors, and this token's role is not "
            "admin. Sign in with an admin account."
        )
    user = find_user(engine, claims.user_id)
    if user is None:
        raise NotAuthenticatedError(
            "The bearer token's user no longer exists in goldsphere; sign in again."
        )
    if not user.is_active_admin:
        raise ForbiddenError(
            "Only active goldsphere admins may manage connectors; this account is "
            f"{user.account_status} with role {user.role}."
        )
    return user


def _bearer_token(authorization: str | None) -> str:
    scheme, _, token = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticatedError(
            "This endpoint needs a goldsphere admin's token: send it as "
            "`Authorization: Bearer <token>`."
        )
    return token.strip()
