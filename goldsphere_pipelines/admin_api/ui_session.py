"""The Connectivity page's session: the admin's token in a cookie, and CSRF protection.

The cookie holds the same HS256 token the API accepts as a bearer token, HttpOnly (no
script reads it), SameSite=Strict (no other site's page sends it) and Secure when the
page is served over https (directly or behind a proxy that says so). Every form post
must also come from this origin and carry the session's CSRF token, an HMAC of the
token under the JWT secret, so a page elsewhere cannot post even with the cookie.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from fastapi import Request, Response
from pydantic import SecretStr

from goldsphere_pipelines.admin_api.auth import authenticate_admin
from goldsphere_pipelines.admin_api.context import ApiContext
from goldsphere_pipelines.admin_api.errors import ForbiddenError, NotAuthenticatedError
from goldsphere_pipelines.admin_api.sign_in import SESSION_SECONDS
from goldsphere_pipelines.storage.users import GoldsphereUser

SESSION_COOKIE = "goldsphere_admin_session"
SIGN_IN_COOKIE = "goldsphere_sign_in_csrf"
"""Before sign-in there is no session: the sign-in form's CSRF token is a random value
in this cookie, repeated in the form (a double submit)."""
CSRF_FIELD = "csrf_token"


class SignInRequiredError(NotAuthenticatedError):
    """No session, or one that no longer proves an active admin."""


class CrossSiteRequestError(ForbiddenError):
    code = "csrf_refused"


@dataclass(frozen=True)
class UiSession:
    user: GoldsphereUser
    csrf_token: str = ""


def context_of(request: Request) -> ApiContext:
    context: ApiContext = request.app.state.context
    return context


def current_session(request: Request) -> UiSession:
    """The signed-in admin; `SignInRequiredError` without a valid session cookie,
    `ForbiddenError` when its token is not an active admin's."""
    context = context_of(request)
    token = request.cookies.get(SESSION_COOKIE, "")
    if not token:
        raise SignInRequiredError("Sign in with your goldsphere admin account.")
    try:
        user = authenticate_admin(context.engine, context.settings.jwt_secret, f"Bearer {token}")
    except NotAuthenticatedError:
        raise SignInRequiredError(
            "Your session has ended or is not valid. Sign in again."
        ) from None
    return UiSession(user=user, csrf_token=csrf_token_for(token, context.settings.jwt_secret))


def csrf_token_for(token: str, secret: SecretStr) -> str:
    key = secret.get_secret_value().encode()
    return hmac.new(key, b"goldsphere-ui-csrf:" + token.encode(), hashlib.sha256).hexdigest()


def check_form_post(request: Request, expected: str, given: str) -> None:
    """Refuse a form post from another origin or without the expected CSRF token."""
    own_origin = f"{request.url.scheme}://{request.url.netloc}"
    origin = request.headers.get("origin")
    fetch_site = request.headers.get("sec-fetch-site", "same-origin")
    refused = (
        (origin is not None and origin != own_origin)
        or fetch_site in ("cross-site", "same-site")
        or not expected
        or not hmac.compare_digest(expected.encode(), given.encode())
    )
    if refused:
        raise CrossSiteRequestError(
            "This form was not sent from the Connectivity page (or the page was open for too "
            "long). Reload the page and try again."
        )


def new_sign_in_token() -> str:
    return secrets.token_urlsafe(32)


def is_https(request: Request) -> bool:
    return request.url.scheme == "https"


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=SESSION_SECONDS,
        path=_cookie_path(request),
        httponly=True,
        samesite="strict",
        secure=is_https(request),
    )
    response.delete_cookie(SIGN_IN_COOKIE, path=_cookie_path(request))


def set_sign_in_cookie(request: Request, response: Response, value: str) -> None:
    response.set_cookie(
        SIGN_IN_COOKIE,
        value,
        max_age=3600,
        path=_cookie_path(request),
        httponly=True,
        samesite="strict",
        secure=is_https(request),
    )


def clear_session_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(
        SESSION_COOKIE,
        path=_cookie_path(request),
        httponly=True,
        samesite="strict",
        secure=is_https(request),
    )


def _cookie_path(request: Request) -> str:
    # The page's own path: the API under /admin never sees the cookie.
    return str(request.scope.get("root_path", "")) or "/"
