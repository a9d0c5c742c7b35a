"""What a shop's own catalogue says about a product it no longer has.

An order line keeps its product's name, SKU and price after the product is deleted, but
never its attributes (WooCommerce's line items carry `name`, `parent_name`, `sku`,
`price`, `subtotal`, `total`, `quantity`, `meta_data` with a variation's options, and
`image`; no fineness). The name of a bar rarely states its fineness: "100 g Valcambi
Silver CombiBar". The shop's other products of the same producer, metal and kind usually
do, and agree: that is the value, said to come from them ("the shop's other Valcambi
silver CombiBars"). A name that says only "Bar" ("1 oz Valcambi Palladium Bar") is a kind
of bar the same way, when the shop's bars of that producer and metal are all one kind. A
name that leaves the producer out ("1 oz Gold Minted Bar", its refiner in a brand the line
does not carry) gets the producer of the shop's products whose SKUs start with the same
code ("D-AU-1OZ-B-2871": the shop's "D-" products are all Degussa's). Only a unanimous
answer counts: products that disagree give none.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from goldsphere_pipelines.mapping.inference import BAR_KINDS

_PLURAL_KINDS = {
    "Coin": "coins",
    "Bar": "bars",
    "Cast Bar": "cast bars",
    "Minted Bar": "minted bars",
    "CombiBar": "CombiBars",
    "Medallion": "medallions",
    "Round": "rounds",
    "Jewelry": "jewelry",
}


@dataclass(frozen=True, slots=True)
class CatalogueGroup:
    """How many of the shop's mapped products share a producer, metal, kind and purity
    (goldsphere names, as the products mapped)."""

    producer: str
    metal: str
    product_type: str
    purity: Decimal
    products: int


@dataclass(frozen=True, slots=True)
class Hint:
    """A purity the shop's catalogue implies, and the source to record with it."""

    value: Decimal
    source: str


@dataclass(frozen=True, slots=True)
class NameHint:
    """A kind of bar or a producer the shop's catalogue implies, and the source to record
    with it."""

    value: str
    source: str


@dataclass(frozen=True, slots=True)
class Consulted:
    """What the catalogue said when it gave no value: the source asked and its answer."""

    source: str
    found: str


class ShopHints:
    """The shop's catalogue, grouped once; asked per product built from an order line."""

    def __init__(
        self, groups: Iterable[CatalogueGroup], skus: Iterable[tuple[str, str]] = ()
    ) -> None:
        """`skus`: (SKU, goldsphere producer name) of the shop's mapped products."""
        self._by_prefix: dict[str, dict[str, int]] = {}
        for sku, producer in skus:
            prefix = sku_prefix(sku)
            if prefix is not None:
                producers = self._by_prefix.setdefault(prefix.upper(), {})
                producers[producer] = producers.get(producer, 0) + 1
        self._by_kind: dict[tuple[str, str, str], dict[Decimal, int]] = {}
        self._by_metal: dict[tuple[str, str], dict[Decimal, int]] = {}
        self._bars: dict[tuple[str, str], dict[str, int]] = {}
        for group in groups:
            if group.products <= 0:
                continue
            purity = group.purity.normalize()
            for counts in (
                self._by_kind.setdefault((group.producer, group.metal, group.product_type), {}),
                self._by_metal.setdefault((group.producer, group.metal), {}),
            ):
                counts[purity] = counts.get(purity, 0) + group.products
            if group.product_type in BAR_KINDS:
                kinds = self._bars.setdefault((group.producer, group.metal), {})
                kinds[group.product_type] = kinds.get(group.product_type, 0) + group.products

    def __bool__(self) -> bool:
        return bool(self._by_kind)

    def purity(self, producer: str, metal: str, product_type: str) -> Hint | Consulted:
        """The purity every one of the shop's products of this producer, metal and kind
        has; else, when it has none of that kind, the one all its products of this
        producer and metal have. Products that disagree give no value."""
        kind = _PLURAL_KINDS.get(product_type, f"{product_type.lower()}s")
        same_kind = f"the shop's other {producer} {metal.lower()} {kind}"
        counts = self._by_kind.get((producer, metal, product_type))
        if counts:
            return _unanimous(same_kind, counts)
        same_metal = f"the shop's other {producer} {metal.lower()} products"
        counts = self._by_metal.get((producer, metal))
        if counts:
            return _unanimous(same_metal, counts)
        return Consulted(f"{same_kind} or {metal.lower()} products", "none")

    def bar_kind(self, producer: str, metal: str) -> NameHint | None:
        """The one kind of bar (cast, minted, CombiBar) of all the shop's bars of this
        producer and metal that name one; None when they name several or there are none."""
        kinds = self._bars.get((producer, metal))
        if not kinds or len(kinds) != 1:
            return None
        (kind,) = kinds
        return NameHint(kind, f"the shop's other {producer} {metal.lower()} bars")

    def producer_by_sku(self, sku: object) -> NameHint | Consulted:
        """The producer of every one of the shop's products (at least two) whose SKU
        begins with the same code as `sku` ("D-AU-1OZ-B-2871": "D-"), shops' SKUs often
        starting with a producer's code."""
        prefix = sku_prefix(sku) if isinstance(sku, str) else None
        if prefix is None:
            return Consulted("the shop's SKUs", "no SKU code to compare (the line's SKU)")
        source = f"the shop's other products whose SKU begins '{prefix}'"
        producers = self._by_prefix.get(prefix.upper(), {})
        if len(producers) == 1 and sum(producers.values()) >= _SKUS_NEEDED:
            (producer,) = producers
            return NameHint(producer, source)
        if not producers:
            return Consulted(source, "none")
        shown = ", ".join(f"{p} ({n})" for p, n in sorted(producers.items()))
        return Consulted(source, f"too few or several producers: {shown}")


# One other product could share a code by chance; two with one producer say a scheme.
_SKUS_NEEDED = 2
_SKU_CODE = re.compile(r"([A-Za-z][A-Za-z0-9]{0,7}[-_/. ])")


def sku_prefix(sku: str) -> str | None:
    """A SKU's leading code with its separator ("D-" of "D-AU-1OZ-B-2871", "PAMP_" of
    "PAMP_100G"), when it starts with a letter; None for SKUs without one ("100234")."""
    match = _SKU_CODE.match(sku.strip())
    return None if match is None else match.group(1)


def _unanimous(source: str, counts: dict[Decimal, int]) -> Hint | Consulted:
    if len(counts) == 1:
        (purity,) = counts
        return Hint(purity.quantize(Decimal("0.0001")), source)
    shown = ", ".join(f"{p:f} ({n})" for p, n in sorted(counts.items()))
    return Consulted(source, f"purities that disagree: {shown}")
