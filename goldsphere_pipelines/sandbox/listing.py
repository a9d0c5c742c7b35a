"""Collection parameters as WordPress validates them, and how pages are cut.

`parse_list_query` turns query parameters into a `ListQuery` or raises the 400
`rest_invalid_param` WordPress would send. `cut_page` reproduces a real store's paging,
including its flaw: when the sort key is not unique (the default `orderby=date`), rows
that share a key come back in an order that depends on the LIMIT, so consecutive pages
can repeat and skip records (woocommerce issue 33386). `orderby=id` is stable.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from goldsphere_pipelines.sandbox.dates import parse_rest_date
from goldsphere_pipelines.sandbox.rest_errors import invalid_params

MAX_PER_PAGE = 100

PRODUCT_STATUSES = ("any", "future", "trash", "draft", "pending", "private", "publish")
PRODUCT_TYPES = ("simple", "grouped", "external", "variable")
STOCK_STATUSES = ("instock", "outofstock", "onbackorder")
ORDER_STATUS_FILTER = (
    "any",
    "trash",
    "pending",
    "processing",
    "on-hold",
    "completed",
    "cancelled",
    "refunded",
    "failed",
    "checkout-draft",
)
PRODUCT_ORDERBY = ("date", "id", "include", "title", "slug", "price", "popularity", "rating",
                   "menu_order", "modified")  # fmt: skip
ORDER_ORDERBY = ("date", "id", "include", "title", "slug", "modified")

FILTER_NAMES = (
    "after",
    "before",
    "modified_after",
    "modified_before",
    "dates_are_gmt",
    "status",
    "search",
    "sku",
    "include",
    "exclude",
    "type",
    "parent",
    "category",
    "stock_status",
    "customer",
)


@dataclass(frozen=True, slots=True)
class ListQuery:
    """A validated collection request. Dates are seconds since the epoch (UTC)."""

    page: int = 1
    per_page: int = 10
    offset: int | None = None
    order: str = "desc"
    orderby: str = "date"
    after: float | None = None
    before: float | None = None
    modified_after: float | None = None
    modified_before: float | None = None
    status: tuple[str, ...] = ()
    search: str | None = None
    sku: tuple[str, ...] = ()
    include: tuple[int, ...] = ()
    exclude: tuple[int, ...] = ()
    type: str | None = None
    parent: tuple[int, ...] = ()
    category: tuple[int, ...] = ()
    stock_status: str | None = None
    customer: int | None = None
    fields: tuple[str, ...] | None = None

    @property
    def start(self) -> int:
        return self.offset if self.offset is not None else (self.page - 1) * self.per_page

    def filter_key(self) -> tuple[Any, ...]:
        """Everything that decides which rows match and their order (not the page)."""
        return (
            self.order, self.orderby, self.after, self.before, self.modified_after,
            self.modified_before, self.status, self.search, self.sku, self.include,
            self.exclude, self.type, self.parent, self.category, self.stock_status, self.customer,
        )  # fmt: skip


class _Problems:
    def __init__(self) -> None:
        self.found: dict[str, tuple[str, str]] = {}

    def add(self, name: str, code: str, message: str) -> None:
        self.found.setdefault(name, (code, message))


def _values(params: Sequence[tuple[str, str]], name: str) -> list[str]:
    """Every value of `name`, `name[]` or `name[n]`, comma lists split (WordPress arrays)."""
    values: list[str] = []
    for key, value in params:
        if key == name or key == f"{name}[]" or (key.startswith(f"{name}[") and key.endswith("]")):
            values.extend(part.strip() for part in value.split(",") if part.strip() != "")
    return values


def _single(params: Sequence[tuple[str, str]], name: str) -> str | None:
    found = None
    for key, value in params:
        if key == name:
            found = value
    return found


def _integer(problems: _Problems, name: str, text: str | None) -> int | None:
    if text is None:
        return None
    try:
        return int(text.strip())
    except ValueError:
        problems.add(name, "rest_invalid_type", f"{name} is not of type integer.")
        return None


def _integers(problems: _Problems, params: Sequence[tuple[str, str]], name: str) -> tuple[int, ...]:
    result = []
    for position, text in enumerate(_values(params, name)):
        try:
            result.append(int(text))
        except ValueError:
            problems.add(name, "rest_invalid_type", f"{name}[{position}] is not of type integer.")
    return tuple(result)


def _one_of(problems: _Problems, name: str, text: str | None, allowed: Sequence[str]) -> str | None:
    if text is None:
        return None
    if text not in allowed:
        problems.add(name, "rest_not_in_enum", f"{name} is not one of {_enum_words(allowed)}.")
        return None
    return text


def _enum_words(allowed: Sequence[str]) -> str:
    return (
        ", ".join(allowed[:-1]) + f", and {allowed[-1]}"
        if len(allowed) > 2
        else " and ".join(allowed)
    )


def _boolean(problems: _Problems, name: str, text: str | None) -> bool:
    if text is None:
        return False
    lowered = text.strip().lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0", ""):
        return False
    problems.add(name, "rest_invalid_type", f"{name} is not of type boolean.")
    return False


def parse_list_query(
    params: Sequence[tuple[str, str]],
    *,
    kind: str,
    store_offset_minutes: int,
    supports_modified_filters: bool,
) -> ListQuery:
    """Validate a collection request for `kind` ("products", "variations", "orders")."""
    problems = _Problems()
    page = _integer(problems, "page", _single(params, "page"))
    if page is not None and page < 1:
        problems.add("page", "rest_out_of_bounds", "page must be greater than or equal to 1")
    per_page = _integer(problems, "per_page", _single(params, "per_page"))
    if per_page is not None and not 1 <= per_page <= MAX_PER_PAGE:
        problems.add(
            "per_page",
            "rest_out_of_bounds",
            f"per_page must be between 1 (inclusive) and {MAX_PER_PAGE} (inclusive)",
        )
    offset = _integer(problems, "offset", _single(params, "offset"))
    order = _one_of(problems, "order", _single(params, "order"), ("asc", "desc"))
    orderby_choices = ORDER_ORDERBY if kind == "orders" else PRODUCT_ORDERBY
    orderby = _one_of(problems, "orderby", _single(params, "orderby"), orderby_choices)

    dates_are_gmt = _boolean(problems, "dates_are_gmt", _single(params, "dates_are_gmt"))
    assumed_offset = 0 if dates_are_gmt else store_offset_minutes
    moments: dict[str, float | None] = {}
    for name in ("after", "before", "modified_after", "modified_before"):
        text = _single(params, name)
        moments[name] = None
        if text is not None:
            moment = parse_rest_date(text, assume_offset_minutes=assumed_offset)
            if moment is None:
                problems.add(name, "rest_invalid_date", "Invalid date.")
            moments[name] = moment
    if not supports_modified_filters:
        # Stores older than WooCommerce 5.8 do not know these parameters and ignore them.
        moments["modified_after"] = moments["modified_before"] = None

    status: tuple[str, ...] = ()
    if kind == "orders":
        values = _values(params, "status")
        for position, value in enumerate(values):
            if value not in ORDER_STATUS_FILTER:
                problems.add(
                    "status",
                    "rest_not_in_enum",
                    f"status[{position}] is not one of {_enum_words(ORDER_STATUS_FILTER)}.",
                )
        status = tuple(values)
    else:
        one = _one_of(problems, "status", _single(params, "status"), PRODUCT_STATUSES)
        status = (one,) if one else ()

    fields_text = _values(params, "_fields")
    query = ListQuery(
        page=page or 1,
        per_page=per_page or 10,
        offset=offset,
        order=order or "desc",
        orderby=orderby or "date",
        after=moments["after"],
        before=moments["before"],
        modified_after=moments["modified_after"],
        modified_before=moments["modified_before"],
        status=status,
        search=_single(params, "search") or None,
        sku=tuple(_values(params, "sku")),
        include=_integers(problems, params, "include"),
        exclude=_integers(problems, params, "exclude"),
        type=_one_of(problems, "type", _single(params, "type"), PRODUCT_TYPES),
        parent=_integers(problems, params, "parent"),
        category=_integers(problems, params, "category"),
        stock_status=_one_of(
            problems, "stock_status", _single(params, "stock_status"), STOCK_STATUSES
        ),
        customer=_integer(problems, "customer", _single(params, "customer")),
        fields=tuple(fields_text) if fields_text else None,
    )
    if problems.found:
        raise invalid_params(problems.found)
    return query


def _tie_rank(row: int, limit: int) -> int:
    """A scrambled rank of a row among equals; it changes with the LIMIT, like MySQL's."""
    mixed = (row * 0x9E3779B97F4A7C15 + limit * 0xC2B2AE3D27D4EB4F) & 0xFFFFFFFFFFFFFFFF
    mixed ^= mixed >> 31
    return (mixed * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF


def cut_page(rows: Sequence[int], keys: Sequence[Any] | None, start: int, count: int) -> list[int]:
    """Rows `start`..`start+count` of `rows`, which are sorted by `keys` (None: unique keys)."""
    end = min(start + count, len(rows))
    if start >= end:
        return []
    if keys is None:
        return list(rows[start:end])
    # Only groups of equal keys that straddle the page's edges change what the page holds.
    low = start
    while low > 0 and keys[low - 1] == keys[start]:
        low -= 1
    high = end
    while high < len(rows) and keys[high] == keys[end - 1]:
        high += 1
    limit = start + count
    window = []
    group = 0
    for position in range(low, high):
        if position > low and keys[position] != keys[position - 1]:
            group += 1
        window.append((group, _tie_rank(rows[position], limit), rows[position]))
    window.sort()
    return [row for _group, _rank, row in window[start - low : end - low]]


def project_fields(payload: dict[str, Any], fields: Iterable[str]) -> dict[str, Any]:
    """Keep only `_fields` (nested with dots: `billing.email`), as WordPress does."""
    tree: dict[str, Any] = {}
    for field in fields:
        node = tree
        parts = field.split(".")
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if child is True:
                break
            node = child
        else:
            node[parts[-1]] = True
    return _project(payload, tree)


def _project(value: dict[str, Any], tree: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, wanted in tree.items():
        if key not in value:
            continue
        if wanted is True or not isinstance(value[key], dict):
            result[key] = value[key]
        else:
            result[key] = _project(value[key], wanted)
    return result


def sorted_rows(
    rows: list[int],
    *,
    orderby: str,
    descending: bool,
    sort_key: Callable[[int], Any] | None,
    include: Sequence[int] = (),
    id_of: Callable[[int], int],
) -> tuple[list[int], list[Any] | None]:
    """Rows in the requested order, and their keys when the keys may repeat.

    `rows` come in id order. `sort_key` gives the row's key for date/modified/title/price;
    ties are resolved by `cut_page`, not here.
    """
    if orderby == "include" and include:
        rank = {row_id: position for position, row_id in enumerate(include)}
        rows = sorted(rows, key=lambda row: rank.get(id_of(row), len(rank)))
        return (rows[::-1] if descending else rows), None
    if orderby == "id" or sort_key is None:
        return (rows[::-1] if descending else rows), None
    pairs = sorted(
        ((sort_key(row), row) for row in rows), key=lambda pair: pair[0], reverse=descending
    )
    ordered = [row for _key, row in pairs]
    keys = [key for key, _row in pairs]
    # Keys of any type compare for equality; cut_page only needs "same key or not".
    return ordered, keys
