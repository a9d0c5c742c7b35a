"""What a mapping reports when a record cannot become a goldsphere entity.

Every problem of a record is reported, not only the first, as a `MappingError`. The
`code` values below are stable: the pipeline, asset checks and admins may rely on them.

`value` carries the offending value, cut to `MAX_VALUE_LENGTH` characters, so that an
admin can find the record in the shop. Billing e-mails are personal data that can end
up in run logs and Dagster metadata, so they are never carried whole: `mask_email`
keeps the first character and the domain (`j***@example.com`).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

from goldsphere_pipelines.text import storable_text

MAX_VALUE_LENGTH = 200

MISSING_FIELD = "missing_field"
INVALID_TYPE = "invalid_type"
INVALID_ID = "invalid_id"
INVALID_DECIMAL = "invalid_decimal"
OUT_OF_RANGE = "out_of_range"
TOO_LONG = "too_long"
INVALID_TEXT = "invalid_text"
INVALID_URL = "invalid_url"
INVALID_DATETIME = "invalid_datetime"
INVALID_QUANTITY = "invalid_quantity"
INVALID_WEIGHT = "invalid_weight"
INVALID_PURITY = "invalid_purity"
UNKNOWN_CURRENCY = "unknown_currency"
UNSUPPORTED_CURRENCY = "unsupported_currency"
UNKNOWN_STATUS = "unknown_status"
UNKNOWN_METAL = "unknown_metal"
UNKNOWN_PRODUCT_TYPE = "unknown_product_type"
UNKNOWN_PRODUCER = "unknown_producer"
UNMAPPED_VALUE = "unmapped_value"
USER_NOT_FOUND = "user_not_found"
PRODUCT_NOT_FOUND = "product_not_found"
# An order line's product is gone from the shop, and the line does not say enough to build it.
GONE_PRODUCT_INCOMPLETE = "gone_product_incomplete"
TOTALS_MISMATCH = "totals_mismatch"
# A bug in the mapper itself; never expected, and the property tests assert it never occurs.
INTERNAL_ERROR = "internal_error"

DEPENDENCY_CODES = frozenset({USER_NOT_FOUND, PRODUCT_NOT_FOUND})
"""Codes that a later sync may resolve without any change in the shop."""


class MappingError(BaseModel):
    """One problem of one record: which goldsphere field, why, and the value at fault."""

    model_config = ConfigDict(frozen=True)

    field: str
    code: str
    message: str
    value: str | None = None
    tried: list[dict[str, str]] | None = None
    """For inferred fields: every source tried, in order, and what it gave."""
    fix: str | None = None
    """What would make the record map, in words."""

    def as_json(self) -> dict[str, Any]:
        """As stored in `mapping_errors`: `tried` and `fix` only when there are some."""
        data = self.model_dump()
        if self.tried is None:
            data.pop("tried")
        if self.fix is None:
            data.pop("fix")
        return data

    @field_validator("field", "message", "value")
    @classmethod
    def _storable(cls, text: str | None) -> str | None:
        """Errors are stored in jsonb and shown in logs: no NUL, no lone surrogate."""
        return None if text is None else storable_text(text)


def shown_value(value: Any) -> str | None:
    """The value as an admin may see it in an error: text, cut to a readable length."""
    if value is None:
        return None
    text = value if isinstance(value, str) else _compact_repr(value)
    if len(text) > MAX_VALUE_LENGTH:
        return text[: MAX_VALUE_LENGTH - 1] + "…"
    return text


def _compact_repr(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "{…}" if value else "{}"
    if isinstance(value, list):
        return f"[… {len(value)} items]" if value else "[]"
    if isinstance(value, int) and value.bit_length() > 128:
        return "(a number of more than 38 digits)"
    return repr(value)[: MAX_VALUE_LENGTH + 1]


def mask_email(email: str) -> str:
    """`john.doe@example.com` → `j***@example.com`: enough to recognise, not to harvest."""
    local, at, domain = email.strip().partition("@")
    if not at:
        return "***"
    return f"{local[:1]}***@{domain[:100]}"
