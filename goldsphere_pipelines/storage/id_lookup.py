"""Looking up many rows by external id, in a form PostgreSQL can only answer by index.

"external_id = ANY(:ids)" leaves the choice to the planner, and with statistics taken while
a first sync was filling a table it chose to walk every row of the connector (or source)
and filter, for every page: a large first sync became quadratic. A scalar subquery per id
pins each lookup to one probe of the table's unique index, whatever the statistics say.
"""

from __future__ import annotations


def by_external_ids_sql(value: str, table: str, where: str) -> str:
    """SQL returning `(external id, value or NULL)` for each id of the text array `:ids`.

    `value` is an expression over the alias `t` of `table`; `where` holds the conditions
    on the other columns of its unique index (e.g. "t.connector_id = :cid").
    """
    return (
        f"SELECT i.eid, (SELECT {value} FROM {table} AS t "
        f"WHERE {where} AND t.external_id = i.eid) "
        "FROM unnest(CAST(:ids AS text[])) AS i(eid)"
    )
