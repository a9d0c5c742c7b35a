"""A variation seen as a whole product: its parent's fields with its own on top.

WooCommerce sends a variation with only what differs (price, SKU, stock, weight, image
and one option per varying attribute). Rules are written once, against the product
shape, so the mapper merges before it maps:

- everything the variation sends replaces the parent's, except empty text or null,
  which keep the parent's (`description`, `weight`, ...);
- price and SKU are always the variation's own, even when empty: an empty price is a
  missing price, and a parent's SKU is not copied (two variations would share it);
- `manage_stock: "parent"` keeps the parent's stock;
- `image` becomes `images[0]`;
- an attribute `{name, option}` replaces the parent's attribute of that name by one with
  `options: [option]` (an empty option means "any" and keeps the parent's);
- without a name of its own, a variation is called "Parent name – option, option".
"""

from __future__ import annotations

from typing import Any

from goldsphere_pipelines.mapping.normalize import normalize_name
from goldsphere_pipelines.mapping.paths import MAX_CANDIDATES

_ALWAYS_OWN = frozenset({"price", "regular_price", "sale_price", "sku"})
_SPECIAL = frozenset({"attributes", "image", "name"})


def inherit(parent: dict[str, Any], variation: dict[str, Any]) -> dict[str, Any]:
    """The variation as a product payload (neither argument is modified)."""
    merged = dict(parent)
    merged["type"] = "variation"
    for key, value in variation.items():
        if key in _SPECIAL or key in _ALWAYS_OWN:
            continue
        if not (value is None or (isinstance(value, str) and not value.strip())):
            merged[key] = value
    for key in _ALWAYS_OWN:
        merged[key] = variation.get(key, "")
    if variation.get("manage_stock") == "parent":
        for key in ("stock_quantity", "stock_status", "manage_stock"):
            if key in parent:
                merged[key] = parent[key]
    image = variation.get("image")
    if isinstance(image, dict) and image.get("src"):
        merged["images"] = [image]
    options = _chosen_options(variation.get("attributes"))
    merged["attributes"] = _merge_attributes(parent.get("attributes"), options)
    own_name = variation.get("name")
    if isinstance(own_name, str) and own_name.strip():
        merged["name"] = own_name
    elif isinstance(parent.get("name"), str) and options:
        merged["name"] = f"{parent['name']} – {', '.join(option for _, option in options)}"
    return merged


def _chosen_options(attributes: Any) -> list[tuple[str, str]]:
    chosen: list[tuple[str, str]] = []
    if not isinstance(attributes, list):
        return chosen
    for attribute in attributes[:100]:
        if not isinstance(attribute, dict):
            continue
        name, option = attribute.get("name"), attribute.get("option")
        if (
            isinstance(name, str)
            and isinstance(option, str)
            and option.strip()
            and len(name) < 1000
        ):
            chosen.append((name, option))
    return chosen


def _merge_attributes(parent_attributes: Any, chosen: list[tuple[str, str]]) -> list[Any]:
    # Paths read at most MAX_CANDIDATES elements, so more attributes would never be seen.
    merged: list[Any] = (
        list(parent_attributes[:MAX_CANDIDATES]) if isinstance(parent_attributes, list) else []
    )
    for name, option in chosen:
        key = normalize_name(name)
        for index, attribute in enumerate(merged):
            if (
                isinstance(attribute, dict)
                and isinstance(attribute.get("name"), str)
                and normalize_name(attribute["name"]) == key
            ):
                merged[index] = {**attribute, "options": [option]}
                break
        else:
            merged.append({"name": name, "options": [option]})
    return merged
