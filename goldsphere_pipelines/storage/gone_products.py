"""external_gone_product: products and variations that orders name and the shop no longer has.

An order line keeps the id of the product it sold after the product is deleted. Such ids
are asked of the shop once (`GET /products/{id}`); the ones it answers 404 for are kept
here, so that every later mapping (a re-sync, or a re-mapping without fetching) knows them.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.engine import Engine

# The line's own target: its variation when it has one, else its product. The lines are
# those the caller saw while extracting (`:pids` / `:vids`, read from the parsed pages) and
# those of orders still to map that were stored before (`updated_at < :before`): reading
# every pending order's jsonb again would cost a large first sync most of its extract.
_UNKNOWN_LINE_TARGETS_SQL = """
WITH line AS (
  SELECT u.product_id, u.variation_id
  FROM unnest(CAST(:pids AS text[]), CAST(:vids AS text[])) AS u(product_id, variation_id)
  UNION
  SELECT CASE WHEN li->>'product_id' ~ '^[1-9][0-9]{0,17}$' THEN li->>'product_id' END,
         CASE WHEN li->>'variation_id' ~ '^[1-9][0-9]{0,17}$' THEN li->>'variation_id' END
  FROM external_order o
  CROSS JOIN LATERAL jsonb_array_elements(
    CASE WHEN jsonb_typeof(o.raw_payload_json->'line_items') = 'array'
         THEN o.raw_payload_json->'line_items' ELSE '[]'::jsonb END) AS li
  WHERE o.connector_id = :cid AND (o.status = 'pending' OR o.awaiting_dependency)
    AND o.updated_at < COALESCE(CAST(:before AS timestamp), 'infinity'::timestamp)
    AND jsonb_typeof(li) = 'object'
)
SELECT DISTINCT line.product_id, line.variation_id FROM line
WHERE line.product_id IS NOT NULL
  AND NOT EXISTS (
    SELECT 1 FROM external_product p WHERE p.connector_id = :cid
    AND p.external_id = COALESCE(line.variation_id, line.product_id))
  AND NOT EXISTS (
    SELECT 1 FROM external_reference r WHERE r.source = :source AND r.entity_type = 'product'
    AND r.external_id = COALESCE(line.variation_id, line.product_id))
  AND NOT EXISTS (
    SELECT 1 FROM external_gone_product g WHERE g.connector_id = :cid
    AND g.external_id = COALESCE(line.variation_id, line.product_id))
ORDER BY 1, 2
LIMIT :n
"""


# What the shop's own mapped products say, grouped: the purity a product built from an
# order line lacks is the one its producer's products of the same metal and kind share.
_CATALOGUE_GROUPS_SQL = """
SELECT m->>'producer_name', m->>'metal_name', m->>'product_type_name', m->>'purity', count(*)
FROM (SELECT mapped_payload_json AS m FROM external_product
      WHERE connector_id = :cid AND status IN ('mapped', 'deleted')) AS p
WHERE m->>'purity' ~ '^[0-9]+(\\.[0-9]+)?$'
  AND m->>'producer_name' IS NOT NULL AND m->>'metal_name' IS NOT NULL
  AND m->>'product_type_name' IS NOT NULL
GROUP BY 1, 2, 3, 4
"""


@dataclass(frozen=True)
class CatalogueGroupRow:
    """How many of the connector's mapped products share a producer, metal, product type
    and purity (goldsphere names)."""

    producer: str
    metal: str
    product_type: str
    purity: Decimal
    products: int


class LineTarget(NamedTuple):
    """What an order line names: a product, and the variation of it when it has one.

    A tuple rather than a frozen dataclass: an extract builds one per order line (300,000
    for a large shop), and a tuple is built, hashed and compared in C."""

    product_id: str
    variation_id: str | None

    @property
    def external_id(self) -> str:
        """The id its goldsphere product is known by (the variation's, when it has one)."""
        return self.variation_id or self.product_id


class GoneProductRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def clock(self) -> datetime:
        """The server's `localtimestamp`: what `updated_at` of a row written after it holds
        at least."""
        with self._engine.connect() as conn:
            return conn.execute(sa.text("SELECT localtimestamp")).scalar_one()  # type: ignore[no-any-return]

    def unknown_line_targets(
        self,
        connector_id: UUID,
        source: str,
        *,
        limit: int,
        seen: Collection[LineTarget] = (),
        stored_before: datetime | None = None,
    ) -> list[LineTarget]:
        """Products or variations that orders still to map name and that we never stored,
        never mapped and never asked the shop about; at most `limit`, lowest id first.

        With `stored_before`, only orders stored before it are read from the table, and
        `seen` gives the lines of the orders stored since (the caller parsed them)."""
        ordered = sorted(seen, key=lambda t: (t.product_id, t.variation_id or ""))
        with self._engine.connect() as conn:
            rows = conn.execute(
                sa.text(_UNKNOWN_LINE_TARGETS_SQL),
                {
                    "cid": connector_id,
                    "source": source,
                    "n": limit,
                    "pids": [t.product_id for t in ordered],
                    "vids": [t.variation_id for t in ordered],
                    "before": stored_before,
                },
            ).all()
        return [LineTarget(product_id, variation_id) for product_id, variation_id in rows]

    def record_gone(self, connector_id: UUID, external_ids: Sequence[str]) -> None:
        if not external_ids:
            return
        with self._engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO external_gone_product (connector_id, external_id) "
                    "SELECT :cid, e FROM unnest(CAST(:ids AS text[])) AS u(e) "
                    "ON CONFLICT DO NOTHING"
                ),
                {"cid": connector_id, "ids": list(external_ids)},
            )

    def gone_ids(self, connector_id: UUID) -> set[str]:
        with self._engine.connect() as conn:
            return {
                row[0]
                for row in conn.execute(
                    sa.text(
                        "SELECT external_id FROM external_gone_product WHERE connector_id = :cid"
                    ),
                    {"cid": connector_id},
                )
            }

    def catalogue_groups(self, connector_id: UUID) -> list[CatalogueGroupRow]:
        """The connector's mapped products (deleted ones too: the shop sold them) counted
        by producer, metal, product type and purity."""
        with self._engine.connect() as conn:
            rows = conn.execute(sa.text(_CATALOGUE_GROUPS_SQL), {"cid": connector_id}).all()
        return [
            CatalogueGroupRow(producer, metal, kind, Decimal(purity), count)
            for producer, metal, kind, purity, count in rows
        ]

    def producer_skus(self, connector_id: UUID) -> list[tuple[str, str]]:
        """(SKU, goldsphere producer name) of the connector's mapped products (deleted ones
        too): a line whose name leaves its producer out may share their SKU scheme."""
        with self._engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT DISTINCT sku, mapped_payload_json->>'producer_name' "
                    "FROM external_product WHERE connector_id = :cid "
                    "AND status IN ('mapped', 'deleted') AND sku <> '' "
                    "AND mapped_payload_json->>'producer_name' IS NOT NULL"
                ),
                {"cid": connector_id},
            ).all()
        return [(sku, producer) for sku, producer in rows]
