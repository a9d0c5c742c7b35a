"""One parser per target kind: how a raw value becomes a goldsphere value of that kind.

Shared by the reference evaluation (engine.py), the fast path (compiled.py) and the
checks a rule's fixed values go through when it is saved (rules.py).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from goldsphere_pipelines.mapping import errors as codes
from goldsphere_pipelines.mapping import parsers
from goldsphere_pipelines.mapping.parsers import Rejected, WeightOptions
from goldsphere_pipelines.mapping.targets import TargetSpec


def parse_value(
    target: TargetSpec, value: Any, weight_options: WeightOptions, store_unit: str | None
) -> Any:
    """One raw value as the target's kind; raises `Rejected`."""
    return _PARSERS[target.kind](target, value, weight_options, store_unit)


def kind_parser(kind: str) -> KindParser:
    """`parse_value` for targets of one kind, looked up once."""
    return _PARSERS[kind]


def _quantity(target: TargetSpec, value: Any) -> Decimal:
    quantity = parsers.parse_decimal(value)
    if quantity <= 0:
        raise Rejected(codes.INVALID_QUANTITY, "is not more than zero")
    parsers.check_range(quantity, minimum=None, maximum=target.maximum)
    return quantity


def _integer(target: TargetSpec, value: Any) -> int:
    number = parsers.parse_integer(value)
    parsers.check_range(number, minimum=target.minimum, maximum=target.maximum)
    return number


def _enum(target: TargetSpec, value: Any) -> str:
    word = parsers.as_text(value).strip().lower()
    if target.enum_values is None or word not in target.enum_values:
        known = ", ".join(sorted(target.enum_values or ()))
        raise Rejected(target.unknown_code, f"is not one of {known}")
    return word


def _object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Rejected(codes.INVALID_TYPE, f"is {parsers.describe_type(value)}, expected an object")
    return value


KindParser = Callable[[TargetSpec, Any, WeightOptions, "str | None"], Any]
"""`parser(target, value, weight_options, store_unit)`, raising `Rejected`."""

_PARSERS: dict[str, KindParser] = {
    "money": lambda t, v, w, s: parsers.parse_money(v, minimum=t.minimum, maximum=t.maximum),
    "plain_text": lambda t, v, w, s: parsers.parse_plain_text(v, max_length=t.max_length),
    "multiline_text": lambda t, v, w, s: parsers.parse_plain_text(
        v, max_length=t.max_length, multiline=True
    ),
    "short_text": lambda t, v, w, s: parsers.parse_short_text(v, max_length=t.max_length),
    "reference": lambda t, v, w, s: parsers.parse_short_text(v, max_length=t.max_length),
    "external_id": lambda t, v, w, s: parsers.parse_external_id(v),
    "url": lambda t, v, w, s: parsers.parse_url(v),
    "quantity": lambda t, v, w, s: _quantity(t, v),
    "integer": lambda t, v, w, s: _integer(t, v),
    "boolean": lambda t, v, w, s: parsers.parse_boolean(v),
    "enum": lambda t, v, w, s: _enum(t, v),
    "email": lambda t, v, w, s: parsers.parse_email(v),
    "currency": lambda t, v, w, s: parsers.parse_currency(v),
    "datetime": lambda t, v, w, s: parsers.parse_datetime(v),
    "weight": lambda t, v, w, s: parsers.parse_weight(v, w, store_unit=s),
    "purity": lambda t, v, w, s: parsers.parse_purity(v),
    "objects": lambda t, v, w, s: _object(v),
}
