"""Query parameters for WooCommerce's list filters, from typed Python values."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

# Parameters the scan owns: a caller setting them would break its guarantees.
PAGING_PARAMS = frozenset({"page", "per_page", "offset", "orderby", "order"})


def gmt_timestamp(value: datetime, *, round_up: bool = False) -> str:
    """`value` in UTC as WooCommerce reads it with `dates_are_gmt=true` (whole seconds).

    A naive datetime is taken to be UTC already. Fractions of a second are dropped, or,
    with `round_up`, rounded to the next second: a lower bound then lets slightly more in
    and an upper bound never cuts a record off.
    """
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    if value.microsecond:
        value = value.replace(microsecond=0)
        if round_up:
            value += timedelta(seconds=1)
    return value.strftime("%Y-%m-%dT%H:%M:%S")


def _joined(value: Iterable[int] | Iterable[str]) -> str:
    # WordPress splits a string on commas for array parameters (wp_parse_list).
    return ",".join(str(item) for item in value)


def filter_params(
    *,
    after: datetime | None = None,
    before: datetime | None = None,
    modified_after: datetime | None = None,
    modified_before: datetime | None = None,
    status: str | Iterable[str] | None = None,
    search: str | None = None,
    sku: str | None = None,
    include: Iterable[int] | None = None,
    type: str | None = None,
    parent: int | Iterable[int] | None = None,
    fields: str | Iterable[str] | None = None,
) -> dict[str, str]:
    """The query parameters for these filters; unset ones are left out.

    Dates go out as UTC with `dates_are_gmt=true` (WooCommerce >= 5.4; `modified_*` need
    >= 5.8, older stores ignore them). `after`/`modified_after` are exclusive in
    WooCommerce. `fields` (WooCommerce's `_fields`) always includes `id`, which the scan
    needs to prove that no record was skipped.
    """
    params: dict[str, str] = {}
    lower_bounds = {"after": after, "modified_after": modified_after}
    upper_bounds = {"before": before, "modified_before": modified_before}
    for name, moment in lower_bounds.items():
        if moment is not None:
            params[name] = gmt_timestamp(moment)
    for name, moment in upper_bounds.items():
        if moment is not None:
            params[name] = gmt_timestamp(moment, round_up=True)
    if params:
        params["dates_are_gmt"] = "true"
    if status is not None:
        params["status"] = status if isinstance(status, str) else _joined(status)
    if search is not None:
        params["search"] = search
    if sku is not None:
        params["sku"] = sku
    if include is not None:
        ids = list(include)
        if not ids:
            raise ValueError("include=[] would list everything; pass None or some ids")
        params["include"] = _joined(ids)
    if type is not None:
        params["type"] = type
    if parent is not None:
        params["parent"] = str(parent) if isinstance(parent, int) else _joined(parent)
    if fields is not None:
        names = [fields] if isinstance(fields, str) else list(fields)
        names = [n.strip() for name in names for n in name.split(",") if n.strip()]
        if "id" not in names:
            names.insert(0, "id")
        params["_fields"] = ",".join(names)
    return params
