"""The process-wide engines: a few at most, and one pushed out closes its connections."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from goldsphere_pipelines.storage.engine import _EngineCache, normalize_database_url


def _checked_in_after_one_query(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        conn.execute(sa.text("SELECT 1"))
    return int(engine.pool.checkedin())  # type: ignore[attr-defined]


def test_an_engine_pushed_out_of_the_cache_closes_its_pooled_connections(
    database_url: str,
) -> None:
    url = normalize_database_url(database_url)
    other = (
        make_url(url)
        .update_query_dict({"application_name": "second"})
        .render_as_string(hide_password=False)
    )
    cache = _EngineCache(size=1)
    first = cache(url)
    assert cache(url) is first
    assert _checked_in_after_one_query(first) == 1
    first_pool = first.pool  # dispose() gives the engine a new, empty pool

    second = cache(other)
    assert second is not first
    assert first_pool.checkedin() == 0  # type: ignore[attr-defined]
    assert _checked_in_after_one_query(second) == 1
    second_pool = second.pool

    cache.cache_clear()
    assert second_pool.checkedin() == 0  # type: ignore[attr-defined]
