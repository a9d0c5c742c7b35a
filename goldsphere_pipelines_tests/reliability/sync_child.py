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
import time
from pathlib import Path
from typing import Any

PAUSE_SECONDS = 600.0


def _pause_inside(kind: str, batch: int, marker: Path) -> None:
    """Pause inside the transaction of the `batch`-th mapping batch of `kind` as it was read
    (in row id order), whichever writer thread commits it: with two writers, the order in
    which batches reach the database is a race."""
    from goldsphere_pipelines.connectors import transform
    from goldsphere_pipelines.storage.external_records import ExternalRecordRepository

    original_iter = ExternalRecordRepository.iter_pending
    original_commit = transform._commit_batch
    chosen: set[str] = set()
    read = [0]

    def iter_pending(self: Any, *args: Any, **kwargs: Any) -> Any:
        for records in original_iter(self, *args, **kwargs):
            if self._kind == kind:
                read[0] += 1
                if read[0] == batch:
                    chosen.update(r.external_id for r in records)
            yield records

    def commit_batch(
        engine: Any, of_kind: str, connector_id: Any, write_rows: Any, outcomes: Any
    ) -> None:
        if of_kind == kind and outcomes and outcomes[0].external_id in chosen:

            def write_then_pause(conn: Any) -> Any:
                written = write_rows(conn)
                marker.write_text(f"{kind} batch {batch} written, not committed\n")
                time.sleep(PAUSE_SECONDS)
                return written

            return original_commit(engine, of_kind, connector_id, write_then_pause, outcomes)
        return original_commit(engine, of_kind, connector_id, write_rows, outcomes)

    ExternalRecordRepository.iter_pending = iter_pending  # type: ignore[method-assign]
    transform._commit_batch = commit_batch  # type: ignore[assignment]


def main(argv: list[str]) -> int:
    connector_name = argv[0]
    if len(argv) == 3:
        where, _, number = argv[1].partition(":")
        kind = {"products_batch": "product", "orders_batch": "order"}[where]
        _pause_inside(kind, int(number), Path(argv[2]))

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
