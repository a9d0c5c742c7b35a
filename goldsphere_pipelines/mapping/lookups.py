"""The goldsphere data a mapping needs, built by the pipeline once per run or batch.

Mapping does no I/O: the pipeline reads these from the database and passes them in.
Keys must be built with `normalize_name` / `normalize_email`, as documented per field.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from uuid import UUID

from goldsphere_pipelines.mapping.normalize import normalize_email, normalize_name


@dataclass(frozen=True, slots=True)
class ProductLookups:
    """goldsphere reference data by `normalize_name` of its names.

    `metals` may also hold each metal's symbol (`normalize_name("AU")`);
    `from_reference` builds all three from database rows.
    """

    metals: Mapping[str, UUID] = field(default_factory=dict)
    product_types: Mapping[str, UUID] = field(default_factory=dict)
    producers: Mapping[str, UUID] = field(default_factory=dict)
    create_missing_producers: bool = False
    """A producer the knowledge file names but `producers` lacks maps to
    `inference.planned_producer_id(name)`, and the product says it must be created."""

    @classmethod
    def from_reference(
        cls,
        *,
        metals: Iterable[tuple[UUID, str | None, str | None]],
        product_types: Iterable[tuple[UUID, str | None]],
        producers: Iterable[tuple[UUID, str | None]],
    ) -> ProductLookups:
        """From rows `(id, name, symbol)` of `metal`, `(id, producttypename)` of
        `productType` and `(id, producername)` of `producer`."""
        metal_keys: dict[str, UUID] = {}
        for metal_id, name, symbol in metals:
            for label in (symbol, name):  # a name wins over another metal's symbol
                if label and normalize_name(label):
                    metal_keys[normalize_name(label)] = metal_id
        return cls(
            metals=metal_keys,
            product_types=_by_name(product_types),
            producers=_by_name(producers),
        )


@dataclass(frozen=True, slots=True)
class OrderLookups:
    """What orders point at.

    `users_by_email`: `normalize_email(users.email)` → users.id.
    `products_by_external_id`: the WooCommerce product or variation id as text → the
    goldsphere product id (from this connector's `external_reference` rows).
    `products_by_sku`: the SKU, trimmed, as the shop spells it → goldsphere product id.
    """

    users_by_email: Mapping[str, UUID] = field(default_factory=dict)
    products_by_external_id: Mapping[str, UUID] = field(default_factory=dict)
    products_by_sku: Mapping[str, UUID] = field(default_factory=dict)

    @staticmethod
    def email_keys(users: Iterable[tuple[UUID, str]]) -> dict[str, UUID]:
        """`users_by_email` from rows `(id, email)` of `users`."""
        return {normalize_email(email): user_id for user_id, email in users}


def _by_name(rows: Iterable[tuple[UUID, str | None]]) -> dict[str, UUID]:
    return {normalize_name(name): row_id for row_id, name in rows if name and normalize_name(name)}
