"""Inferring a product's producer, metal, product type, weight and purity, with provenance.

The same order for every field (README, "Inference order"):

1. the explicit attribute: the rule for the target (the template's, or the connector's
   own), without its default;
2. the product's attributes whose labels the knowledge file knows (`Feingehalt`, `Poids`);
3. the WooCommerce brand (producer only);
4. tags, then categories;
5. the name, then the description, parsed with the knowledge file;
6. series knowledge: a coin or bar series found in the name, tags or categories implies
   producer, metal, purity and kind;
7. for the weight, WooCommerce's `weight` field (the shipping weight, packaging included:
   only when nothing states the fine weight);
8. the connector's default (the `default` of its rule for the target);
9. an error that lists every source tried, what each gave, and a fix.

A source whose value does not translate falls through to the next. A generic "Bar" is
kept only until a later source says which bar (cast, minted, CombiBar).

Everything per run is built once (`inference_for`): the knowledge file compiled, goldsphere's
reference tables keyed by every alias. Classic payloads, whose attributes say everything,
cost a dictionary lookup per field more than before.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import partial
from typing import Any
from uuid import UUID

from goldsphere_pipelines.mapping import errors as codes
from goldsphere_pipelines.mapping.compiled import FALLBACK
from goldsphere_pipelines.mapping.engine import CompiledRule, RuleFailure
from goldsphere_pipelines.mapping.errors import MappingError, shown_value
from goldsphere_pipelines.mapping.knowledge import (
    INFERRED_FIELDS,
    Found,
    Knowledge,
    Series,
    bullion_knowledge,
    whole_words,
)
from goldsphere_pipelines.mapping.lookups import ProductLookups
from goldsphere_pipelines.mapping.normalize import normalize_name, plain_text
from goldsphere_pipelines.mapping.parsers import (
    Rejected,
    WeightOptions,
    parse_purity,
    parse_weight,
)
from goldsphere_pipelines.mapping.rules import CompiledMapping

_REMEMBERED = 4096
_NAMESPACE = uuid.UUID("6f1d3c0e-9b7a-4c55-8a59-6f0e1b2c3d4e")
MAX_TEXT = 2000
"""Longer text (descriptions) is read only up to here: no regex over a whole page."""
BAR_KINDS = frozenset({"Cast Bar", "Minted Bar", "CombiBar"})
_TABLES = {"product_type": "product_types", "metal": "metals", "producer": "producers"}
_UNKNOWN = {
    "product_type": codes.UNKNOWN_PRODUCT_TYPE,
    "metal": codes.UNKNOWN_METAL,
    "producer": codes.UNKNOWN_PRODUCER,
    "weight": codes.INVALID_WEIGHT,
    "purity": codes.INVALID_PURITY,
}
_FIX = {
    "producer": "state the mint or refinery in an attribute 'Producer', a brand, a tag or the "
    "name; or add its spelling to mapping/knowledge/bullion.json; or add a product rule for "
    "target 'producer' with a default",
    "metal": "add an attribute 'Metal' (Gold, Silver, Platinum, Palladium) or name the metal "
    "in the name or a category; or add a product rule for target 'metal' with a default",
    "product_type": "name the kind (coin, bar, cast bar, minted bar, CombiBar, round) in the "
    "name, a category or an attribute 'Product Type'; or add a product rule for target "
    "'product_type' with a default",
    "weight": 'add an attribute \'Weight\' ("1 oz", "100 g") or state the weight in the name; '
    "or add a product rule for target 'weight'",
    "purity": 'add an attribute \'Fineness\' ("999.9", "24K") or state it in the name or '
    "description; or add a product rule for target 'purity' with a default",
}


def _with(found: Inferred, provenance: str) -> Inferred:
    # dataclasses.replace costs more than the rest of a field's inference.
    return Inferred(found.value, provenance, found.new_producer)


def planned_producer_id(name: str) -> UUID:
    """The id a producer created from the knowledge file gets (the same in every run)."""
    return uuid.uuid5(_NAMESPACE, f"goldsphere-producer:{name}")


@dataclass(frozen=True, slots=True)
class NewProducer:
    """A producer the knowledge file names and goldsphere lacks: to be created."""

    name: str
    country_code: str
    country_name: str


@dataclass(frozen=True, slots=True)
class Inferred:
    """A field's goldsphere value and where it came from."""

    value: Any
    """(id, name) for reference fields, (amount, unit) for weight, Decimal for purity."""
    provenance: str
    new_producer: NewProducer | None = None


_NOT_REFINED = Inferred(None, "")
"""A bar word whose kind of bar goldsphere has no type for (the name's next one may)."""


@dataclass(slots=True)
class _Search:
    refining: bool
    """A generic "Bar" is known: only a kind of bar can improve on it."""


@dataclass(frozen=True, slots=True)
class _Tried:
    source: str
    found: str
    value: str | None = None
    """The value read, when the source had one that did not translate."""


class ProductInference:
    """The inference of one run: rules, knowledge and goldsphere's tables, compiled once."""

    def __init__(self, mapping: CompiledMapping, lookups: ProductLookups) -> None:
        self.knowledge: Knowledge = bullion_knowledge()
        self.create_missing_producers = lookups.create_missing_producers
        self.rules: dict[str, CompiledRule] = {}
        self.defaults: dict[str, Any] = {}
        self.sources: dict[str, str] = {}
        self.rule_names: dict[str, str] = {}
        self.plan: tuple[tuple[str, CompiledRule, bool, Mapping[Any, Inferred] | None], ...]
        """Every rule of the mapping in its order, as (target, rule, inferred, answers): an
        inferred field's rule without its default, for `infer`, and what `infer` answers
        at once for a value of that rule (None: ask `infer`)."""
        for target in INFERRED_FIELDS:
            rule = mapping.rule(target)
            if rule is None:
                continue
            if rule.has_default:
                self.defaults[target] = rule.default
                rule = replace(rule, has_default=False, default=None)
            self.rules[target] = rule
            self.sources[target] = f"`{rule.source_text}`" if rule.source_text.strip() else ""
            # Stored with every product: short; the rule itself is in `goldsphere rules list`.
            self.rule_names[target] = f"the {mapping.origins.get(target, 'template')} rule"
        self._tables: dict[str, Mapping[str, UUID]] = {
            "product_types": lookups.product_types,
            "metals": lookups.metals,
        }
        producers: dict[str, UUID] = dict(lookups.producers)
        self._producer_names: dict[UUID, str] = {}
        self._missing: dict[str, NewProducer] = {}
        for producer in self.knowledge.producers.values():
            spellings = [normalize_name(a) for a in (producer.name, *producer.aliases)]
            found = next((producers[s] for s in spellings if s in producers), None)
            if found is None:
                self._missing[producer.name] = NewProducer(
                    producer.name, producer.country, producer.country_name
                )
                continue
            self._producer_names[found] = producer.name
            for spelling in spellings:
                producers.setdefault(spelling, found)
        self._tables["producers"] = producers
        self._remembered: dict[str, dict[Any, Inferred]] = {t: {} for t in INFERRED_FIELDS}
        self.plan = tuple(
            (target, self.rules[target], True, self._answers(target))
            if target in self.rules
            else (target, rule, False, None)
            for target, rule in mapping.rules.items()
        )
        self._bar_words = self.knowledge.bar_words()
        self._bar_word_re = whole_words(self._bar_words)
        self._refined_by_word: dict[str, Inferred] = {}
        """Bar word → the bar it refines to (`_NOT_REFINED`: goldsphere has no such type)."""

    def _refined_bar(self, product: dict[str, Any], generic: Inferred) -> Inferred:
        """The explicit rule said "Bar": the first word of the name that says which bar
        ("cast", "geprägt", "CombiBar", a series of minted bars such as "Fortuna") and that
        goldsphere has a type for. The rule read the attributes and categories already."""
        name = product.get("name")
        if not isinstance(name, str) or self._bar_word_re is None:
            return generic
        # Half of a classic catalogue is bars: one regex search over the folded name costs
        # less than splitting it into words and looking each up.
        for match in self._bar_word_re.finditer(plain_text(name[:MAX_TEXT])):
            refined = self._refined_by_word.get(match.group())
            if refined is None:
                refined = self._refine_by(match.group())
            if refined is not _NOT_REFINED:
                return refined
        return generic

    def _refine_by(self, word: str) -> Inferred:
        kind, how = self._bar_words[word]
        found = self._reference("product_type", kind)
        refined = _with(found, how) if isinstance(found, Inferred) else _NOT_REFINED
        self._refined_by_word[word] = refined
        return refined

    def _answers(self, target: str) -> Mapping[Any, Inferred] | None:
        # A remembered "Bar" is still refined by the name: only `infer` can answer for it.
        return None if target == "product_type" else self._remembered[target]

    def _remember(self, target: str, explicit: Any, result: Inferred) -> Inferred:
        memory = self._remembered[target]
        if len(memory) >= _REMEMBERED:
            memory.clear()
        memory[explicit] = result
        return result

    # --- the whole chain -------------------------------------------------------------------

    def infer(
        self,
        target: str,
        product: dict[str, Any],
        store_unit: str | None,
        explicit: Any,
    ) -> Inferred | MappingError:
        """`explicit` is what the target's rule gave: a value, None, or its `MappingError`."""
        if explicit is not None and type(explicit) is not MappingError:
            # Shops repeat the same few attribute values: their translation is remembered.
            remembered = self._remembered[target].get(explicit)
            if remembered is not None:
                if target == "product_type" and remembered.value[1] == "Bar":
                    return self._refined_bar(product, remembered)
                return remembered
        tried: list[_Tried] = []
        generic: Inferred | None = None
        source = self.sources.get(target, "")
        if isinstance(explicit, MappingError) and explicit.code != codes.MISSING_FIELD:
            tried.append(_Tried(f"rule {source}", explicit.message, explicit.value))
        elif explicit is None or isinstance(explicit, MappingError):
            tried.append(_Tried(f"rule {source}", "nothing"))
        else:
            found = self._exact(target, explicit, store_unit)
            if isinstance(found, Inferred):
                result = _with(found, self.rule_names[target])
                if not (target == "product_type" and found.value[1] == "Bar"):
                    return self._remember(target, explicit, result)
                return self._refined_bar(product, self._remember(target, explicit, result))
            else:
                shown = shown_value(explicit)
                tried.append(_Tried(f"rule {source}", f"{shown!r} ({found})", shown))
        search = _Search(refining=generic is not None)
        for how, attempt in self._later_sources(target, product, store_unit, search):
            later = attempt()
            if later is None:
                continue
            if isinstance(later, str):
                tried.append(_Tried(how, later))
                continue
            result = later if later.provenance else _with(later, how)
            if target == "product_type" and result.value[1] == "Bar":
                if generic is None:
                    generic = result
                    search.refining = True
                continue
            if generic is not None and result.value[1] not in BAR_KINDS:
                continue  # only a kind of bar refines a bar
            return result
        if generic is not None:
            return generic
        if target in self.defaults:
            default = self.defaults[target]
            if default is not None:
                found = self._exact(target, default, store_unit)
                if isinstance(found, Inferred):
                    return _with(found, "the connector's default")
                tried.append(_Tried("the connector's default", f"{default!r} ({found})"))
        return self._failure(target, tried)

    def _later_sources(
        self, target: str, product: dict[str, Any], store_unit: str | None, search: _Search
    ) -> Iterator[tuple[str, Callable[[], Inferred | str | None]]]:
        """(label, attempt) in the inference order after the explicit rule, built as they are
        asked for; an attempt gives an `Inferred`, a string saying what it found that does
        not translate, or None."""
        k = self.knowledge
        # Refining a generic "Bar" the explicit rule found, only the name and the series
        # can still say which bar (the rule read the attributes and categories already).
        for attribute in [] if search.refining else _dicts(product.get("attributes")):
            label = attribute.get("name")
            if not isinstance(label, str) or k.label_field(label) != target:
                continue
            for option in _texts(attribute.get("options"))[:3] or _texts([attribute.get("option")]):
                yield (
                    f"attribute '{label}'",
                    partial(self._exact, target, option, store_unit, or_text=True),
                )
        if target == "producer":
            for brand in _dicts(product.get("brands")):
                name = brand.get("name")
                if isinstance(name, str):
                    yield f"brand '{name}'", partial(self._exact, target, name, None, or_text=True)
        if target in ("producer", "metal", "product_type"):
            for collection, noun in (("tags", "tag"), ("categories", "category")):
                for term in _dicts(product.get(collection)):
                    name = term.get("name")
                    if isinstance(name, str) and not search.refining:
                        # A category that states nothing about the field is no finding.
                        yield f"{noun} '{name}'", partial(self._stated, target, name)
        name = product.get("name")
        if isinstance(name, str):
            yield "name", partial(self._in_text, target, name, "name")
        description = product.get("description") or product.get("short_description")
        # A description is long: read only when nothing better said anything.
        if isinstance(description, str) and not search.refining:
            yield "description", partial(self._in_text, target, description, "description")
        if target in ("producer", "metal", "purity", "product_type"):
            yield "series", partial(self._from_series, target, product)
        if target == "weight":
            weight = product.get("weight")
            if isinstance(weight, str) and weight.strip():
                yield (
                    "WooCommerce's weight field (shipping weight)",
                    partial(self._exact, target, weight, store_unit),
                )

    # --- one source ----------------------------------------------------------------------

    def _exact(
        self, target: str, value: Any, store_unit: str | None, *, or_text: bool = False
    ) -> Inferred | str:
        """`value` (a whole attribute option, brand, category, default) as the target's value;
        with `or_text`, also what the knowledge file finds in it. A string says why not."""
        if target == "weight":
            if isinstance(value, tuple):
                return self._weight(value, "")
            try:
                return self._weight(parse_weight(value, _WEIGHT_OPTIONS, store_unit=store_unit), "")
            except Rejected as problem:
                if or_text and isinstance(value, str):
                    found = self.knowledge.weight_in(value[:MAX_TEXT])
                    if found is not None:
                        return self._weight(found.value, "")
                return problem.reason
        if target == "purity":
            if isinstance(value, Decimal):
                return Inferred(value, "")
            try:
                return Inferred(parse_purity(value), "")
            except Rejected as problem:
                if or_text and isinstance(value, str):
                    stated = self._purity_in(value)
                    if stated is not None:
                        return _with(stated, "")
                return problem.reason
        if not isinstance(value, str):
            return "not text"
        table = self._tables[_TABLES[target]]
        found_id = table.get(normalize_name(value))
        if found_id is not None:
            return Inferred((found_id, self._display(target, found_id, value)), "")
        knowledge = self.knowledge
        if target == "producer":
            producer = knowledge.producer_named(value)
            if producer is None and or_text:
                hit = knowledge.producer_in(value[:MAX_TEXT])
                producer = hit.value if hit is not None else None
            if producer is not None:
                return self._producer(producer.name)
            return "not a producer goldsphere or the knowledge file knows"
        if target == "metal":
            metal = knowledge.metal_named(value)
            if metal is None and or_text:
                hit = knowledge.metal_in(value[:MAX_TEXT])
                metal = hit.value if hit is not None else None
            return self._reference(target, metal) if metal else "names no metal"
        hit = knowledge.kind_in(value[:MAX_TEXT])
        return self._reference(target, hit.value) if hit is not None else "names no product type"

    def _stated(self, target: str, term: str) -> Inferred | str | None:
        found = self._exact(target, term, None, or_text=True)
        # Reasons that name a recognised value ("'C. Hafner' is not a goldsphere producer")
        # are findings; "names no metal" is not.
        return found if isinstance(found, Inferred) or found.startswith("'") else None

    def _in_text(self, target: str, text: str, where: str) -> Inferred | str | None:
        """What the knowledge file finds in running text: "'1 oz' in name"."""
        text = text[:MAX_TEXT]
        k = self.knowledge
        found: Found | None
        if target == "producer":
            found = k.producer_in(text)
            if found is None:
                return None
            result = self._producer(found.value.name)
        elif target == "metal":
            found = k.metal_in(text)
            if found is None:
                return None
            result = self._reference(target, found.value)
        elif target == "product_type":
            found = k.kind_in(text)
            if found is None:
                return None
            result = self._reference(target, found.value)
        elif target == "weight":
            found = k.weight_in(text)
            if found is None:
                return None
            result = self._weight(found.value, "")
        else:
            purity = self._purity_in(text)
            if purity is None:
                return None
            return _with(purity, f"{purity.provenance} in {where}")
        assert found is not None
        if isinstance(result, str):
            return f"'{found.said}' ({result})"
        return _with(result, f"'{found.said}' in {where}")

    def _from_series(self, target: str, product: dict[str, Any]) -> Inferred | str | None:
        hit = self._series(product)
        if hit is None:
            return None
        series, where = hit
        value: Any
        if target == "producer":
            result = self._producer(series.producer)
        elif target == "metal":
            if series.metal is None:
                return None
            result = self._reference(target, series.metal)
        elif target == "product_type":
            if series.kind is None:
                return None
            result = self._reference(target, series.kind)
        else:
            metal = self._metal_name(product)
            value = series.usual_purity(metal)
            if value is None:
                return None
            result = Inferred(value, "")
        if isinstance(result, str):
            return f"series '{series.name}' ({result})"
        return _with(result, f"series '{series.name}' in {where}")

    def _series(self, product: dict[str, Any]) -> tuple[Series, str] | None:
        name = product.get("name")
        if isinstance(name, str):
            found = self.knowledge.series_in(name[:MAX_TEXT])
            if found is not None:
                return found.value, "name"
        for collection, noun in (("tags", "tag"), ("categories", "category")):
            for term in _dicts(product.get(collection)):
                text = term.get("name")
                if isinstance(text, str):
                    found = self.knowledge.series_in(text[:MAX_TEXT])
                    if found is not None:
                        return found.value, f"{noun} '{text}'"
        return None

    def _metal_name(self, product: dict[str, Any]) -> str | None:
        """The metal as far as the product states it (series purities depend on it)."""
        outcome = self.infer("metal", product, None, None) if "metal" in self.rules else None
        if isinstance(outcome, Inferred):
            return str(outcome.value[1])
        return None

    def _purity_in(self, text: str) -> Inferred | None:
        found = self.knowledge.purity_in(text[:MAX_TEXT])
        if found is None:
            return None
        if isinstance(found.value, Decimal):
            return Inferred(found.value, f"'{found.said}'")
        try:
            return Inferred(parse_purity(found.value), f"'{found.said}'")
        except Rejected:
            return None

    # --- goldsphere values -------------------------------------------------------------

    def _producer(self, name: str) -> Inferred | str:
        found = self._tables["producers"].get(normalize_name(name))
        if found is not None:
            return Inferred((found, self._producer_names.get(found, name)), "")
        missing = self._missing.get(name)
        if missing is None:
            return f"{name!r} is not a goldsphere producer"
        if not self.create_missing_producers:
            return (
                f"{name!r} is known to the knowledge file but not a goldsphere producer, "
                "and create_missing_producers is off"
            )
        return Inferred((planned_producer_id(name), name), "", new_producer=missing)

    def _reference(self, target: str, name: str) -> Inferred | str:
        table = self._tables[_TABLES[target]]
        found = table.get(normalize_name(name))
        if found is None and target == "product_type" and name in BAR_KINDS:
            found, name = table.get(normalize_name("Bar")), "Bar"
        if found is None:
            return f"{name!r} is not a goldsphere {target.replace('_', ' ')}"
        return Inferred((found, name), "")

    def _display(self, target: str, found: UUID, value: str) -> str:
        if target == "producer":
            return self._producer_names.get(found, value)
        return value

    @staticmethod
    def _weight(value: tuple[Decimal, str], provenance: str) -> Inferred:
        return Inferred(value, provenance)

    def _failure(self, target: str, tried: list[_Tried]) -> MappingError:
        read = [t for t in tried if t.found != "nothing"]
        code = _UNKNOWN[target] if read else codes.MISSING_FIELD
        listed = "; ".join(f"{t.source} gave {t.found}" for t in tried[:8]) or "no source"
        fix = _FIX[target]
        if any("create_missing_producers is off" in t.found for t in tried):
            fix = (
                "turn on the connector's create_missing_producers setting "
                "(goldsphere connectors update NAME --create-missing-producers), or add the "
                "producer to goldsphere's producer table"
            )
        return MappingError(
            field=target,
            code=code,
            message=f"{target}: no source gives a goldsphere {target.replace('_', ' ')}. "
            f"Tried: {listed}. Fix: {fix}.",
            value=next((t.value for t in read if t.value is not None), None),
            tried=[{"source": t.source, "found": t.found} for t in tried[:20]],
            fix=fix,
        )


_WEIGHT_OPTIONS = WeightOptions()


def describe(target: str, inferred: Inferred) -> str:
    """`"producer: Perth Mint — from series 'Kangaroo' in name"`."""
    value = inferred.value
    if target in _TABLES:
        shown = str(value[1])
    elif target == "weight":
        shown = f"{value[0].normalize():f} {value[1]}"
    else:
        shown = str(value)
    return f"{target}: {shown} — from {inferred.provenance or 'the rule'}"


def _dicts(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        return []
    return [item for item in value[:50] if isinstance(item, dict)]


def _texts(value: Any) -> list[str]:
    if not isinstance(value, list):
        return []
    return [item for item in value[:50] if isinstance(item, str) and item.strip()]


_Cached = tuple[CompiledMapping, ProductLookups, ProductInference]
_CACHE: dict[tuple[int, int], _Cached] = {}
_LAST: list[_Cached | None] = [None]


def inference_for(mapping: CompiledMapping, lookups: ProductLookups) -> ProductInference:
    """The inference for this mapping and these lookups, built on first use (a run maps
    thousands of products with the same two)."""
    last = _LAST[0]
    if last is not None and last[0] is mapping and last[1] is lookups:
        return last[2]  # the run's own, asked for once per product
    key = (id(mapping), id(lookups))
    cached = _CACHE.get(key)
    if cached is None or cached[0] is not mapping or cached[1] is not lookups:
        cached = (mapping, lookups, ProductInference(mapping, lookups))
        if len(_CACHE) >= 8:
            _CACHE.clear()
        # The mapping and lookups are kept with it, so that their ids are not reused meanwhile.
        _CACHE[key] = cached
    _LAST[0] = cached
    return cached[2]


def explicit_value(rule: CompiledRule, product: dict[str, Any], store_unit: str | None) -> Any:
    """What the explicit rule gives: its value, None, or its `MappingError`. (`map_product`
    inlines the same steps in its loop; products built from order lines ask here.)"""
    value = rule.fast_path(product, store_unit)
    if value is not FALLBACK:
        return value
    try:
        return rule.evaluate(product, store_unit=store_unit)
    except RuleFailure as failure:
        return failure.error
