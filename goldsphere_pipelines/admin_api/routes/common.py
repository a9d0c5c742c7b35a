"""Pieces every route shares: the connector path parameter and the documented errors."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path

from goldsphere_pipelines.admin_api.errors import ErrorResponse

ConnectorRef = Annotated[
    str,
    Path(
        alias="id",
        pattern=r"^[A-Za-z0-9-]{1,64}$",
        description="The connector's id (UUID) or its name.",
        examples=["3f6c1a52-7a8e-4a59-9d55-0c3c2a51b0de", "shop-example-com"],
    ),
]

_DESCRIPTIONS = {
    400: "The body is not valid JSON.",
    401: "No token, or not a valid goldsphere token.",
    403: "The token's user is not an active goldsphere admin.",
    404: "No connector (or rule) with this id.",
    409: "Conflicts with the current state (name taken, sync already running, ...).",
    413: "The request body is too large.",
    422: "The request is not valid; `error.details` says which field and why.",
    502: "Dagster answered, but refused the request.",
    503: "The database or Dagster is not reachable, or the API is not configured.",
}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error statuses an operation may answer with (besides the
    ones every operation has)."""
    every = (400, 401, 403, 413, 422, 503)
    return {
        status: {"model": ErrorResponse, "description": _DESCRIPTIONS[status]}
        for status in sorted({*every, *statuses})
    }
