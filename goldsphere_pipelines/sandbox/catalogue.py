"""The shop's products and variations: laid out once per seed, rendered on each request.

Product ids interleave with their variations and images (WordPress allocates every
post from one sequence), and a few ids belong to products that were deleted before the
store was handed over: old orders still point at them.
"""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from goldsphere_pipelines.sandbox import dates, dialects
from goldsphere_pipelines.sandbox.bullion import (
    ATTRIBUTE_IDS,
    BAR_EDITIONS,
    CATEGORY_IDS,
    COIN_EDITIONS,
    CURRENCY_SYMBOLS,
    DESIGNS,
    DIALECT_DESIGNS,
    FX_PER_USD,
    SILVER,
    TAGS,
    TROY_OUNCE_GRAMS,
    UNKNOWN_CATEGORY,
    WEIGHT_AXIS,
    Design,
    premium_for,
    weight_in_ounces,
)
from goldsphere_pipelines.sandbox.config import SandboxConfig
from goldsphere_pipelines.sandbox.money import price_text

PRODUCT_FLAWS = ("missing_sku", "empty_price", "unknown_category")
"""Flaws of messy products; a variable parent never gets `empty_price` (its price is "" anyway)."""

FIRST_PRODUCT_ID = 100
NEWEST_YEAR = 2025


@dataclass(slots=True)
class ProductSpec:
    """One product as the generator decided it; mutable only under the store's lock."""

    id: int
    design: Design
    weight: str
    year: int | None
    name: str
    slug: str
    sku: str
    axis: str | None
    """None for a simple product; "Year" or "Weight" for a variable one."""
    options: tuple[str, ...]
    variation_ids: list[int]
    image_ids: tuple[int, ...]
    related_ids: tuple[int, ...]
    status: str
    created: int
    modified: int
    flaw: str | None
    regular_cents: int
    whole_units: bool
    on_sale: bool
    manage_stock: bool
    stock_quantity: int | None
    stock_status: str
    featured: bool
    total_sales: int
    tag: int | None
    shipping_weight: str
    revision: int = 0
    overrides: dict[str, Any] | None = None

    @property
    def variable(self) -> bool:
        return self.axis is not None

    @property
    def product_type(self) -> str:
        return "variable" if self.axis else "simple"


@dataclass(slots=True)
class VariationState:
    """What changed on one variation after generation."""

    modified: int
    revision: int = 0
    overrides: dict[str, Any] | None = None


@dataclass(slots=True)
class Catalogue:
    """Every product and variation of a store, with their current state."""

    config: SandboxConfig
    products: list[ProductSpec] = field(default_factory=list)
    """In id order; added products are appended (their ids are always larger)."""
    by_id: dict[int, ProductSpec] = field(default_factory=dict)
    variation_parent: dict[int, tuple[ProductSpec, int]] = field(default_factory=dict)
    variation_state: dict[int, VariationState] = field(default_factory=dict)
    ghosts: list[ProductSpec] = field(default_factory=list)
    """Products deleted before the store's data was generated; old orders refer to them."""
    orderable: list[tuple[ProductSpec, int]] = field(default_factory=list)
    """Clean, published (product, variation index or -1) that generated orders buy."""
    deleted: set[int] = field(default_factory=set)
    next_id: int = FIRST_PRODUCT_ID

    @classmethod
    def generate(cls, config: SandboxConfig) -> Catalogue:
        catalogue = cls(config)
        _lay_out(catalogue)
        return catalogue

    def live_products(self) -> list[ProductSpec]:
        return [spec for spec in self.products if spec.id not in self.deleted]

    def variation_modified(self, parent: ProductSpec, index: int) -> int:
        vid = parent.variation_ids[index]
        state = self.variation_state.get(vid)
        if state is not None:
            return state.modified
        return min(parent.created + 60 * (index + 1), parent.modified)

    def variation_created(self, parent: ProductSpec, index: int) -> int:
        return min(parent.created + index + 1, parent.modified)


def _slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def _code(text: str) -> str:
    return "".join(word[0] for word in re.split(r"[\s\-']+", text) if word).upper()


def _weight_code(weight: str) -> str:
    return weight.replace("/", "-").replace(" ", "").replace(".", "").upper()


def usd_price_cents(design: Design, weight: str) -> int:
    """What a piece costs in US cents at the end of the generated period (spot + premium)."""
    ounces = weight_in_ounces(weight)
    fine_ounces = ounces * (design.fineness if design.fineness < Decimal("0.91") else 1)
    value = fine_ounces * design.metal.spot_usd_per_oz * (1 + premium_for(ounces, design.metal))
    return int((value * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def store_cents(usd_cents: int, currency: str) -> int:
    rate = FX_PER_USD.get(currency, Decimal(1))
    return int((usd_cents * rate).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _variation_options(
    design: Design, count: int, rng: random.Random
) -> tuple[str, tuple[str, ...]]:
    """The axis and options of a variable product: coins by year, bars by weight."""
    if not design.is_coin:
        weights = list(dict.fromkeys((*design.weights, *WEIGHT_AXIS)))
        if len(weights) >= count:
            return "Weight", tuple(weights[:count])
    first = NEWEST_YEAR - rng.randrange(0, 3)
    return "Year", tuple(str(first - offset) for offset in range(count))


def _lay_out(catalogue: Catalogue) -> None:
    config = catalogue.config
    rng = random.Random(f"{config.seed}:catalogue")
    count = config.products
    variable = set(rng.sample(range(count), round(count * config.variable_share)))
    messy = set(rng.sample(range(count), round(count * config.messy_share)))
    step = (dates.PRODUCTS_END - dates.PRODUCTS_START) / max(count, 1)
    cursor = float(dates.PRODUCTS_START)
    batch_left = 0
    slugs: dict[str, int] = {}
    next_id = FIRST_PRODUCT_ID
    recent: list[int] = []
    for index in range(count):
        if rng.random() < 0.02 or index == 0:
            # A product deleted long ago: its id stays taken and old orders keep it.
            ghost = _make_spec(catalogue, rng, next_id, int(cursor), None, None, slugs, ())
            catalogue.ghosts.append(ghost)
            next_id += 2
        if batch_left == 0:
            # Shops import products from CSV: many share the same second.
            batch_left = rng.choice((1, 1, 1, 1, 3, 8, 25))
            cursor = min(cursor + step * batch_left * rng.uniform(0.3, 1.7), dates.PRODUCTS_END)
        batch_left -= 1
        flaw = None
        if index in messy:
            flaws = PRODUCT_FLAWS if index not in variable else PRODUCT_FLAWS[::2]
            flaw = rng.choice(flaws)
        axis_count = config.variations_per_product if index in variable else None
        spec = _make_spec(
            catalogue, rng, next_id, int(cursor), axis_count, flaw, slugs, tuple(recent[-4:])
        )
        next_id = max(spec.image_ids) + 1
        catalogue.products.append(spec)
        catalogue.by_id[spec.id] = spec
        for position, vid in enumerate(spec.variation_ids):
            catalogue.variation_parent[vid] = (spec, position)
        if spec.status == "publish" and spec.flaw is None:
            if spec.variable:
                catalogue.orderable.extend((spec, k) for k in range(len(spec.variation_ids)))
            else:
                catalogue.orderable.append((spec, -1))
        recent.append(spec.id)
    catalogue.next_id = next_id


def _make_spec(
    catalogue: Catalogue,
    rng: random.Random,
    product_id: int,
    created: int,
    variation_count: int | None,
    flaw: str | None,
    slugs: dict[str, int],
    related: tuple[int, ...],
    design: Design | None = None,
) -> ProductSpec:
    config = catalogue.config
    designs = DESIGNS if config.dialect == "classic" else DESIGNS + DIALECT_DESIGNS
    design = design or rng.choice(designs)
    weight = rng.choice(design.weights)
    editions = COIN_EDITIONS if design.is_coin else BAR_EDITIONS
    edition = rng.choice(editions) if rng.random() < 0.3 else ""
    axis: str | None = None
    options: tuple[str, ...] = ()
    year: int | None = None
    if variation_count:
        axis, options = _variation_options(design, variation_count, rng)
        if axis == "Weight":
            weight = options[0]
    if design.is_coin and axis != "Year":
        year = rng.randint(1986, NEWEST_YEAR)
    name = _product_name(design, weight, year, axis, edition)
    base_slug = _slugify(name)
    seen = slugs.get(base_slug, 0)
    slugs[base_slug] = seen + 1
    slug = base_slug if not seen else f"{base_slug}-{seen + 1}"
    sku = "-".join(
        (_code(design.producer), design.metal.symbol, _weight_code(weight), str(year or "B"))
    )
    sku = f"{sku}-{product_id}"
    variation_ids = [product_id + 1 + k for k in range(variation_count or 0)]
    image_count = rng.choice((1, 1, 2))
    first_image = product_id + 1 + len(variation_ids)
    image_ids = tuple(first_image + k for k in range(image_count))
    roll = rng.random()
    status = (
        "draft"
        if roll < 0.03
        else "private"
        if roll < 0.05
        else "pending"
        if roll < 0.06
        else "publish"
    )
    modified = (
        created if rng.random() < 0.35 else rng.randint(created, max(created, dates.DATA_END))
    )
    regular = store_cents(usd_price_cents(design, weight), config.currency)
    whole_units = rng.random() < 0.2
    manage_stock = axis is None and rng.random() < 0.6
    quantity: int | None = None
    if manage_stock:
        quantity = rng.choice((0, 3, 12, 40, 150, 500)) * (5 if design.metal is SILVER else 1)
        stock_status = "instock" if quantity else "outofstock"
    else:
        stock_roll = rng.random()
        stock_status = (
            "instock" if stock_roll < 0.9 else "onbackorder" if stock_roll < 0.95 else "outofstock"
        )
    kilograms = weight_in_ounces(weight) * Decimal("0.0311035") * Decimal("1.08")
    return ProductSpec(
        id=product_id,
        design=design,
        weight=weight,
        year=year,
        name=name,
        slug=slug,
        sku="" if flaw == "missing_sku" else sku,
        axis=axis,
        options=options,
        variation_ids=variation_ids,
        image_ids=image_ids,
        related_ids=related,
        status=status,
        created=created,
        modified=modified,
        flaw=flaw,
        regular_cents=regular,
        whole_units=whole_units,
        on_sale=axis is None and rng.random() < 0.12,
        manage_stock=manage_stock,
        stock_quantity=quantity,
        stock_status=stock_status,
        featured=rng.random() < 0.05,
        total_sales=rng.choice((0, 0, 3, 17, 120, 860)),
        tag=rng.randrange(len(TAGS)) if rng.random() < 0.4 else None,
        shipping_weight=f"{kilograms:.3f}",
    )


def _product_name(
    design: Design, weight: str, year: int | None, axis: str | None, edition: str
) -> str:
    if design.is_coin:
        when = " (Year of your choice)" if axis == "Year" else f" {year}"
        return f"{weight} {design.title}{when}{edition}"
    if axis == "Weight":
        return f"{design.producer} {design.title}"
    return f"{weight} {design.producer} {design.title}{edition}"


def add_product(
    catalogue: Catalogue,
    *,
    created: int,
    name: str | None,
    sku: str | None,
    price: str | None,
    status: str,
    variations: int,
    overrides: dict[str, Any] | None,
) -> ProductSpec:
    """A product created after generation, with the next free post id."""
    rng = random.Random(f"{catalogue.config.seed}:added-product:{catalogue.next_id}")
    slugs = {spec.slug: 1 for spec in catalogue.products}
    spec = _make_spec(
        catalogue, rng, catalogue.next_id, created, variations or None, None, slugs, ()
    )
    spec.status = status
    spec.modified = created
    if name is not None:
        spec.name = name
    if sku is not None:
        spec.sku = sku
    if price is not None:
        spec.overrides = {"price": price, "regular_price": price, "sale_price": ""}
        spec.on_sale = False
    if overrides:
        spec.overrides = {**(spec.overrides or {}), **overrides}
    catalogue.next_id = max(spec.image_ids) + 1
    catalogue.products.append(spec)
    catalogue.by_id[spec.id] = spec
    for position, vid in enumerate(spec.variation_ids):
        catalogue.variation_parent[vid] = (spec, position)
    return spec


def current_price_cents(spec: ProductSpec, variation: int, *, include_revision: bool = True) -> int:
    """The product's (or a variation's) regular price, in the store currency.

    Each modification moves the price by 1 %; orders placed earlier keep the old price.
    """
    cents = spec.regular_cents
    if variation >= 0 and spec.axis == "Weight":
        option = spec.options[variation]
        cents = (
            cents
            * usd_price_cents(spec.design, option)
            // max(usd_price_cents(spec.design, spec.weight), 1)
        )
    elif variation >= 0 and spec.axis == "Year":
        cents = cents * (1000 + 2 * (NEWEST_YEAR - int(spec.options[variation]))) // 1000
    return cents * (100 + spec.revision) // 100 if include_revision else cents


def variation_sku(parent: ProductSpec, index: int) -> str:
    """A variation's SKU: the parent's plus the option ("" when the parent has none)."""
    return f"{parent.sku}-{_weight_code(parent.options[index])}" if parent.sku else ""


def variation_option_slug(option: str) -> str:
    return _slugify(option)


# --- payloads ---------------------------------------------------------------------------


def _price_html(cents: int | None, sale_cents: int | None, currency: str) -> str:
    if cents is None:
        return ""
    symbol = CURRENCY_SYMBOLS.get(currency, currency)

    def amount(value: int) -> str:
        return (
            '<span class="woocommerce-Price-amount amount"><bdi>'
            f'<span class="woocommerce-Price-currencySymbol">{symbol}</span>'
            f"{value // 100:,}.{value % 100:02d}</bdi></span>"
        )

    if sale_cents is None:
        return amount(cents)
    return f'<del aria-hidden="true">{amount(cents)}</del> <ins>{amount(sale_cents)}</ins>'


def _local(epoch: int, offset_minutes: int) -> str:
    return dates.iso(epoch + offset_minutes * 60)


def _image(image_id: int, created: int, src: str, offset: int) -> dict[str, Any]:
    return {
        "id": image_id,
        "date_created": _local(created, offset),
        "date_created_gmt": dates.iso(created),
        "date_modified": _local(created, offset),
        "date_modified_gmt": dates.iso(created),
        "src": src,
        "name": src.rsplit("/", 1)[-1].rsplit(".", 1)[0],
        "alt": "",
    }


def _image_src(base: str, spec: ProductSpec, position: int) -> str:
    month = dates.iso(spec.created)[:7].replace("-", "/")
    suffix = "" if position == 0 else "-reverse"
    return f"{base}/wp-content/uploads/{month}/{spec.slug}{suffix}.jpg"


def _attributes(spec: ProductSpec) -> list[dict[str, Any]]:
    design = spec.design
    rows: list[tuple[str, list[str], bool]] = [
        ("Metal", [design.metal.name], False),
        ("Weight", list(spec.options) if spec.axis == "Weight" else [spec.weight], False),
        ("Purity", [design.purity], False),
        (design.producer_attribute, [design.producer], False),
    ]
    if spec.axis == "Year":
        rows.append(("Year", list(spec.options), True))
    elif spec.year is not None:
        rows.append(("Year", [str(spec.year)], False))
    attributes = []
    for position, (name, options, is_axis) in enumerate(rows):
        varies = is_axis or (spec.axis == "Weight" and name == "Weight")
        attributes.append(
            {
                "id": ATTRIBUTE_IDS.get(name, 0),
                "name": name,
                "position": position,
                "visible": True,
                "variation": varies,
                "options": options,
            }
        )
    return attributes


def _links(base: str, path: str, collection: str, **extra: str) -> dict[str, Any]:
    links: dict[str, Any] = {
        "self": [{"href": f"{base}/wp-json/wc/v3/{path}"}],
        "collection": [{"href": f"{base}/wp-json/wc/v3/{collection}"}],
    }
    for rel, target in extra.items():
        links[rel] = [{"href": f"{base}/wp-json/wc/v3/{target}"}]
    return links


def _apply_overrides(payload: dict[str, Any], overrides: dict[str, Any] | None) -> dict[str, Any]:
    if overrides:
        for key, value in overrides.items():
            if value is REMOVED:
                payload.pop(key, None)
            else:
                payload[key] = value
    return payload


class _Removed:
    def __repr__(self) -> str:
        return "REMOVED"


REMOVED: Any = _Removed()
"""Use as an override value to drop a key from a payload (hostile-input tests)."""


def product_payload(catalogue: Catalogue, spec: ProductSpec, base: str) -> dict[str, Any]:
    """The product exactly as `GET /wc/v3/products/{id}` returns it."""
    config = catalogue.config
    offset = config.utc_offset_minutes
    design = spec.design
    variable = spec.variable
    regular = current_price_cents(spec, -1)
    sale = regular * 97 // 100 if spec.on_sale else None
    if variable or spec.flaw == "empty_price":
        price = regular_text = sale_text = ""
        html_price: int | None = None
    else:
        regular_text = price_text(regular, whole_units=spec.whole_units)
        sale_text = price_text(sale, whole_units=False) if sale is not None else ""
        price = sale_text or regular_text
        html_price = regular
    category = (
        {"id": UNKNOWN_CATEGORY[2], "name": UNKNOWN_CATEGORY[0], "slug": UNKNOWN_CATEGORY[1]}
        if spec.flaw == "unknown_category"
        else {
            "id": CATEGORY_IDS[design.category],
            "name": design.category,
            "slug": _slugify(design.category),
        }
    )
    live_variations = [vid for vid in spec.variation_ids if vid not in catalogue.deleted]
    default_attributes = (
        [
            {
                "id": ATTRIBUTE_IDS.get(spec.axis or "", 0),
                "name": spec.axis,
                "option": spec.options[0],
            }
        ]
        if variable
        else []
    )
    description = (
        f"<p>The {spec.name} is struck by {design.producer} in {design.metal.name.lower()} of "
        f"{design.purity} purity. Each piece weighs {spec.weight}.</p>\n"
    )
    payload: dict[str, Any] = {
        "id": spec.id,
        "name": spec.name,
        "slug": spec.slug,
        "permalink": f"{base}/product/{spec.slug}/",
        "date_created": _local(spec.created, offset),
        "date_created_gmt": dates.iso(spec.created),
        "date_modified": _local(spec.modified, offset),
        "date_modified_gmt": dates.iso(spec.modified),
        "type": spec.product_type,
        "status": spec.status,
        "featured": spec.featured,
        "catalog_visibility": "visible",
        "description": description,
        "short_description": f"<p>{design.metal.name} {design.kind.lower()}, {design.purity}</p>\n",
        "sku": spec.sku,
        "price": price,
        "regular_price": regular_text,
        "sale_price": sale_text,
        "date_on_sale_from": None,
        "date_on_sale_from_gmt": None,
        "date_on_sale_to": None,
        "date_on_sale_to_gmt": None,
        "price_html": _price_html(html_price, sale, config.currency),
        "on_sale": sale is not None and not variable,
        "purchasable": bool(price),
        "total_sales": spec.total_sales,
        "virtual": False,
        "downloadable": False,
        "downloads": [],
        "download_limit": -1,
        "download_expiry": -1,
        "external_url": "",
        "button_text": "",
        "tax_status": "taxable",
        "tax_class": "",
        "manage_stock": spec.manage_stock,
        "stock_quantity": spec.stock_quantity,
        "stock_status": spec.stock_status,
        "backorders": "notify" if spec.stock_status == "onbackorder" else "no",
        "backorders_allowed": spec.stock_status == "onbackorder",
        "backordered": False,
        "sold_individually": False,
        "weight": spec.shipping_weight,
        "dimensions": {"length": "", "width": "", "height": ""},
        "shipping_required": True,
        "shipping_taxable": True,
        "shipping_class": "insured",
        "shipping_class_id": 31,
        "reviews_allowed": False,
        "average_rating": "0.00",
        "rating_count": 0,
        "related_ids": list(spec.related_ids),
        "upsell_ids": [],
        "cross_sell_ids": [],
        "parent_id": 0,
        "purchase_note": "",
        "categories": [category],
        "tags": [{"id": TAGS[spec.tag][2], "name": TAGS[spec.tag][0], "slug": TAGS[spec.tag][1]}]
        if spec.tag is not None
        else [],
        "images": [
            _image(image_id, spec.created - 60, _image_src(base, spec, k), offset)
            for k, image_id in enumerate(spec.image_ids)
        ],
        "attributes": _attributes(spec),
        "default_attributes": default_attributes,
        "variations": live_variations,
        "grouped_products": [],
        "menu_order": 0,
        "meta_data": [{"id": spec.id * 10 + 1, "key": "_premium_over_spot", "value": "auto"}]
        if spec.featured
        else [],
        "_links": _links(base, f"products/{spec.id}", "products"),
    }
    style = dialects.style_for(config.dialect, spec.id)
    if style is not None:
        _write_in_style(payload, spec, style)
    return _apply_overrides(payload, spec.overrides)


def shown_name(spec: ProductSpec, dialect: str) -> str:
    """The product's name as the dialect's shop writes it: what its order lines carry."""
    style = dialects.style_for(dialect, spec.id)
    if style is None:
        return spec.name
    weight = None if spec.axis == "Weight" else spec.weight
    return dialects.product_name(spec.design, weight, spec.year, _edition(spec), style)


def _edition(spec: ProductSpec) -> str:
    editions = COIN_EDITIONS if spec.design.is_coin else BAR_EDITIONS
    return next((e for e in editions if e and spec.name.endswith(e)), "")


def _write_in_style(payload: dict[str, Any], spec: ProductSpec, style: dialects.Style) -> None:
    """The classic payload rewritten the way the dialect's shops write it."""
    design = spec.design
    payload["name"] = dialects.product_name(
        design,
        None if spec.axis == "Weight" else spec.weight,
        spec.year,
        _edition(spec),
        style,
    )
    payload["attributes"] = dialects.translate_attributes(
        payload["attributes"], design, style, varies_by_weight=spec.axis == "Weight"
    )
    for attribute in payload["default_attributes"]:
        attribute["option"] = dialects.variation_option(
            attribute["option"], attribute["name"], style.language
        )
        attribute["name"] = dialects.axis_label(attribute["name"], style.language)
    if spec.flaw != "unknown_category":
        category = dialects.category_name(design, style)
        payload["categories"] = [
            {"id": payload["categories"][0]["id"], "name": category, "slug": _slugify(category)}
        ]
    spelled = dialects.producer_spelling(design.producer, style.language)
    producer_term = {"id": 200 + sum(map(ord, design.producer)) % 500, "name": spelled,
                     "slug": _slugify(spelled)}  # fmt: skip
    # WooCommerce 9.6+ lists brands on every product; an empty list when it has none.
    payload["brands"] = [producer_term] if style.producer_in == "brand" else []
    if style.producer_in == "tag":
        payload["tags"] = [*payload["tags"], producer_term]
    who = f" by {spelled}" if style.producer_in == "name" else ""
    payload["description"] = (
        f"<p>{payload['name']}{who}: {design.metal.name.lower()}, "
        f"{dialects.purity_label(design.purity, style.language)} fine.</p>\n"
    )
    if style.without_weight and spec.axis != "Weight":
        payload["weight"] = ""


@dataclass(frozen=True, slots=True)
class ProductTruth:
    """What a product really is, whatever its payload says (for tests of inference)."""

    producer: str
    metal: str
    weight_grams: Decimal
    purity: Decimal
    product_type: str


def product_truth(spec: ProductSpec, variation: int = -1) -> ProductTruth:
    design = spec.design
    weight = spec.options[variation] if variation >= 0 and spec.axis == "Weight" else spec.weight
    return ProductTruth(
        producer=design.producer,
        metal=design.metal.name,
        weight_grams=weight_in_ounces(weight) * TROY_OUNCE_GRAMS,
        purity=design.fineness,
        product_type=design.kind,
    )


def _variation_attribute(dialect: str, parent: ProductSpec, option: str) -> dict[str, Any]:
    axis = parent.axis or ""
    attribute = {"id": ATTRIBUTE_IDS.get(axis, 0), "name": parent.axis, "option": option}
    style = dialects.style_for(dialect, parent.id)
    if style is not None:
        attribute["name"] = dialects.axis_label(axis, style.language)
        attribute["option"] = dialects.variation_option(option, axis, style.language)
    return attribute


def variation_payload(
    catalogue: Catalogue, parent: ProductSpec, index: int, base: str
) -> dict[str, Any]:
    """The variation exactly as `GET /wc/v3/products/{parent}/variations/{id}` returns it."""
    config = catalogue.config
    offset = config.utc_offset_minutes
    vid = parent.variation_ids[index]
    state = catalogue.variation_state.get(vid)
    option = parent.options[index]
    created = catalogue.variation_created(parent, index)
    modified = catalogue.variation_modified(parent, index)
    revision = state.revision if state else 0
    regular = current_price_cents(parent, index) * (100 + revision) // 100
    option_slug = variation_option_slug(option)
    attribute_key = f"attribute_pa_{parent.axis.lower() if parent.axis else 'option'}"
    stock = (40 + 7 * index) * (5 if parent.design.metal is SILVER else 1)
    stock = max(stock - 3 * revision, 0)
    sku = variation_sku(parent, index)
    payload: dict[str, Any] = {
        "id": vid,
        "date_created": _local(created, offset),
        "date_created_gmt": dates.iso(created),
        "date_modified": _local(modified, offset),
        "date_modified_gmt": dates.iso(modified),
        "description": "",
        "permalink": f"{base}/product/{parent.slug}/?{attribute_key}={option_slug}",
        "sku": sku,
        "price": price_text(regular, whole_units=parent.whole_units),
        "regular_price": price_text(regular, whole_units=parent.whole_units),
        "sale_price": "",
        "date_on_sale_from": None,
        "date_on_sale_from_gmt": None,
        "date_on_sale_to": None,
        "date_on_sale_to_gmt": None,
        "on_sale": False,
        "status": "publish",
        "purchasable": True,
        "virtual": False,
        "downloadable": False,
        "downloads": [],
        "download_limit": -1,
        "download_expiry": -1,
        "tax_status": "taxable",
        "tax_class": "",
        "manage_stock": True,
        "stock_quantity": stock,
        "stock_status": "instock" if stock else "outofstock",
        "backorders": "no",
        "backorders_allowed": False,
        "backordered": False,
        "weight": parent.shipping_weight,
        "dimensions": {"length": "", "width": "", "height": ""},
        "shipping_class": "",
        "shipping_class_id": 0,
        "image": _image(
            parent.image_ids[0], parent.created - 60, _image_src(base, parent, 0), offset
        ),
        "attributes": [_variation_attribute(config.dialect, parent, option)],
        "menu_order": index,
        "meta_data": [],
        "_links": _links(
            base,
            f"products/{parent.id}/variations/{vid}",
            f"products/{parent.id}/variations",
            up=f"products/{parent.id}",
        ),
    }
    return _apply_overrides(payload, state.overrides if state else None)
