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
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import cache, lru_cache
from importlib import resources
from typing import Any

from goldsphere_pipelines.mapping.normalize import normalize_name, plain_text

_WORDS = re.compile(r"[^\W_]+")
_NOT_NUMBER_TEXT = re.compile(r"[^\w/.,%]+")
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
    if len(text) <= _CACHED_LENGTH:
        return _fold_short(text)
    return _fold(text)


_CACHED_LENGTH = 300


@lru_cache(maxsize=16384)
def _fold_short(text: str) -> str:
    # Categories, tags and a parent's name repeat thousands of times in a run.
    return _fold(text)


def _fold(text: str) -> str:
    return " " + " ".join(_WORDS.findall(plain_text(text))) + " "


def _fold_number_text(text: str) -> str:
    """Like `fold`, but keeping what numbers are made of (`1/10`, `31,1035`, `99.99 %`)."""
    plain = _NOT_NUMBER_TEXT.sub(" ", plain_text(text).replace("⁄", "/"))
    return " " + " ".join(plain.split()) + " "


@dataclass(frozen=True, slots=True)
class _Phrases:
    """Phrases of folded words → values, found in a text's words by dictionary lookups,
    not by a regex of hundreds of alternatives."""

    table: Mapping[str, Any]
    starts: Mapping[str, tuple[int, ...]]
    """First word of a phrase of several words → their lengths, longest first."""
    prefixes: tuple[tuple[str, Any], ...] = ()
    """Word starts that count inside a longer word (German compounds: `gold`münze)."""
    suffixes: tuple[tuple[str, Any], ...] = ()
    """Word ends that count inside a longer word (gold`münzen`, silber`barren`)."""

    @classmethod
    def of(
        cls,
        phrases: Mapping[str, Any],
        prefixes: Mapping[str, Any] | None = None,
        suffixes: Mapping[str, Any] | None = None,
    ) -> _Phrases:
        table = {p: v for p, v in phrases.items() if p}
        starts: dict[str, set[int]] = {}
        for phrase in table:
            words = phrase.split(" ")
            if len(words) > 1:
                starts.setdefault(words[0], set()).add(len(words))
        return cls(
            table,
            {w: tuple(sorted(lengths, reverse=True)) for w, lengths in starts.items()},
            tuple(sorted((prefixes or {}).items(), key=lambda item: -len(item[0]))),
            tuple(sorted((suffixes or {}).items(), key=lambda item: -len(item[0]))),
        )

    def first(self, words: tuple[str, ...]) -> tuple[Any, str] | None:
        """The leftmost phrase, the longest at that position: (value, the words said)."""
        for found in self.each(words):
            return found
        return None

    def each(self, words: tuple[str, ...]) -> Iterator[tuple[Any, str]]:
        table, starts = self.table, self.starts
        prefixes, suffixes = self.prefixes, self.suffixes
        for start, word in enumerate(words):
            lengths = starts.get(word)
            if lengths is not None:
                phrase = next(
                    (
                        joined
                        for length in lengths
                        if start + length <= len(words)
                        and (joined := " ".join(words[start : start + length])) in table
                    ),
                    None,
                )
                if phrase is not None:
                    yield table[phrase], phrase
                    continue
            if word in table:
                yield table[word], word
                continue
            for prefix, value in prefixes:
                if len(word) > len(prefix) and word.startswith(prefix):
                    yield value, prefix
                    break
            else:
                for suffix, value in suffixes:
                    if len(word) > len(suffix) and word.endswith(suffix):
                        yield value, suffix
                        break


def whole_words(words: Iterable[str]) -> re.Pattern[str] | None:
    """A regex finding, in `plain_text`, the whole words (runs of letters and digits) that
    are one of `words` (folded, as `bar_words` keys), left to right; None for no words."""
    # A phrase of several words ("hand poured") is never one word: it cannot match.
    alternatives = sorted(
        {re.escape(w) for w in words if _WORDS.fullmatch(w)}, key=len, reverse=True
    )
    if not alternatives:
        return None
    # Not preceded or followed by a letter or digit: a whole word of `_WORDS`.
    return re.compile(rf"(?<![^\W_])(?:{'|'.join(alternatives)})(?![^\W_])")


def words_of(text: str) -> tuple[str, ...]:
    """The folded words of a text (see `fold`)."""
    if len(text) <= _CACHED_LENGTH:
        return _words_short(text)
    return tuple(fold(text).split())


@lru_cache(maxsize=16384)
def _words_short(text: str) -> tuple[str, ...]:
    return tuple(_fold(text).split())


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
    _producers: _Phrases = field(repr=False)
    _series: _Phrases = field(repr=False)
    _metals: _Phrases = field(repr=False)
    _kinds: _Phrases = field(repr=False)
    _modifiers: _Phrases = field(repr=False)
    _purity_phrases: _Phrases = field(repr=False)
    _weight_re: re.Pattern[str] = field(repr=False)
    _purity_re: re.Pattern[str] = field(repr=False)

    # --- exact values (an attribute's option, a brand) -------------------------------------

    def producer_named(self, value: str) -> Producer | None:
        return self.producer_by_alias.get(normalize_name(value))

    def metal_named(self, value: str) -> str | None:
        return self.metal_by_name.get(normalize_name(value))

    # --- running text (names, categories, tags, descriptions) --------------------------------

    def producer_in(self, text: str) -> Found | None:
        found = self._producers.first(words_of(text))
        return None if found is None else Found(found[0], found[1])

    def series_in(self, text: str) -> Found | None:
        found = self._series.first(words_of(text))
        return None if found is None else Found(found[0], found[1])

    def metal_in(self, text: str) -> Found | None:
        found = self._metals.first(words_of(text))
        return None if found is None else Found(found[0], found[1])

    def kind_in(self, text: str) -> Found | None:
        """The product type the text states; a bar word with a modifier ("minted ... bar",
        "lingot d'or coulé") is that kind of bar; a coin word wins over a generic bar."""
        words = words_of(text)
        kinds: dict[str, str] = {}
        for kind, said in self._kinds.each(words):
            kinds.setdefault(kind, said)
        if not kinds:
            return None
        for specific in ("CombiBar", "Cast Bar", "Minted Bar"):
            if specific in kinds:
                return Found(specific, kinds[specific])
        if "Bar" in kinds:
            modifier = self._modifiers.first(words)
            if modifier is not None:
                return Found(modifier[0], f"{modifier[1]} … {kinds['Bar']}")
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
        found = self._purity_phrases.first(words_of(text))
        return None if found is None else Found(found[0], found[1])

    def bar_words(self) -> dict[str, tuple[str, str]]:
        """Folded word → (bar kind, provenance) for the words that say which bar a bar is:
        kind words (gussbarren, combibar), modifiers (cast, minted, coulé) and the words
        of series of one kind of bar (fortuna, kinebar)."""
        bar_kinds = {"Cast Bar", "Minted Bar", "CombiBar"}
        generic = {"bar", "bars", "barren", "lingot", "lingots", "ingot", "d", "de", "lady"}
        found: dict[str, tuple[str, str]] = {}
        for phrase, kind in self._kinds.table.items():
            if kind in bar_kinds:
                for word in phrase.split(" "):
                    if word not in generic:
                        found.setdefault(word, (kind, f"'{phrase}' in name"))
        for phrase, kind in self._modifiers.table.items():
            found.setdefault(phrase, (kind, f"'{phrase}' in name"))
        for phrase, series in self._series.table.items():
            if series.kind in bar_kinds:
                for word in phrase.split(" "):
                    if word not in generic:
                        found.setdefault(word, (series.kind, f"series '{series.name}' in name"))
        return found

    def label_field(self, label: str) -> str | None:
        """Which inferred field an attribute label states (`Feingehalt` → purity)."""
        key = normalize_name(label)
        for target, labels in self.attribute_labels.items():
            if key in labels:
                return target
        return None


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


def _folded(text: str) -> str:
    return fold(text).strip()


def compile_knowledge(data: Mapping[str, Any]) -> Knowledge:
    """A `Knowledge` from the file's JSON; raises ValueError naming what is inconsistent."""
    countries: Mapping[str, str] = data["countries"]
    producers: dict[str, Producer] = {}
    by_alias: dict[str, Producer] = {}
    producer_phrases: dict[str, Producer] = {}
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
            producer_phrases.setdefault(_folded(alias), producer)
    series_by_alias: dict[str, Series] = {}
    series_phrases: dict[str, Series] = {}
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
            series_phrases.setdefault(_folded(alias), series)
    metal_by_name: dict[str, str] = {}
    metal_phrases: dict[str, str] = {}
    metal_prefixes: dict[str, str] = {}
    for entry in data["metals"]:
        name = entry["name"]
        for label in (name, entry["symbol"], *entry.get("names", ()), *entry.get("words", ())):
            metal_by_name[normalize_name(label)] = name
        for word in entry.get("words", ()):
            metal_phrases[_folded(word)] = name
        for prefix in entry.get("compound_prefixes", ()):
            metal_prefixes[_folded(prefix)] = name
    kind_by_word: dict[str, str] = {}
    kind_phrases: dict[str, str] = {}
    kind_suffixes: dict[str, str] = {}
    for entry in data["kinds"]:
        for word in entry["words"]:
            kind_by_word[normalize_name(word)] = entry["product_type"]
            kind_phrases[_folded(word)] = entry["product_type"]
        for suffix in entry.get("compound_suffixes", ()):
            kind_suffixes[_folded(suffix)] = entry["product_type"]
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
        _producers=_Phrases.of(producer_phrases),
        _series=_Phrases.of(series_phrases),
        _metals=_Phrases.of(metal_phrases, prefixes=metal_prefixes),
        _kinds=_Phrases.of(kind_phrases, suffixes=kind_suffixes),
        _modifiers=_Phrases.of(bar_modifier),
        _purity_phrases=_Phrases.of(purity_words),
        _weight_re=weight_re,
        _purity_re=purity_re,
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
