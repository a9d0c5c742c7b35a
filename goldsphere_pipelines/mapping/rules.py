"""Rules: what admins write, how they are checked, and how they become a `CompiledMapping`.

A rule mirrors a row of `external_mapping_rule`: for one entity type, it fills one
goldsphere `target_field` from a `source_field` path into the WooCommerce payload,
through the steps of its `transform` object. The default templates in
`mapping/templates/` are rules too; a connector's own rules replace the template's rule
for the same target, field by field.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from goldsphere_pipelines.errors import GoldsphereError
from goldsphere_pipelines.mapping.engine import CompiledRule
from goldsphere_pipelines.mapping.kinds import parse_value
from goldsphere_pipelines.mapping.normalize import name_words, normalize_name
from goldsphere_pipelines.mapping.parsers import WEIGHT_UNIT_NAMES, Rejected, WeightOptions
from goldsphere_pipelines.mapping.paths import PathSyntaxError, parse_source
from goldsphere_pipelines.mapping.targets import (
    DEFAULT_METALS,
    DEFAULT_PRODUCERS,
    DEFAULT_PRODUCT_TYPES,
    TARGETS,
    EntityType,
    TargetSpec,
)
from goldsphere_pipelines.mapping.transforms import Keyword

TRANSFORMS = (
    "regex",
    "map",
    "keywords",
    "default",
    "required",
    "sum",
    "decimal",
    "iso_currency",
    "datetime",
    "weight",
    "purity",
    "lookup",
)
"""Every key a rule's transform object may have (README, "Rule language")."""

# Keys that only state (and, for weight, configure) the parser the target implies; a rule
# naming a parser of another kind cannot work and is refused.
_PARSER_KEYS: dict[str, frozenset[str]] = {
    "decimal": frozenset({"money", "quantity", "integer"}),
    "iso_currency": frozenset({"currency"}),
    "datetime": frozenset({"datetime"}),
    "weight": frozenset({"weight"}),
    "purity": frozenset({"purity"}),
    "lookup": frozenset({"reference", "email"}),
}
_LOOKUP_TABLES = {
    "metal": "metals",
    "product_type": "product_types",
    "producer": "producers",
    "user": "users_by_email",
}
MAX_REGEX_LENGTH = 200
MAX_MAP_ENTRIES = 1000
# A quantified group holding a quantifier, e.g. (a+)+: the shape of catastrophic backtracking.
_NESTED_QUANTIFIER = re.compile(r"\([^()]*[+*}][^()]*\)\s*[+*{]")


class InvalidRuleError(GoldsphereError):
    """A rule that cannot work; the message says why, in one line."""

    code = "invalid_rule"


class RuleSpec(BaseModel):
    """One mapping rule, as stored in `external_mapping_rule` and written by admins.

    `entity_type` None means "whichever entity the rule is compiled or validated for";
    a rule being saved must name it.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    entity_type: EntityType | None = None
    source_field: str = Field(max_length=500)
    target_field: str = Field(max_length=100)
    transform: dict[str, Any] = Field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ReferenceNames:
    """goldsphere's names a map may translate to; the database's when the caller has them."""

    product_types: Collection[str] = DEFAULT_PRODUCT_TYPES
    metals: Collection[str] = DEFAULT_METALS
    producers: Collection[str] = DEFAULT_PRODUCERS

    def names(self, table: str) -> frozenset[str]:
        values: Collection[str] = getattr(self, table)
        return frozenset(normalize_name(name) for name in values)


def parse_rule(data: Any) -> RuleSpec:
    """A `RuleSpec` from decoded JSON; raises `InvalidRuleError` saying what is wrong."""
    try:
        return RuleSpec.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "rule"
        more = f" (and {exc.error_count() - 1} more problems)" if exc.error_count() > 1 else ""
        raise InvalidRuleError(f"Rule is not valid: {where}: {first['msg']}{more}.") from None


def validate_rule(
    entity_type: EntityType, rule: RuleSpec, *, reference: ReferenceNames | None = None
) -> list[str]:
    """Why the rule cannot work, as sentences; an empty list means it is fine.

    Refused: an entity type other than `entity_type`, an unknown target, a source path
    that does not parse, unknown transforms or options, a parser that does not fit the
    target, a regex that does not compile, map and keyword values that are not valid
    for the target (an unknown goldsphere status, product type, metal, producer...).
    """
    _, problems = _build(entity_type, rule, reference or ReferenceNames())
    return problems


def rule_problem_summary(problems: Sequence[str]) -> str:
    """All the problems of a rule as one line."""
    return " ".join(problems)


@dataclass(frozen=True, slots=True)
class CompiledMapping:
    """The effective rules of one entity type for one connector: template plus overrides.

    `origins[target]` is `"template"` or `"connector"`.
    """

    entity_type: EntityType
    rules: Mapping[str, CompiledRule]
    origins: Mapping[str, str]
    specs: Mapping[str, RuleSpec]

    def rule(self, target: str) -> CompiledRule | None:
        return self.rules.get(target)


def compile_rules(entity_type: EntityType, rules: Sequence[RuleSpec] = ()) -> CompiledMapping:
    """The default template of `entity_type` with `rules` replacing its rules target by target.

    Rules of the other entity type are ignored, so callers may pass all of a connector's
    rules; rules without an entity type count as `entity_type`'s. When two rules name the
    same target, the later one wins. Raises `InvalidRuleError` when a rule cannot work
    (rules are checked when saved, so this means a stored rule predates a change of the
    rule language).
    """
    specs: dict[str, RuleSpec] = {}
    origins: dict[str, str] = {}
    for spec in default_template(entity_type):
        specs[spec.target_field] = spec
        origins[spec.target_field] = "template"
    for spec in rules:
        if spec.entity_type in (None, entity_type):
            specs[spec.target_field] = spec
            origins[spec.target_field] = "connector"
    compiled: dict[str, CompiledRule] = {}
    for target, spec in specs.items():
        rule, problems = _build(entity_type, spec, None)
        if rule is None:
            raise InvalidRuleError(
                f"The {origins[target]} {entity_type} rule for '{target}' cannot work: "
                f"{rule_problem_summary(problems)} Remove or replace it with `goldsphere rules`."
            )
        compiled[target] = rule
    for target, target_spec in TARGETS[entity_type].items():
        if target not in compiled and target_spec.always_required:
            raise InvalidRuleError(f"No {entity_type} rule fills the required target '{target}'.")
    return CompiledMapping(entity_type=entity_type, rules=compiled, origins=origins, specs=specs)


@cache
def default_template(entity_type: EntityType) -> tuple[RuleSpec, ...]:
    """The rules of `mapping/templates/<entity_type>.json`."""
    text = (
        resources.files("goldsphere_pipelines.mapping")
        .joinpath(f"templates/{entity_type}.json")
        .read_text(encoding="utf-8")
    )
    document = json.loads(text)
    return tuple(RuleSpec(entity_type=entity_type, **rule) for rule in document["rules"])


# --- building one rule -------------------------------------------------------------------


def _build(
    entity_type: EntityType, rule: RuleSpec, reference: ReferenceNames | None
) -> tuple[CompiledRule | None, list[str]]:
    """Compile a rule and collect every reason it cannot work.

    `reference` None: skip checks against goldsphere's reference data (compile time; the
    lookups catch unknown names per record).
    """
    problems: list[str] = []
    if rule.entity_type not in (None, entity_type):
        problems.append(f"The rule is for {rule.entity_type}s, not {entity_type}s.")
        return None, problems
    targets = TARGETS[entity_type]
    target = targets.get(rule.target_field)
    if target is None:
        problems.append(
            f"Unknown {entity_type} target '{rule.target_field}'; "
            f"known targets: {', '.join(targets)}."
        )
        return None, problems
    try:
        paths = parse_source(rule.source_field)
    except PathSyntaxError as exc:
        problems.append(f"Source path {exc}.")
        paths = ()
    transform = rule.transform
    for key in transform:
        if key not in TRANSFORMS:
            problems.append(f"Unknown transform '{key}'; known: {', '.join(TRANSFORMS)}.")
    for key, kinds in _PARSER_KEYS.items():
        if key in transform and target.kind not in kinds:
            problems.append(
                f"Transform '{key}' does not apply to target '{target.name}' ({target.kind})."
            )
    required = _required(target, transform, problems)
    weight_options = _weight_options(transform.get("weight"), problems)
    _check_lookup(target, transform.get("lookup"), problems)
    if "decimal" in transform and transform["decimal"] not in (True, {}):
        problems.append("Transform 'decimal' takes true; it has no options.")
    for flag in ("iso_currency", "datetime", "purity"):
        if flag in transform and transform[flag] not in (True, {}):
            problems.append(f"Transform '{flag}' takes true; it has no options.")
    summing = transform.get("sum", False)
    if not isinstance(summing, bool):
        problems.append("Transform 'sum' takes true or false.")
        summing = False
    elif summing and target.kind != "money":
        problems.append(f"Transform 'sum' adds amounts; target '{target.name}' is not one.")
    regex = _regex(transform.get("regex"), problems)
    check = _ValueCheck(target, weight_options, reference, problems)
    mapping = _mapping(transform.get("map"), check, problems)
    keywords = _keywords(transform.get("keywords"), check, problems)
    has_default = "default" in transform
    default = transform.get("default")
    if has_default:
        if default is None:
            if required:
                problems.append(
                    f"Target '{target.name}' is required, so its default cannot be null."
                )
        elif isinstance(default, dict | list):
            problems.append("The default must be a single value, not an object or a list.")
        else:
            check.value(default, "The default")
    if not rule.source_field.strip() and not has_default and required:
        problems.append(f"Target '{target.name}' is required: give a source path or a default.")
    if problems:
        return None, problems
    compiled = CompiledRule(
        target=target,
        source_text=rule.source_field.strip(),
        paths=paths,
        required=required,
        regex=regex,
        mapping=mapping,
        keywords=keywords,
        has_default=has_default,
        default=default,
        sum=summing,
        weight_options=weight_options,
        entity_type=entity_type,
    )
    return compiled, problems


def _required(target: TargetSpec, transform: Mapping[str, Any], problems: list[str]) -> bool:
    if "required" not in transform:
        return target.always_required
    required = transform["required"]
    if not isinstance(required, bool):
        problems.append("Transform 'required' takes true or false.")
        return target.always_required
    if target.always_required and not required:
        problems.append(f"Target '{target.name}' is always required by goldsphere.")
    return required or target.always_required


def _weight_options(options: Any, problems: list[str]) -> WeightOptions:
    if options is None or options is True:
        return WeightOptions()
    if not isinstance(options, dict):
        problems.append("Transform 'weight' takes true or an object {unit, ounce}.")
        return WeightOptions()
    unknown = set(options) - {"unit", "ounce"}
    if unknown:
        problems.append(f"Transform 'weight' has unknown options: {', '.join(sorted(unknown))}.")
    unit = options.get("unit", "store")
    if not isinstance(unit, str) or unit.strip().lower() not in WEIGHT_UNIT_NAMES:
        problems.append(
            f"Weight unit {unit!r} is unknown; use store, grams, troy_ounces, kilograms, "
            "g, kg, oz or lbs."
        )
        unit = "store"
    ounce = options.get("ounce", "troy")
    if ounce not in ("troy", "avoirdupois"):
        problems.append("Weight option 'ounce' is troy or avoirdupois.")
        ounce = "troy"
    return WeightOptions(unit=unit.strip().lower(), ounce=ounce)


def _check_lookup(target: TargetSpec, table: Any, problems: list[str]) -> None:
    if table is None:
        return
    expected = _LOOKUP_TABLES.get(target.name)
    if expected is not None and table != expected:
        problems.append(f"Target '{target.name}' is looked up in '{expected}', not {table!r}.")


def _regex(pattern: Any, problems: list[str]) -> re.Pattern[str] | None:
    if pattern is None:
        return None
    if not isinstance(pattern, str) or not pattern or len(pattern) > MAX_REGEX_LENGTH:
        problems.append(f"Transform 'regex' takes a pattern of 1 to {MAX_REGEX_LENGTH} characters.")
        return None
    if _NESTED_QUANTIFIER.search(pattern):
        problems.append(
            "The regex repeats a group that itself repeats, e.g. (a+)+; such patterns can "
            "take forever on some values. Simplify it."
        )
        return None
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        problems.append(f"The regex does not compile: {exc}.")
        return None
    if compiled.groups > 1:
        problems.append("The regex may have at most one group: its text becomes the value.")
        return None
    return compiled


class _ValueCheck:
    """Checks that a value a rule produces (map value, keyword value, default) fits the target."""

    def __init__(
        self,
        target: TargetSpec,
        weight_options: WeightOptions,
        reference: ReferenceNames | None,
        problems: list[str],
    ) -> None:
        self.target = target
        self.weight_options = weight_options
        self.reference = reference
        self.problems = problems
        self.known: frozenset[str] | None = None
        if reference is not None and target.reference is not None:
            self.known = reference.names(target.reference)

    def value(self, value: Any, what: str) -> None:
        if isinstance(value, dict | list):
            self.problems.append(f"{what} must be a single value, not an object or a list.")
            return
        if self.target.kind == "objects":
            self.problems.append(f"{what}: target '{self.target.name}' takes no fixed value.")
            return
        try:
            parsed = parse_value(self.target, value, self.weight_options, None)
        except Rejected as problem:
            self.problems.append(
                f"{what} {value!r} does not fit target '{self.target.name}': it {problem.reason}."
            )
            return
        if self.known is not None and normalize_name(str(parsed)) not in self.known:
            known = self.target.name.replace("_", " ")
            self.problems.append(f"{what} {value!r} is not a known goldsphere {known}.")


def _mapping(table: Any, check: _ValueCheck, problems: list[str]) -> dict[str, Any] | None:
    if table is None:
        return None
    if not isinstance(table, dict) or not table or len(table) > MAX_MAP_ENTRIES:
        problems.append(
            f"Transform 'map' takes an object of 1 to {MAX_MAP_ENTRIES} entries, "
            "shop value → goldsphere value."
        )
        return None
    compiled: dict[str, Any] = {}
    for source, value in table.items():
        key = normalize_name(source)
        if not key:
            problems.append(f"Map key {source!r} has no letters or digits.")
            continue
        if key in compiled and compiled[key] != value:
            problems.append(
                f"Map keys that differ only in case, spaces or punctuation disagree: {source!r}."
            )
        check.value(value, f"Map value for {source!r},")
        compiled[key] = value
    return compiled


def _keywords(entries: Any, check: _ValueCheck, problems: list[str]) -> tuple[Keyword, ...]:
    if entries is None:
        return ()
    shape = "Transform 'keywords' takes a list of [keyword, value] pairs."
    if not isinstance(entries, list) or not entries or len(entries) > MAX_MAP_ENTRIES:
        problems.append(shape)
        return ()
    keywords: list[Keyword] = []
    for entry in entries:
        if not (isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], str)):
            problems.append(shape)
            return ()
        words = name_words(entry[0])
        if not words:
            problems.append(f"Keyword {entry[0]!r} has no letters or digits.")
            continue
        check.value(entry[1], f"Keyword value for {entry[0]!r},")
        keywords.append(Keyword(words=words, value=entry[1]))
    return tuple(keywords)
