"""Which products that orders name the shop no longer has: asked once, then remembered.

Products sync before orders, so an order line whose product or variation we never stored
names one that the shop deleted (before our first sync) or one created since the products
were read. Only the shop can tell the two apart: each such id is asked for once
(`GET /products/{id}`, or its variation), and a 404 is recorded in `external_gone_product`.
Order mapping then builds those lines' products from the lines themselves.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Collection, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from sqlalchemy.engine import Engine

from goldsphere_pipelines.storage.goldsphere import reference_source
from goldsphere_pipelines.storage.gone_products import GoneProductRepository, LineTarget
from goldsphere_pipelines.woocommerce.errors import NotFoundError, WooCommerceError

logger = logging.getLogger(__name__)

# One request per id: a shop has few deleted products that orders still name. A sync asks
# about at most this many and the next sync goes on where it stopped.
MAX_CHECKS_PER_SYNC = 200
# The client bounds its requests in flight itself; this only lets the checks overlap.
CHECKS_AT_ONCE = 8
# An id as the SQL of `unknown_line_targets` takes one (what `li->>'product_id'` reads).
_ID = re.compile(r"[1-9][0-9]{0,17}")
_ID_LIMIT = 10**18


class SingleRecordReader(Protocol):
    """The part of `WooCommerceClient` this check uses."""

    def get_product(self, product_id: int) -> dict[str, Any]: ...

    def get_variation(self, product_id: int, variation_id: int) -> dict[str, Any]: ...


class GoneProductCheck:
    """The check of one orders extract: started before it writes (the server's clock),
    fed the lines it parses (`lines`, for `extract_orders(line_targets=...)`), confirmed
    after it."""

    def __init__(self, engine: Engine, connector_id: UUID) -> None:
        self._engine = engine
        self._connector_id = connector_id
        self._stored_before = GoneProductRepository(engine).clock()
        self.lines: set[LineTarget] = set()

    def confirm(self, reader: SingleRecordReader) -> int:
        return confirm_gone_products(
            self._engine,
            self._connector_id,
            reader,
            seen=self.lines,
            stored_before=self._stored_before,
        )


def confirm_gone_products(
    engine: Engine,
    connector_id: UUID,
    reader: SingleRecordReader,
    *,
    limit: int = MAX_CHECKS_PER_SYNC,
    seen: Collection[LineTarget] = (),
    stored_before: datetime | None = None,
) -> int:
    """Ask the shop about every product or variation that orders still to map name and
    that we never stored; record the ones it no longer has. Returns how many it recorded.

    An extract passes the lines it parsed (`seen`, see `collect_line_targets`) and the
    server's time before it wrote (`stored_before`), so only older orders are read back."""
    repository = GoneProductRepository(engine)
    targets = repository.unknown_line_targets(
        connector_id,
        reference_source(connector_id),
        limit=limit,
        seen=seen,
        stored_before=stored_before,
    )
    with ThreadPoolExecutor(max_workers=CHECKS_AT_ONCE) as pool:
        answers = list(pool.map(lambda target: _is_gone(reader, target), targets))
    gone = [target.external_id for target, is_gone in zip(targets, answers, strict=True) if is_gone]
    repository.record_gone(connector_id, gone)
    if gone:
        logger.info("%d products named by orders are gone from the shop", len(gone))
    return len(gone)


def _is_gone(reader: SingleRecordReader, target: LineTarget) -> bool:
    # Any other failure (a timeout, a 500) leaves the id unasked: the next sync asks again.
    try:
        if target.variation_id is None:
            reader.get_product(int(target.product_id))
        else:
            reader.get_variation(int(target.product_id), int(target.variation_id))
    except NotFoundError:
        return True
    except WooCommerceError as exc:
        logger.warning("Could not ask the shop about product %s: %s", target.external_id, exc)
    return False


def collect_line_targets(orders: Iterable[Any], into: set[LineTarget]) -> None:
    """Add what the orders' line items name to `into`, read as `unknown_line_targets`
    reads stored orders (a set of distinct products: bounded by the catalogue)."""
    for order in orders:
        lines = order.get("line_items") if isinstance(order, dict) else None
        if not isinstance(lines, list):
            continue
        for line in lines:
            if not isinstance(line, dict):
                continue
            product_id = _id_text(line.get("product_id"))
            if product_id is not None:
                into.add(LineTarget(product_id, _id_text(line.get("variation_id"))))


def _id_text(value: Any) -> str | None:
    if type(value) is int:  # the usual case, and never a bool
        return str(value) if 0 < value < _ID_LIMIT else None
    return value if isinstance(value, str) and _ID.fullmatch(value) else None
