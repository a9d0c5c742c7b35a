"""The bullion knowledge file (`knowledge/bullion.json`), compiled once into lookups.

The file is data a reviewer can read and extend: producers and their spellings in
English, German and French, coin and bar series, metal and kind words, weight units,
purity words and the attribute labels shops use. This module turns it, once per
process, into dictionaries keyed by folded text and into a few regular expressions, so
that asking "which producer does this name state?" is one regex search.

Text is compared folded: accents dropped, case folded, punctuation as spaces
(`"Münze Österreich"` and `"munze-osterreich"` are the same). Searches in running text
(a name, a category) match whole words only, except the German compounds the file lists
(`Goldmünze`: the prefix `gold`, the suffix `münze`).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import cache, lru_cache
from importlib import resources
from typing import Any

from goldsphere_pipelines.mapping.normalize import normalize_name

_WORDS = re.compile(r"[^\W_]+")
KNOWLEDGE_FILE = "bullion.json"
INFERRED_FIELDS = ("product_type", "metal", "producer", "weight", "purity")
"""The goldsphere fields the knowledge file can infer."""


@dataclass(frozen=True, slots=True)
class Producer:
    name: str
    country: str
    """ISO 3166 alpha-2 code."""
    country_name: str
    aliases: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    producer: str
    country: str
    purity: Decimal | None
    purity_by_metal: Mapping[str, Decimal]
    metal: str | None
    kind: str | None

    def usual_purity(self, metal: str | None) -> Decimal | None:
        if metal is not None and metal in self.purity_by_metal:
            return self.purity_by_metal[metal]
        return self.purity


@dataclass(frozen=True, slots=True)
class Found:
    """A value the knowledge file recognised, and the words that stated it."""

    value: Any
    said: str


def fold(text: str) -> str:
    """Accent-free, case-folded words separated by single spaces, with a space at either end
    (so that `" gold "` finds the whole word)."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " " + " ".join(_WORDS.findall(plain)) + " "


def _fold_number_text(text: str) -> str:
    """Like `fold`, but keeping what numbers are made of (`1/10`, `31,1035`, `99.99 %`)."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    plain = re.sub(r"[^\w/.,%]+", " ", plain.replace("⁄", "/"))
    return " " + " ".join(plain.split()) + " "


def _phrase_regex(phrases: Iterable[str]) -> re.Pattern[str] | None:
    """One regex finding any of `phrases` (already folded, no outer spaces) as whole words;
    at one position the longest phrase wins."""
    unique = sorted({p for p in phrases if p}, key=len, reverse=True)
    if not unique:
        return None
    return re.compile("(?<= )(?:" + "|".join(re.escape(p) for p in unique) + ")(?= )")


@dataclass(frozen=True)
class Knowledge:
    """The compiled knowledge file. Build it with `bullion_knowledge()` (cached)."""

    version: int
    producers: Mapping[str, Producer]
    """Canonical name → producer."""
    producer_by_alias: Mapping[str, Producer]
    """`normalize_name(alias)` → producer (canonical names included)."""
    series_by_alias: Mapping[str, Series]
    metal_by_name: Mapping[str, str]
    """`normalize_name` of a metal's name, symbol or word → goldsphere metal name."""
    kind_by_word: Mapping[str, str]
    """Folded kind word (no outer spaces) → goldsphere product type."""
    bar_modifier: Mapping[str, str]
    purity_words: Mapping[str, Decimal]
    attribute_labels: Mapping[str, frozenset[str]]
    """Field → `normalize_name` of the attribute labels that state it."""
    weight_units: Mapping[str, tuple[str, Decimal]]
    """Folded unit word → (goldsphere unit, factor to that unit)."""
    _producer_re: re.Pattern[str] | None = field(repr=False)
    _series_re: re.Pattern[str] | None = field(repr=False)
    _metal_re: re.Pattern[str] | None = field(repr=False)
    _kind_re: re.Pattern[str] | None = field(repr=False)
    _modifier_re: re.Pattern[str] | None = field(repr=False)
    _purity_word_re: re.Pattern[str] | None = field(repr=False)
    _weight_re: re.Pattern[str] = field(repr=False)
    _purity_re: re.Pattern[str] = field(repr=False)
    _word_key: Mapping[str, str] = field(repr=False)
    """Folded phrase → the key it stands for in the dictionaries above."""

    # --- exact values (an attribute's option, a brand) -------------------------------------

    def producer_named(self, value: str) -> Producer | None:
        return self.producer_by_alias.get(normalize_name(value))

    def metal_named(self, value: str) -> str | None:
        return self.metal_by_name.get(normalize_name(value))

    # --- running text (names, categories, tags, descriptions) --------------------------------

    def producer_in(self, text: str) -> Found | None:
        found = _search(self._producer_re, text)
        if found is None:
            return None
        return Found(self.producer_by_alias[normalize_name(found)], found.strip())

    def series_in(self, text: str) -> Found | None:
        found = _search(self._series_re, text)
        if found is None:
            return None
        return Found(self.series_by_alias[normalize_name(found)], found.strip())

    def metal_in(self, text: str) -> Found | None:
        folded = fold(text)
        if self._metal_re is None:
            return None
        match = self._metal_re.search(folded)
        if match is None:
            return None
        said = match.group(0)
        return Found(self.metal_by_name[self._word_key[said]], said)

    def kind_in(self, text: str) -> Found | None:
        """The product type the text states; a bar word with a modifier ("minted ... bar",
        "lingot d'or coulé") is that kind of bar; a coin word wins over a generic bar."""
        if self._kind_re is None:
            return None
        folded = fold(text)
        kinds: dict[str, str] = {}
        for match in self._kind_re.finditer(folded):
            said = match.group(0)
            kinds.setdefault(self.kind_by_word[self._word_key[said]], said)
        if not kinds:
            return None
        for specific in ("CombiBar", "Cast Bar", "Minted Bar"):
            if specific in kinds:
                return Found(specific, kinds[specific])
        if "Bar" in kinds and self._modifier_re is not None:
            modifier = self._modifier_re.search(folded)
            if modifier is not None:
                kind = self.bar_modifier[modifier.group(0)]
                return Found(kind, f"{modifier.group(0)} … {kinds['Bar']}")
        for kind in ("Coin", "Bar", "Medallion", "Jewelry"):
            if kind in kinds:
                return Found(kind, kinds[kind])
        return None

    def weight_in(self, text: str) -> Found | None:
        """(amount, unit) for the first weight the text states: `1/10 oz`, `1 Unze`,
        `31,1035 g`, `1 kilo`, `10 tola`, `50 x 1 g`."""
        match = self._weight_re.search(_fold_number_text(text))
        if match is None:
            return None
        amount = _amount(match.group("amount"))
        if amount is None or amount <= 0:
            return None
        if match.group("count"):
            amount *= int(match.group("count"))
        unit, factor = self.weight_units[match.group("unit")]
        amount = (amount * factor).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
        if amount <= 0:
            return None
        return Found((amount, unit), match.group(0).strip())

    def purity_in(self, text: str) -> Found | None:
        """The fineness the text states as a number (`999.9`, `.9999`, `99.99 %`, `24K`)
        or a word (`Feingold`, `fine silver`); the number is parsed by the caller."""
        match = self._purity_re.search(_fold_number_text(text))
        if match is not None:
            return Found(match.group("purity").strip(), match.group("purity").strip())
        found = _search(self._purity_word_re, text)
        if found is not None:
            return Found(self.purity_words[found], found)
        return None

    def label_field(self, label: str) -> str | None:
        """Which inferred field an attribute label states (`Feingehalt` → purity)."""
        key = normalize_name(label)
        for target, labels in self.attribute_labels.items():
            if key in labels:
                return target
        return None


def _search(regex: re.Pattern[str] | None, text: str) -> str | None:
    if regex is None:
        return None
    match = regex.search(fold(text))
    return match.group(0) if match is not None else None


def _amount(text: str) -> Decimal | None:
    text = text.replace(",", ".")
    try:
        if "/" in text:
            whole, _, fraction = text.strip().rpartition(" ")
            numerator, _, denominator = fraction.partition("/")
            if int(denominator) == 0:
                return None
            value = Decimal(int(numerator)) / Decimal(int(denominator))
            return value + (Decimal(int(whole)) if whole.strip() else 0)
        return Decimal(text)
    except (ArithmeticError, ValueError):
        return None


def _alternatives(patterns: list[tuple[int, str]]) -> re.Pattern[str] | None:
    """One regex of `(length, pattern)` alternatives, the longest word tried first."""
    if not patterns:
        return None
    ordered = sorted(patterns, key=lambda item: item[0], reverse=True)
    return re.compile("|".join(pattern for _, pattern in ordered))


def _folded(text: str) -> str:
    return fold(text).strip()


def compile_knowledge(data: Mapping[str, Any]) -> Knowledge:
    """A `Knowledge` from the file's JSON; raises ValueError naming what is inconsistent."""
    countries: Mapping[str, str] = data["countries"]
    producers: dict[str, Producer] = {}
    by_alias: dict[str, Producer] = {}
    word_key: dict[str, str] = {}
    producer_phrases: list[str] = []
    for entry in data["producers"]:
        country = entry["country"]
        if country not in countries:
            raise ValueError(f"producer {entry['name']!r}: unknown country {country!r}")
        producer = Producer(
            entry["name"], country, countries[country], tuple(entry.get("aliases", ()))
        )
        producers[producer.name] = producer
        for alias in (producer.name, *producer.aliases):
            by_alias[normalize_name(alias)] = producer
            producer_phrases.append(_folded(alias))
    series_by_alias: dict[str, Series] = {}
    series_phrases: list[str] = []
    for entry in data["series"]:
        if entry["producer"] not in producers:
            raise ValueError(f"series {entry['name']!r}: unknown producer {entry['producer']!r}")
        series = Series(
            name=entry["name"],
            producer=entry["producer"],
            country=entry["country"],
            purity=Decimal(entry["purity"]) if entry.get("purity") else None,
            purity_by_metal={k: Decimal(v) for k, v in entry.get("purity_by_metal", {}).items()},
            metal=entry.get("metal"),
            kind=entry.get("kind"),
        )
        for alias in (series.name, *entry.get("aliases", ())):
            series_by_alias.setdefault(normalize_name(alias), series)
            series_phrases.append(_folded(alias))
    metal_by_name: dict[str, str] = {}
    metal_patterns: list[tuple[int, str]] = []
    for entry in data["metals"]:
        name = entry["name"]
        for label in (name, entry["symbol"], *entry.get("names", ()), *entry.get("words", ())):
            metal_by_name[normalize_name(label)] = name
        for word in entry.get("words", ()):
            folded = _folded(word)
            word_key[folded] = normalize_name(word)
            metal_patterns.append((len(folded), rf"(?<= ){re.escape(folded)}(?= )"))
        for prefix in entry.get("compound_prefixes", ()):
            folded = _folded(prefix)
            word_key[folded] = normalize_name(prefix)
            metal_by_name.setdefault(normalize_name(prefix), name)
            metal_patterns.append((len(folded), rf"(?<= ){re.escape(folded)}(?=[^\W\d_])"))
    kind_by_word: dict[str, str] = {}
    kind_patterns: list[tuple[int, str]] = []
    for entry in data["kinds"]:
        for word in entry["words"]:
            folded = _folded(word)
            kind_by_word[normalize_name(word)] = entry["product_type"]
            word_key[folded] = normalize_name(word)
            kind_patterns.append((len(folded), rf"(?<= ){re.escape(folded)}(?= )"))
        for suffix in entry.get("compound_suffixes", ()):
            folded = _folded(suffix)
            kind_by_word[normalize_name(suffix)] = entry["product_type"]
            word_key[folded] = normalize_name(suffix)
            kind_patterns.append((len(folded), rf"(?<=[^\W\d_]){re.escape(folded)}(?= )"))
    bar_modifier = {
        _folded(word): kind for kind, words in data["bar_modifiers"].items() for word in words
    }
    units: dict[str, tuple[str, Decimal]] = {}
    for unit, words in data["weight_units"].items():
        for word in words:
            units[_folded(word)] = (unit, Decimal(1))
    for word, grams in data["weight_units_in_grams"].items():
        units[_folded(word)] = ("grams", Decimal(grams))
    unit_alternatives = "|".join(re.escape(u) for u in sorted(units, key=len, reverse=True))
    weight_re = re.compile(
        r"(?<= )(?:(?P<count>\d{1,3}) ?x )?"
        r"(?P<amount>\d{1,5}(?:[.,]\d{1,5})?(?: \d{1,3}/\d{1,4})?|\d{1,3}/\d{1,4}) ?"
        rf"(?P<unit>{unit_alternatives})(?= )"
    )
    purity_re = re.compile(
        r"(?<=[ ])(?P<purity>"
        r"(?:999[.,]9{1,2}|999[.,]5|9999|999|995|990|986|958|925|916[.,]7|916|900|750|585)"
        r"(?: ?(?:/1000|‰))?"
        r"|0?[.,]9\d{2,3}"
        r"|(?:99[.,]9{1,2}|99[.,]95|99[.,]5|91[.,]67|90) ?%"
        r"|(?:24|22|21[.,]6|18|14) ?(?:k|kt|karat|carat|ct|carats)"
        r")(?= )"
    )
    purity_words = {_folded(word): Decimal(value) for word, value in data["purity_words"].items()}
    labels = {
        target: frozenset(normalize_name(label) for label in names)
        for target, names in data["attribute_labels"].items()
    }
    return Knowledge(
        version=int(data["version"]),
        producers=producers,
        producer_by_alias=by_alias,
        series_by_alias=series_by_alias,
        metal_by_name=metal_by_name,
        kind_by_word=kind_by_word,
        bar_modifier=bar_modifier,
        purity_words=purity_words,
        attribute_labels=labels,
        weight_units=units,
        _producer_re=_phrase_regex(producer_phrases),
        _series_re=_phrase_regex(series_phrases),
        _metal_re=_alternatives(metal_patterns),
        _kind_re=_alternatives(kind_patterns),
        _modifier_re=_phrase_regex(bar_modifier),
        _purity_word_re=_phrase_regex(purity_words),
        _weight_re=weight_re,
        _purity_re=purity_re,
        _word_key=word_key,
    )


@cache
def bullion_knowledge() -> Knowledge:
    """The packaged knowledge file, compiled once per process."""
    text = resources.files("goldsphere_pipelines.mapping").joinpath(f"knowledge/{KNOWLEDGE_FILE}")
    return compile_knowledge(json.loads(text.read_text(encoding="utf-8")))


@lru_cache(maxsize=4096)
def purity_word(text: str) -> Decimal | None:
    """The fineness a word such as `Feingold` or `fine silver` stands for, if the whole
    text is such a word."""
    return bullion_knowledge().purity_words.get(_folded(text))
