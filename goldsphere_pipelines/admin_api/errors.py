"""Every error the admin API answers with, as `{error: {code, message}}`.

`GoldsphereError`s keep their code and message (they are written for admins and hold no
secret); the HTTP status follows from the code. FastAPI's own validation errors, unknown
paths and methods get the same shape. Request validation details name the field and the
problem but never repeat the submitted value, which may be a consumer key or secret.
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from goldsphere_pipelines.errors import GoldsphereError

logger = logging.getLogger(__name__)

MAX_DETAILS = 20

STATUS_BY_CODE: dict[str, int] = {
    "not_authenticated": 401,
    "forbidden": 403,
    "connector_not_found": 404,
    "rule_not_found": 404,
    "doctor_group_not_found": 404,
    "not_found": 404,
    "method_not_allowed": 405,
    "connector_name_taken": 409,
    "rule_target_taken": 409,
    "sync_already_running": 409,
    "connector_disabled": 409,
    "doctor_nothing_to_apply": 409,
    # Stored credentials no configured key can decrypt: the admin fixes it by storing new
    # ones (PUT with consumerKey and consumerSecret), so it is a conflict, not a crash.
    "credentials_key_wrong": 409,
    "webhook_secret_missing": 409,
    "request_too_large": 413,
    "malformed_request": 400,
    "invalid_request": 422,
    "invalid_connector_input": 422,
    "invalid_rule": 422,
    "dagster_error": 502,
    "dagster_unavailable": 503,
    "database_unavailable": 503,
    "credentials_key_missing": 503,
    "admin_api_misconfigured": 503,
}
DEFAULT_ERROR_STATUS = 400
"""Other `GoldsphereError`s: a problem an admin can act on, so a client error."""


class FieldProblem(BaseModel):
    """One problem of a request: where (e.g. `body.baseUrl`) and what."""

    field: str
    message: str


class ErrorBody(BaseModel):
    code: str
    """Stable, machine-readable: e.g. connector_not_found, invalid_connector_input."""
    message: str
    """One or two sentences for an admin: what happened and what to do."""
    details: list[FieldProblem] | None = None
    """For invalid requests: each field's problem."""


class ErrorResponse(BaseModel):
    error: ErrorBody


class NotAuthenticatedError(GoldsphereError):
    code = "not_authenticated"


class ForbiddenError(GoldsphereError):
    code = "forbidden"


def error_response(
    status: int,
    code: str,
    message: str,
    *,
    details: list[FieldProblem] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = ErrorResponse(error=ErrorBody(code=code, message=message, details=details))
    return JSONResponse(
        body.model_dump(mode="json", exclude_none=True), status_code=status, headers=headers
    )


def status_for(error: GoldsphereError) -> int:
    return STATUS_BY_CODE.get(error.code, DEFAULT_ERROR_STATUS)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(GoldsphereError, _goldsphere_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(sa.exc.OperationalError, _database_unavailable)
    app.add_exception_handler(Exception, _unexpected_error)


async def _goldsphere_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, GoldsphereError)
    status = status_for(exc)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return error_response(status, exc.code, exc.message, headers=headers)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    if any(error.get("type") == "json_invalid" for error in errors):
        return error_response(
            400,
            "malformed_request",
            "The request body is not valid JSON; send a JSON object with "
            "Content-Type: application/json.",
        )
    details = [_field_problem(error) for error in errors[:MAX_DETAILS]]
    shown = "; ".join(f"{d.field}: {d.message}" for d in details[:3])
    more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
    return error_response(
        422,
        "invalid_request",
        f"The request is not valid: {shown}{more}. Correct it and send it again.",
        details=details,
    )


def _field_problem(error: Any) -> FieldProblem:
    # Only the location and pydantic's generic message: `input` and `ctx` may hold the
    # submitted value, a consumer key or secret among them.
    location = ".".join(str(part) for part in error.get("loc", ())) or "request"
    message = str(error.get("msg", "is not valid"))
    if error.get("type") == "extra_forbidden":
        message = "is not a known field; remove it"
    elif error.get("type") == "missing":
        message = "is required"
    return FieldProblem(field=location[:200], message=message[:300])


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 404:
        return error_response(
            404,
            "not_found",
            f"There is no endpoint {request.method} {request.url.path[:200]}; "
            "the admin API's endpoints are listed at /admin/docs.",
        )
    if exc.status_code == 405:
        return error_response(
            405,
            "method_not_allowed",
            f"{request.method} is not allowed on {request.url.path[:200]}; "
            "see /admin/docs for the methods each endpoint takes.",
            headers=dict(exc.headers or {}),
        )
    return error_response(
        exc.status_code, "http_error", str(exc.detail)[:300], headers=dict(exc.headers or {})
    )


async def _database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    logger.error("The goldsphere database is unreachable: %s", type(exc).__name__)
    return error_response(
        503,
        "database_unavailable",
        "The goldsphere database is not reachable. Check that PostgreSQL is running and "
        "GOLDSPHERE_DATABASE_URL points at it, then try again.",
    )


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    logger.exception("Unexpected error in %s %s", request.method, request.url.path)
    return error_response(
        500,
        "internal_error",
        "The admin API failed unexpectedly; the server log has the details.",
    )
