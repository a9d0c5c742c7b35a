"""The product mapper's speed-ups change no result.

`map_product` walks the rules and the inference as one plan, answers a rule's value from
what it translated before, refines a bar with one regex and folds text through
`str.translate`. The straightforward mapper below is the one it replaced, written out:
each field's rule evaluated, then the whole inference chain from a fresh
`ProductInference` (nothing remembered), a bar refined word by word, text folded by
Unicode decomposition, the product validated by pydantic. Every record of every sandbox
dialect must map to the same payload and the same errors through both.
"""

from __future__ import annotations

import random
import re
import sys
import unicodedata
from dataclasses import replace
from typing import Any

import pytest

from goldsphere_pipelines.mapping import (
    MappedProduct,
    ProductLookups,
    compile_rules,
    map_product,
    normalize_name,
)
from goldsphere_pipelines.mapping.benchmark import reference_lookups, sandbox_catalogue
from goldsphere_pipelines.mapping.compiled import FALLBACK
from goldsphere_pipelines.mapping.engine import CompiledRule, RuleFailure
from goldsphere_pipelines.mapping.errors import MappingError
from goldsphere_pipelines.mapping.inference import MAX_TEXT, Inferred, ProductInference
from goldsphere_pipelines.mapping.knowledge import bullion_knowledge, whole_words
from goldsphere_pipelines.mapping.normalize import plain_text
from goldsphere_pipelines.mapping.products import (
    CONTAINER_TYPES,
    _currency,
    _new_producer,
    _optional_id,
)
from goldsphere_pipelines.mapping.record_checks import record_id, wrong_type
from goldsphere_pipelines.mapping.rules import CompiledMapping
from goldsphere_pipelines.mapping.variations import inherit
from goldsphere_pipelines.sandbox.dialects import DIALECTS
from goldsphere_pipelines_tests.mapping import factories

_WORD = re.compile(r"[^\W_]+")
_NOT_WORD = re.compile(r"[\W_]+")


def _decomposed(text: str) -> str:
    """Folding as Unicode defines it: NFKD, combining marks dropped, case-folded."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


class _StraightforwardInference(ProductInference):
    def _refined_bar(self, product: dict[str, Any], generic: Inferred) -> Inferred:
        name = product.get("name")
        if not isinstance(name, str):
            return generic
        for word in _WORD.findall(_decomposed(name[:MAX_TEXT])):
            found = self._bar_words.get(word)
            if found is not None:
                kind, how = found
                refined = self._reference("product_type", kind)
                if isinstance(refined, Inferred):
                    return Inferred(refined.value, how, refined.new_producer)
        return generic


def _explicit(rule: CompiledRule, product: dict[str, Any]) -> Any:
    value = rule.fast_path(product, None)
    if value is not FALLBACK:
        return value
    try:
        return rule.evaluate(product, store_unit=None)
    except RuleFailure as failure:
        return failure.error


def straightforward_map(
    payload: Any, parent: Any, currency: str, mapping: CompiledMapping, lookups: ProductLookups
) -> tuple[dict[str, Any] | None, list[dict[str, Any]], bool]:
    """(mapped payload, errors, sellable), as `map_product` gave them before its speed-ups."""
    if not isinstance(payload, dict):
        return None, [wrong_type("payload", payload, "a product object").as_json()], True
    errors: list[MappingError] = []
    external_id = record_id(payload.get("id"), "external_id", errors)
    if parent is not None:
        parent_external_id = record_id(parent.get("id"), "parent_external_id", errors)
        product = inherit(parent, payload)
    else:
        parent_external_id = _optional_id(payload.get("parent_id"))
        product = payload
        if product.get("type") in CONTAINER_TYPES:
            return None, [e.as_json() for e in errors], False
    inference = _StraightforwardInference(mapping, lookups)
    values: dict[str, Any] = {}
    inferred: dict[str, Inferred] = {}
    for target, rule in mapping.rules.items():
        if target in inference.rules:
            outcome = inference.infer(
                target, product, None, _explicit(inference.rules[target], product)
            )
            if isinstance(outcome, MappingError):
                errors.append(outcome)
            else:
                inferred[target] = outcome
            continue
        value = _explicit(rule, product)
        if isinstance(value, MappingError):
            errors.append(value)
        else:
            values[target] = value
    checked_currency = _currency(currency, errors)
    if errors:
        return None, [e.as_json() for e in errors], True
    weight, weight_unit = inferred["weight"].value
    stock, in_stock = values.get("stock_quantity"), values.get("in_stock")
    new = inferred["producer"].new_producer
    product_type, metal, producer = (
        inferred[t].value for t in ("product_type", "metal", "producer")
    )
    mapped = MappedProduct(
        external_id=external_id or "",
        parent_external_id=parent_external_id,
        sku=values.get("sku") or None,
        name=values["name"],
        product_type_id=product_type[0],
        product_type_name=product_type[1],
        metal_id=metal[0],
        metal_name=metal[1],
        producer_id=producer[0],
        producer_name=producer[1],
        weight=weight,
        weight_unit=weight_unit,
        purity=inferred["purity"].value,
        price=values["price"],
        currency=checked_currency or "",
        year=values.get("year"),
        description=values.get("description") or None,
        image_url=values.get("image_url") or "",
        in_stock=True if in_stock is None else in_stock,
        stock_quantity=None if stock is None else max(stock, 0),
        provenance={t: found.provenance or "the rule" for t, found in inferred.items()},
        new_producer=None if new is None else _new_producer(new),
    )
    return mapped.model_dump(mode="json"), [], True


def _lookups(variant: str) -> ProductLookups:
    full = reference_lookups()
    if variant == "all producers":
        return full
    if variant == "five producers, none created":
        return factories.product_lookups()  # create_missing_producers off
    # Without these types, a cast bar or a CombiBar is a plain "Bar" in goldsphere.
    kept = {k: v for k, v in full.product_types.items() if k not in ("castbar", "combibar")}
    return replace(full, product_types=kept)


_RECORDS = {dialect: sandbox_catalogue(120, dialect) for dialect in DIALECTS}
_EXAMPLES = [
    (factories.gold_coin(), None),
    (factories.silver_bar_parent(), None),
    (factories.silver_bar_variation(), factories.silver_bar_parent()),
    (factories.silver_bar_variation("1 kg", name=""), factories.silver_bar_parent(name="")),
    (factories.gold_coin(attributes=[], categories=[], name="Lingot d'or coulé 1 kg"), None),
    (factories.gold_coin(attributes=[], name="Goldbarren geprägt 100 g – Heraeus"), None),
    ("not a product", None),
]


@pytest.mark.parametrize(
    "variant", ["all producers", "five producers, none created", "no cast bars or CombiBars"]
)
@pytest.mark.parametrize("dialect", DIALECTS)
def test_every_record_maps_as_the_straightforward_mapper(dialect: str, variant: str) -> None:
    records, currency = _RECORDS[dialect]
    mapping, lookups = compile_rules("product"), _lookups(variant)
    cases = [(r.payload, r.parent) for r in records] + _EXAMPLES
    mapped = 0
    for payload, parent in cases:
        fast = map_product(
            payload, parent=parent, store_currency=currency, mapping=mapping, lookups=lookups
        )
        expected = straightforward_map(payload, parent, currency, mapping, lookups)
        got = (
            fast.product.to_json() if fast.product is not None else None,
            [e.as_json() for e in fast.errors],
            fast.sellable,
        )
        assert got == expected, (
            dialect,
            variant,
            payload if isinstance(payload, str) else payload.get("id"),
        )
        mapped += fast.product is not None
    assert mapped >= 20  # the comparison covers mapped products, not only failures


def test_plain_text_folds_every_character_as_unicode_decomposition() -> None:
    # Lone surrogates never reach the mapper (the JSON decoder refuses them).
    characters = [chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF]
    for start in range(0, len(characters), 4096):
        chunk = characters[start : start + 4096]
        folded = "".join(_decomposed(c) for c in chunk)
        assert plain_text("".join(chunk)) == folded, hex(ord(chunk[0]))
        assert normalize_name("".join(chunk)) == _NOT_WORD.sub("", folded), hex(ord(chunk[0]))


def test_plain_text_folds_running_text_as_unicode_decomposition() -> None:
    # Combining sequences in both orders, Hangul, final sigma, compatibility forms, dashes.
    alphabet = [
        *"aAeEoOuUsSß_- –—,.'/0123456789",
        "\u0301", "\u0308", "\u0327", "\u0323", "\u031b", "é", "Ö", "ñ", "ǅ", "ﬁ", "½", "Ⅻ",
        "한", "Σ", "ς", "İ", "ｇ", "\u00a0", "™", "ø", "Ł",
    ]  # fmt: skip
    rng = random.Random(15)
    texts = ["Münze Österreich – 1 Unze", "Lingot d'or coulé", "ΣΟΦΟΣ", "e\u0301\u0323"]
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 30))) for _ in range(3000)]
    for text in texts:
        assert plain_text(text) == _decomposed(text), text
        assert normalize_name(text) == _NOT_WORD.sub("", _decomposed(text)), text


def test_whole_words_finds_the_words_words_in_finds() -> None:
    bar_words = bullion_knowledge().bar_words()
    pattern = whole_words(bar_words)
    assert pattern is not None
    pieces = [*bar_words, "bar", "barren", "broadcast", "castle", "_", "-", " ", "–", "é", "1"]
    rng = random.Random(15)
    for _ in range(3000):
        text = plain_text("".join(rng.choice(pieces) for _ in range(rng.randint(1, 8))))
        expected = [w for w in _WORD.findall(text) if w in bar_words]
        assert [m.group() for m in pattern.finditer(text)] == expected, text
    assert whole_words(["hand poured"]) is None  # a phrase is never one word
