"""A sync in a process of its own, for tests that kill it (SIGKILL) part-way.

    python -m goldsphere_pipelines_tests.reliability.sync_child CONNECTOR [PAUSE_AT MARKER]

The database and the credentials key come from GOLDSPHERE_DATABASE_URL and
GOLDSPHERE_CREDENTIALS_KEY, as in production. With PAUSE_AT (`products_batch:N` or
`orders_batch:N`) the process stops inside the N-th mapping batch's transaction, after the
goldsphere rows and their references are written and before the batch commits; it then
creates the file MARKER and waits to be killed. That is the worst moment for a crash: a
batch half done, held only by an open transaction (while the other writer may go on
committing later batches).
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path
from typing import Any

PAUSE_SECONDS = 600.0


def _pause_inside(method_name: str, batch: int, marker: Path) -> None:
    from goldsphere_pipelines.storage.goldsphere import GoldsphereRepository

    original = getattr(GoldsphereRepository, method_name)
    calls = [0]
    guard = threading.Lock()

    def paused(self: Any, conn: Any, *args: Any, **kwargs: Any) -> Any:
        written = original(self, conn, *args, **kwargs)
        with guard:
            calls[0] += 1
            now = calls[0] == batch
        if now:
            marker.write_text(f"{method_name} batch {batch} written, not committed\n")
            time.sleep(PAUSE_SECONDS)
        return written

    setattr(GoldsphereRepository, method_name, paused)


def main(argv: list[str]) -> int:
    connector_name = argv[0]
    if len(argv) == 3:
        where, _, number = argv[1].partition(":")
        method = {"products_batch": "upsert_products", "orders_batch": "upsert_orders"}[where]
        _pause_inside(method, int(number), Path(argv[2]))

    import dagster as dg

    from goldsphere_pipelines.defs.resources import (
        ConnectorSync,
        GoldsphereDatabase,
        WooCommerceResource,
    )
    from goldsphere_pipelines.defs.run_sync import materialize_connector

    result = materialize_connector(
        connector_name,
        instance=dg.DagsterInstance.ephemeral(),
        trigger="crash-test",
        resources={
            "database": GoldsphereDatabase(),
            "woocommerce": WooCommerceResource(concurrency=4, max_attempts=3),
            "sync": ConnectorSync(mapping_batch_size=25),
        },
        with_checks=False,
    )
    return 0 if result.success else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
