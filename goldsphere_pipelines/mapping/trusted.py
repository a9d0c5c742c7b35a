"""Result models built from values the mapper has already checked, without pydantic's
validation.

Validating a `MappedOrder` with its items took longer than mapping it (UUID and Decimal
validation is costly). The mappers check each value's exact type and bounds themselves
(cheap comparisons) and only then call `construct_checked`: pydantic would have
returned those very values unchanged, so the instance is the one validation would have
built. When a check fails they call the model's own constructor, which validates and
raises as before.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

from pydantic import BaseModel

_Model = TypeVar("_Model", bound=BaseModel)

_set_attribute = object.__setattr__


def construct_checked(model: type[_Model], values: dict[str, Any]) -> _Model:
    """An instance of `model` holding `values` (every field, in the model's order).

    What `model_construct` does, without its per-field default and alias handling, which
    took as long as validating. `checked_model` guards the models this is used for.
    """
    instance = model.__new__(model)
    _set_attribute(instance, "__dict__", values)
    _set_attribute(instance, "__pydantic_fields_set__", set(values))
    _set_attribute(instance, "__pydantic_extra__", None)
    _set_attribute(instance, "__pydantic_private__", None)
    return instance


def checked_model(model: type[_Model]) -> type[_Model]:
    """`model`, after making sure `construct_checked` builds what validation builds: no
    private attributes, no post-init hook, no extra fields, no validators of its own."""
    decorators = model.__pydantic_decorators__
    if (
        model.__private_attributes__
        or model.__pydantic_post_init__ is not None
        or model.model_config.get("extra") not in (None, "ignore")
        or decorators.field_validators
        or decorators.model_validators
        or decorators.validators
        or decorators.root_validators
    ):
        raise TypeError(f"{model.__name__} cannot be built by construct_checked")
    return model


def is_amount(value: Any) -> bool:
    """A finite Decimal, as pydantic keeps it."""
    return type(value) is Decimal and value.is_finite()


def is_optional_text(value: Any) -> bool:
    return value is None or type(value) is str


def is_optional_moment(value: Any) -> bool:
    return value is None or type(value) is datetime
