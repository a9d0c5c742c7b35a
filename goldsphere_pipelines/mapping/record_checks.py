"""Checks every record goes through first: is it an object, what is its id."""

from __future__ import annotations

from typing import Any

from goldsphere_pipelines.mapping import errors as codes
from goldsphere_pipelines.mapping.errors import MappingError, shown_value
from goldsphere_pipelines.mapping.parsers import Rejected, describe_type, parse_external_id


def internal_error(exc: Exception) -> MappingError:
    """The last-resort error for a bug in the mapper; no input should ever produce it."""
    return MappingError(
        field="payload",
        code=codes.INTERNAL_ERROR,
        message=f"The mapper failed on this record ({type(exc).__name__}); this is a bug in "
        "goldsphere-pipelines, please report it with the record's payload.",
    )


def wrong_type(field_name: str, value: Any, expected: str) -> MappingError:
    """The record (or a part of it) is not the JSON object it should be."""
    return MappingError(
        field=field_name,
        code=codes.INVALID_TYPE,
        message=f"{field_name}: WooCommerce sent {describe_type(value)} where {expected} belongs.",
        value=shown_value(value) if not isinstance(value, dict | list) else None,
    )


def record_id(value: Any, field_name: str, errors: list[MappingError]) -> str | None:
    """The record's WooCommerce id as text; None, with an error appended, when unusable."""
    if type(value) is int and 0 < value < 2**63:
        return str(value)  # what parse_external_id gives for the usual JSON number
    try:
        external_id = None if value is None else parse_external_id(value)
    except Rejected as problem:
        errors.append(
            MappingError(
                field=field_name,
                code=problem.code,
                message=f"{field_name}: the record's `id` {problem.reason}.",
                value=shown_value(value),
            )
        )
        return None
    if external_id is None:
        errors.append(
            MappingError(
                field=field_name,
                code=codes.MISSING_FIELD,
                message=f"{field_name}: the record has no WooCommerce `id`.",
                value=shown_value(value),
            )
        )
    return external_id
