"""Shop dialects: the ways real bullion shops describe the same coins and bars.

The catalogue is laid out once per seed (catalogue.py); a dialect only changes how each
product and variation is written: where the producer appears (an attribute, the name, a
WooCommerce brand, a tag, or nowhere but implied by the coin series), the language of
names, attribute labels and values (English, German, French), categories that name only
the metal, products without a weight. `classic` is the sandbox's original shape, kept as
the benchmark's default so that its figures stay comparable.

The same product always gets the same treatment (seeded by its id), and a variation
follows its parent. Shapes follow WooCommerce's REST API v3: `brands` is the
`[{id, name, slug}]` list WooCommerce 9.6+ adds to products (not to variations), and a
variation carries only its own `attributes[].option`.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from goldsphere_pipelines.sandbox.bullion import Design

DIALECTS = ("classic", "names", "brands", "tags", "series", "german", "french", "mixed")
"""Every dialect `--dialect` accepts."""
DEFAULT_DIALECT = "classic"
DEMO_DIALECT = "mixed"

_BLENDED = ("names", "brands", "tags", "series", "german", "french")


@dataclass(frozen=True, slots=True)
class Style:
    """How one product is written."""

    producer_in: str
    """attribute, name, brand, tag or series."""
    language: str
    """en, de or fr."""
    metal_only_category: bool = False
    without_weight: bool = False


_STYLES = {
    "names": Style("name", "en"),
    "brands": Style("brand", "en"),
    "tags": Style("tag", "en"),
    "series": Style("series", "en"),
    "german": Style("attribute", "de"),
    "french": Style("attribute", "fr"),
}


def style_for(dialect: str, product_id: int) -> Style | None:
    """The style of a product in a dialect; None for `classic` (payloads unchanged)."""
    if dialect == "classic":
        return None
    if dialect != "mixed":
        return _STYLES[dialect]
    rng = random.Random(f"dialect:{product_id}")
    base = _STYLES[rng.choice(_BLENDED)]
    return Style(
        base.producer_in,
        base.language,
        metal_only_category=rng.random() < 0.3,
        without_weight=rng.random() < 0.15,
    )


# --- words -------------------------------------------------------------------------------

_METAL = {
    "de": {"Gold": "Gold", "Silver": "Silber", "Platinum": "Platin", "Palladium": "Palladium"},
    "fr": {"Gold": "Or", "Silver": "Argent", "Platinum": "Platine", "Palladium": "Palladium"},
}
_OF_METAL_FR = {"Gold": "d'or", "Silver": "d'argent", "Platinum": "de platine",
                "Palladium": "de palladium"}  # fmt: skip
_IN_METAL_FR = {"Gold": "en or", "Silver": "en argent", "Platinum": "en platine",
                "Palladium": "en palladium"}  # fmt: skip
_LABELS = {
    "en": {"Metal": "Metal", "Weight": "Weight", "Purity": "Fineness", "Year": "Year",
           "Producer": "Producer"},
    "de": {"Metal": "Metall", "Weight": "Gewicht", "Purity": "Feinheit", "Year": "Jahr",
           "Producer": "Hersteller"},
    "fr": {"Metal": "Métal", "Weight": "Poids", "Purity": "Titre", "Year": "Année",
           "Producer": "Fabricant"},
}  # fmt: skip
_KIND_EN = {"Coin": "Coin", "Cast Bar": "Cast Bar", "Minted Bar": "Minted Bar",
            "CombiBar": "CombiBar", "Bar": "Bar"}  # fmt: skip
_KIND_DE = {"Cast Bar": "Gussbarren", "Minted Bar": "Prägebarren", "CombiBar": "CombiBar",
            "Bar": "Barren"}  # fmt: skip
_KIND_FR = {"Cast Bar": "coulé", "Minted Bar": "frappé", "CombiBar": "sécable", "Bar": ""}
_SPELLING = {
    # How shops spell producers: the knowledge file must know each of these.
    "en": {"British Royal Mint": "The Royal Mint", "PAMP Suisse": "PAMP",
           "Argor-Heraeus": "Argor Heraeus", "United States Mint": "US Mint"},
    "de": {"Austrian Mint": "Münze Österreich", "British Royal Mint": "Royal Mint",
           "United States Mint": "US Mint", "Mexican Mint": "Casa de Moneda de México",
           "Swiss Mint": "Swissmint"},
    "fr": {"Royal Canadian Mint": "Monnaie royale canadienne",
           "Austrian Mint": "Monnaie autrichienne", "British Royal Mint": "The Royal Mint",
           "United States Mint": "U.S. Mint", "Swiss Mint": "Monnaie fédérale"},
}  # fmt: skip
_METAL_WORDS = re.compile(r"\b(?:Gold|Silver|Platinum|Palladium)\b\s*")
_BAR_WORDS = re.compile(r"\b(?:Minted|Cast|Poured|Bar|CombiBar)\b\s*")


def producer_spelling(producer: str, language: str) -> str:
    return _SPELLING[language].get(producer, producer)


def series_of(design: Design) -> str:
    """The design's series words without metal or kind: "Maple Leaf", "Lady Fortuna", ""."""
    title = _METAL_WORDS.sub("", design.title)
    if not design.is_coin:
        title = _BAR_WORDS.sub("", title)
    return " ".join(title.split())


def weight_label(weight: str, language: str) -> str:
    """ "1/10 oz" → "1/10 Unze" / "1/10 once"; grams keep their number, with a decimal comma."""
    amount, unit = weight.split(" ")
    if language == "en":
        return weight
    if unit == "oz":
        return f"{amount} {'Unze' if language == 'de' else 'once'}"
    amount = amount.replace(".", ",")
    if unit == "kg":
        return f"{amount} {'Kilogramm' if language == 'de' else 'kilo'}"
    return f"{amount} {unit}"


def purity_label(purity: str, language: str) -> str:
    if language == "en":
        return purity
    if purity.endswith("K"):
        return f"{purity[:-1]} {'Karat' if language == 'de' else 'carats'}"
    return purity.replace(".", ",") if not purity.startswith(".") else purity


def product_name(
    design: Design, weight: str | None, year: int | None, edition: str, style: Style
) -> str:
    """The product's name in the style; `weight` None for a parent varying by weight."""
    language, metal = style.language, design.metal.name
    series = series_of(design)
    shown_weight = weight_label(weight, language) if weight else ""
    when = str(year) if year else ""
    if design.is_coin:
        if language == "de":
            words = [series, shown_weight, f"{_METAL['de'][metal]}münze", when]
        elif language == "fr":
            words = ["Pièce", series, shown_weight, _IN_METAL_FR[metal], when]
        else:
            words = [series, shown_weight, metal, "Coin", when]
    elif language == "de":
        words = [series, f"{_METAL['de'][metal]}-{_KIND_DE[design.kind]}", shown_weight]
    elif language == "fr":
        noun = "CombiBar" if design.kind == "CombiBar" else "Lingot"
        words = [noun, _OF_METAL_FR[metal], _KIND_FR[design.kind], series, shown_weight]
    else:
        words = [shown_weight, metal, _KIND_EN[design.kind], series]
    # Bars name their refiner unless a series says it; with producer_in == "name", always.
    bar_without_series = not design.is_coin and not series
    if style.producer_in == "name" or (style.producer_in == "series" and bar_without_series):
        words.append(producer_spelling(design.producer, language))
    return " ".join(w for w in words if w) + edition


def translate_attributes(
    attributes: list[dict[str, Any]], design: Design, style: Style, *, varies_by_weight: bool
) -> list[dict[str, Any]]:
    """The classic attributes in the style's labels and values; the producer attribute
    only where the style keeps the producer in an attribute."""
    language = style.language
    labels = _LABELS[language]
    written: list[dict[str, Any]] = []
    for attribute in attributes:
        name = attribute["name"]
        if name in ("Mint", "Brand", "Producer"):
            if style.producer_in != "attribute":
                continue
            key = "Producer"
            options = [producer_spelling(design.producer, language)]
        elif name == "Weight":
            if style.without_weight and not varies_by_weight:
                continue
            key, options = name, [weight_label(o, language) for o in attribute["options"]]
        elif name == "Metal":
            key, options = name, [_METAL.get(language, {}).get(o, o) for o in attribute["options"]]
        elif name == "Purity":
            key, options = name, [purity_label(o, language) for o in attribute["options"]]
        else:
            key, options = name, list(attribute["options"])
        written.append({**attribute, "name": labels.get(key, name), "options": options})
    for position, attribute in enumerate(written):
        attribute["position"] = position
    return written


def category_name(design: Design, style: Style) -> str:
    metal = design.metal.name
    if style.metal_only_category:
        return metal if style.language == "en" else _METAL[style.language][metal]
    if style.language == "de":
        plural = "münzen" if design.is_coin else "barren"
        return f"{_METAL['de'][metal]}{plural}"
    if style.language == "fr":
        return f"{'Pièces' if design.is_coin else 'Lingots'} {_OF_METAL_FR[metal]}"
    return design.category


def variation_option(option: str, axis: str, language: str) -> str:
    return weight_label(option, language) if axis == "Weight" else option


def axis_label(axis: str, language: str) -> str:
    return _LABELS[language].get(axis, axis)
