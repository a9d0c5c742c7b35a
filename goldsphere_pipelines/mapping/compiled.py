"""The fast path of `CompiledRule.evaluate`: a rule compiled once into one closure.

`CompiledRule.evaluate_reference` (engine.py) defines what a rule does: it reads every
candidate, extracts, translates and parses them as lists, and builds an error object
for whatever fails. A sync runs each rule some hundred thousand times, nearly always on
good values, so `compile_fast_path` builds a closure that only does what a good value
needs:

- source paths are compiled readers (paths.py); a plain field is one `dict.get`;
- candidates are extracted and translated one at a time, and the first that survives
  is parsed. The reference translates them all first, but translating has no side
  effect, so the answer is the same; a rule with a regex still extracts every
  candidate (extraction can fail on a later one), and `sum` adds them all;
- the parser is picked once and bound to the target's options; what it returns for
  short text and small whole numbers is remembered per rule, because shops repeat the
  same statuses, currencies, amounts, names and e-mails thousands of times;
- nothing here builds an error. Whenever the reference would fail (a required value
  absent, a value no map or keyword knows, a value its parser refuses) or anything
  unexpected happens, the closure answers `FALLBACK` and the caller runs the reference,
  which reports what it always reported.

The fast path may therefore only ever err by answering `FALLBACK` when it need not;
the tests run both paths on generated payloads and compare.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from functools import partial
from typing import Any, Final, NamedTuple

from goldsphere_pipelines.mapping import parsers
from goldsphere_pipelines.mapping.kinds import kind_parser, parse_value
from goldsphere_pipelines.mapping.normalize import name_words, normalize_name
from goldsphere_pipelines.mapping.paths import (
    MAX_CANDIDATES,
    Key,
    PathReader,
    ValueReader,
    path_reader,
    value_reader,
)
from goldsphere_pipelines.mapping.rule_shape import RuleShape
from goldsphere_pipelines.mapping.transforms import MAX_REGEX_INPUT, first_keyword


class _Marker:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


FALLBACK: Final = _Marker("FALLBACK")
"""The fast path's answer when only the reference evaluation can give the right one."""

FastPath = Callable[[Any, "str | None"], Any]
"""`fast_path(payload, store_unit)`: the value `evaluate` returns, or `FALLBACK`."""

_DROPPED: Final = _Marker("DROPPED")  # a candidate the regex or the translation dropped
_UNKNOWN: Final = _Marker("UNKNOWN")  # not remembered yet

# What a rule remembers: short keys only, and few enough of them that a shop of unique
# values costs well under a megabyte per rule. A full memory starts afresh.
_REMEMBERED_KEY_LENGTH = 128
_REMEMBERED_VALUES = 2048
_REMEMBERED_INTS = 2**63
_REMEMBERED_UNITS = 8  # store weight units: a sync has one

_Parse = Callable[[Any, "str | None"], Any]
_Survive = Callable[[Any], Any]
_Without = Callable[[bool, "str | None"], Any]


def compile_fast_path(rule: RuleShape) -> FastPath:
    """The closure `CompiledRule.evaluate` tries before the reference evaluation."""
    return compile_fast_path_with_memory(rule)[0]


class FieldMemory(NamedTuple):
    """What the fast path of a rule reading one field without transforms answers from.

    For a `str` read from that field, the closure returns `memory[text]` when present,
    else `miss(text)`, which remembers its answer (compiled_orders.py inlines the lookup).
    """

    memory: dict[Any, Any]
    miss: Callable[[str], Any]


def compile_fast_path_with_memory(rule: RuleShape) -> tuple[FastPath, FieldMemory | None]:
    """`compile_fast_path`, and the `FieldMemory` of a rule that reads one field without
    transforms (None for every other rule)."""
    transforms = rule.regex is not None or rule.mapping is not None or bool(rule.keywords)
    if rule.target.kind == "objects":
        return (_fallback_only if transforms else _objects_path(rule)), None
    parse, memory = compile_parser(rule)
    without = _without_candidates(rule, parse)
    if len(rule.paths) == 1 and not rule.sum:
        path = rule.paths[0]
        if not transforms and memory is not None and len(path.steps) == 1:
            step = path.steps[0]
            if isinstance(step, Key):
                fast_path = _field_path(step.name, parse, memory, without)
                miss = _field_miss(_one_value_parser(rule), memory, without(False, None))
                return fast_path, FieldMemory(memory, miss)
        reader = value_reader(path)
        if reader is not None:
            survive = _survivor(rule) if transforms else None
            return _one_value_path(reader, parse, survive, without), None
    readers = [path_reader(path) for path in rule.paths]
    survive = _survivor(rule) if transforms else None
    return _candidates_path(rule, readers, parse, survive, without), None


def _fallback_only(payload: Any, store_unit: str | None) -> Any:
    """Leaves the rule to the reference evaluation (a list target with transforms)."""
    return FALLBACK


# --- when no candidate survives ------------------------------------------------------------


def _without_candidates(rule: RuleShape, parse: _Parse) -> _Without:
    """`without(read, store_unit)`: what the rule gives when no candidate is left; `read`
    says whether any candidate was read at all."""
    if rule.has_default and rule.default is not None:
        default, summing = rule.default, rule.sum

        def from_default(read: bool, store_unit: str | None) -> Any:
            value = parse(default, store_unit)
            return Decimal(0) + value if summing else value

        if rule.target.kind == "weight":
            return from_default  # the unit of a bare number depends on the store
        try:
            constant = from_default(False, None)
        except Exception:  # noqa: BLE001 - a default its parser refuses: the reference reports it
            constant = FALLBACK
        return lambda read, store_unit: constant
    # No default (or a null one): nothing is None unless the rule requires a value, and
    # values read but never translated are an error unless there is a (null) default.
    transforms = rule.regex is not None or rule.mapping is not None or bool(rule.keywords)
    absent = FALLBACK if rule.required else None
    untranslated = absent if rule.has_default or not transforms else FALLBACK
    return lambda read, store_unit: untranslated if read else absent


# --- the evaluation shapes ------------------------------------------------------------------


def _field_path(name: str, parse: _Parse, memory: dict[Any, Any], without: _Without) -> FastPath:
    """One plain field, no transforms (most rules): a text seen before costs one lookup."""
    nothing = without(False, None)  # the same for every store: weight rules never get here
    # `memory` only holds what `parse` returned, and here `parse` only sees text that is
    # not blank, or the default (whose result `nothing` is anyway): a hit needs no check.

    def fast_path(payload: Any, store_unit: str | None) -> Any:
        if not isinstance(payload, dict):
            return nothing
        value = payload.get(name)
        if type(value) is str:
            found = memory.get(value, _UNKNOWN)
            if found is not _UNKNOWN:
                return found
            if not value.strip():
                return nothing
        elif value is None or (isinstance(value, str) and not value.strip()):
            return nothing
        try:
            return parse(value, store_unit)
        except Exception:  # noqa: BLE001 - the reference evaluation says what went wrong
            return FALLBACK

    return fast_path


def _field_miss(parse_one: Callable[[Any], Any], memory: dict[Any, Any], nothing: Any) -> Any:
    """What `_field_path` returns for a text its memory lacks, remembered as it does."""

    def miss(value: str) -> Any:
        if not value.strip():
            return nothing
        try:
            found = parse_one(value)
        except Exception:  # noqa: BLE001 - the reference evaluation says what went wrong
            return FALLBACK
        _remember(memory, value, found)
        return found

    return miss


def _one_value_path(
    read: ValueReader, parse: _Parse, survive: _Survive | None, without: _Without
) -> FastPath:
    """A single path of fields and indexes: one candidate at most."""

    def fast_path(payload: Any, store_unit: str | None) -> Any:
        try:
            value = read(payload)
            if value is None or (isinstance(value, str) and not value.strip()):
                return without(False, store_unit)
            if survive is not None:
                value = survive(value)
                if value is _DROPPED:
                    return without(True, store_unit)
            return parse(value, store_unit)
        except Exception:  # noqa: BLE001 - the reference evaluation says what went wrong
            return FALLBACK

    return fast_path


def _candidates_path(
    rule: RuleShape,
    readers: Sequence[PathReader],
    parse: _Parse,
    survive: _Survive | None,
    without: _Without,
) -> FastPath:
    """Alternatives, [*] and [key=value] selectors, `sum`: any number of candidates."""
    summing = rule.sum
    # Extraction may refuse a candidate (a huge number), and the reference extracts them
    # all: with a regex, every candidate is looked at even after one survived.
    stop_at_first = not summing and rule.regex is None

    def fast_path(payload: Any, store_unit: str | None) -> Any:
        try:
            survivors: list[Any] = []
            read = 0
            for reader in readers:
                for value in reader(payload):
                    if value is None or (isinstance(value, str) and not value.strip()):
                        continue
                    read += 1
                    if survive is not None:
                        value = survive(value)
                    if value is not _DROPPED:
                        if stop_at_first:
                            return parse(value, store_unit)
                        survivors.append(value)
                    if read >= MAX_CANDIDATES:
                        break
                if read >= MAX_CANDIDATES:
                    break
            if not survivors:
                return without(read > 0, store_unit)
            if not summing:
                return parse(survivors[0], store_unit)
            total = Decimal(0)
            for value in survivors:
                total += parse(value, store_unit)
            return total
        except Exception:  # noqa: BLE001 - the reference evaluation says what went wrong
            return FALLBACK

    return fast_path


def _objects_path(rule: RuleShape) -> FastPath:
    """A list target such as `items`, without transforms: every value read."""
    readers = [path_reader(path) for path in rule.paths]
    if rule.has_default and rule.default is not None:
        default: list[Any] | None = [rule.default]
    else:
        default = None
    absent = FALLBACK if rule.required else None

    def fast_path(payload: Any, store_unit: str | None) -> Any:
        try:
            found: list[Any] = []
            for reader in readers:
                for value in reader(payload):
                    if value is None or (isinstance(value, str) and not value.strip()):
                        continue
                    found.append(value)
                    if len(found) >= MAX_CANDIDATES:
                        return found
            if found:
                return found
            return list(default) if default is not None else absent
        except Exception:  # noqa: BLE001 - the reference evaluation says what went wrong
            return FALLBACK

    return fast_path


# --- regex, map and keywords for one candidate ----------------------------------------------


def _survivor(rule: RuleShape) -> _Survive:
    """What becomes of one candidate: its extracted and translated value, or `_DROPPED`."""
    extract = _extractor(rule) if rule.regex is not None else None
    translate = _translator(rule) if rule.mapping is not None or rule.keywords else None
    if extract is None:
        assert translate is not None
        return translate
    if translate is None:
        return extract
    extract_first, translate_then = extract, translate

    def survive(candidate: Any) -> Any:
        value = extract_first(candidate)
        return value if value is _DROPPED else translate_then(value)

    return survive


def _extractor(rule: RuleShape) -> _Survive:
    regex = rule.regex
    assert regex is not None
    grouped = bool(regex.groups)
    remembered: dict[str, Any] = {}

    def extract(candidate: Any) -> Any:
        if isinstance(candidate, bool) or not isinstance(candidate, str | int):
            return _DROPPED
        text = candidate if isinstance(candidate, str) else parsers.as_text(candidate)
        text = text[:MAX_REGEX_INPUT]
        found = remembered.get(text, _UNKNOWN)
        if found is _UNKNOWN:
            match = regex.search(text)
            found = _DROPPED
            if match is not None:
                value = match.group(1) if grouped else match.group(0)
                if value:
                    found = value
            _remember(remembered, text, found)
        return found

    return extract


def _translator(rule: RuleShape) -> _Survive:
    mapping, keywords = rule.mapping, rule.keywords
    remembered: dict[str, Any] = {}

    def translate(candidate: Any) -> Any:
        if isinstance(candidate, bool):
            text = "true" if candidate else "false"
        elif isinstance(candidate, str):
            text = candidate
        elif isinstance(candidate, int) and candidate.bit_length() <= parsers.MAX_INT_BITS:
            text = str(candidate)
        else:
            return _DROPPED
        if len(text) > MAX_REGEX_INPUT:
            return _DROPPED
        found = remembered.get(text, _UNKNOWN)
        if found is _UNKNOWN:
            found = _DROPPED
            if mapping is not None:
                key = normalize_name(text)
                if key in mapping:
                    found = mapping[key]
            if found is _DROPPED and keywords:
                keyword = first_keyword(name_words(text), keywords)
                if keyword is not None:
                    found = keyword.value
            _remember(remembered, text, found)
        return found

    return translate


def _remember(memory: dict[Any, Any], key: Any, value: Any) -> None:
    if type(key) is str and len(key) > _REMEMBERED_KEY_LENGTH:
        return
    if len(memory) >= _REMEMBERED_VALUES:
        memory.clear()
    memory[key] = value


# --- parsers ---------------------------------------------------------------------------------


def compile_parser(rule: RuleShape) -> tuple[_Parse, dict[Any, Any] | None]:
    """`parse(value, store_unit)`: `parse_value` for the rule's target, raising `Rejected`,
    and the memory of what it returned for short text and whole numbers (None for weight,
    whose answer depends on the store).

    Memory keys are exact `str` or `int` only: `True == 1` and `1.0 == 1` must not share
    an entry. Refusals raise and are not remembered; every remembered value is immutable.
    """
    target, weight_options = rule.target, rule.weight_options
    kind = target.kind
    if kind == "weight":
        by_unit: dict[str | None, dict[Any, Any]] = {}

        def parse_weight(value: Any, store_unit: str | None) -> Any:
            memory = by_unit.get(store_unit)
            if memory is None:
                if len(by_unit) >= _REMEMBERED_UNITS:
                    by_unit.clear()
                memory = by_unit.setdefault(store_unit, {})
            if not _rememberable(value):
                return parse_value(target, value, weight_options, store_unit)
            found = memory.get(value, _UNKNOWN)
            if found is _UNKNOWN:
                found = parse_value(target, value, weight_options, store_unit)
                _remember(memory, value, found)
            return found

        return parse_weight, None

    memory: dict[Any, Any] = {}
    maximum = target.maximum
    parse_one = _one_value_parser(rule)

    def parse(value: Any, store_unit: str | None) -> Any:
        if type(value) is str:
            found = memory.get(value, _UNKNOWN)
            if found is _UNKNOWN:
                found = parse_one(value)
                _remember(memory, value, found)
            return found
        if type(value) is int:
            # Ids and counts arrive as JSON numbers, mostly different ones: compute them.
            if kind == "external_id" and 0 <= value < 2**63:
                return str(value) if value else None
            if kind == "quantity" and 0 < value <= maximum:
                return Decimal(value)
            if -_REMEMBERED_INTS <= value < _REMEMBERED_INTS:
                found = memory.get(value, _UNKNOWN)
                if found is _UNKNOWN:
                    found = parse_one(value)
                    _remember(memory, value, found)
                return found
        return parse_one(value)

    return parse, memory


def _one_value_parser(rule: RuleShape) -> Callable[[Any], Any]:
    """`parse_value` for one value of the rule's target (not a weight), raising `Rejected`."""
    target, weight_options = rule.target, rule.weight_options
    if target.kind == "money":
        return _money_parser(target.minimum, target.maximum)
    parser = kind_parser(target.kind)

    def parse_one(value: Any) -> Any:
        return parser(target, value, weight_options, None)

    return parse_one


def _money_parser(minimum: Decimal | None, maximum: Decimal) -> Callable[[Any], Any]:
    """`parsers.parse_money` within the bounds, first trying the shape WooCommerce writes
    every amount in: digits, a point, two digits (`"21.99"`). Such a text needs neither
    trimming nor the pattern (`isdecimal` is the pattern's `\\d`) and is already in cents,
    so rounding would change nothing; anything else, or out of bounds, goes to
    `parse_money`, which answers or raises as always. Amounts are the values a sync
    reads most, and few of them repeat."""
    parse_money = partial(parsers.parse_money, minimum=minimum, maximum=maximum)

    def parse_amount(value: Any) -> Any:
        if (
            type(value) is str
            and len(value) <= parsers.MAX_NUMBER_TEXT
            and value[-3:-2] == "."
            and value[:-3].isdecimal()
            and value[-2:].isdecimal()
        ):
            amount = Decimal(value)
            if (minimum is None or amount >= minimum) and amount <= maximum:
                return amount
        return parse_money(value)

    return parse_amount


def _rememberable(value: Any) -> bool:
    kind = type(value)
    return kind is str or (kind is int and -_REMEMBERED_INTS <= value < _REMEMBERED_INTS)
