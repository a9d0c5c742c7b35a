"""The rules doctor: why a connector's records fail to map, and the rule that would fix it.

`diagnose` groups the connector's current mapping failures by cause (entity, field and
error code), with counts and three example records each, proposes for each group the
rule that would fix it (`doctor_proposals`), and previews the proposal against the
stored raw payloads: how many records would then map, which would newly fail, and which
mapped ones would change. It only reads: nothing is written, nothing is fetched.
`apply_fix` saves a group's proposal through the validated rules path
(`rules.replace_connector_rule`); re-mapping the stored payloads is the Dagster job
`remap_connector`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, replace
from dataclasses import field as attribute
from typing import Any

from sqlalchemy.engine import Engine

from goldsphere_pipelines.connectors import rules as rule_service
from goldsphere_pipelines.connectors.configuration import get_connector
from goldsphere_pipelines.connectors.doctor_proposals import (
    DEFAULTABLE_TARGETS,
    REFERENCE_TARGETS,
    NeedsValue,
    Proposal,
    propose,
)
from goldsphere_pipelines.connectors.transform import (
    gone_products,
    order_lookups,
    order_outcome,
    product_lookups,
    product_outcome,
)
from goldsphere_pipelines.errors import GoldsphereError
from goldsphere_pipelines.mapping import RuleSpec, compile_rules, default_template
from goldsphere_pipelines.mapping.errors import GONE_PRODUCT_INCOMPLETE
from goldsphere_pipelines.mapping.rules import CompiledMapping
from goldsphere_pipelines.storage.external_records import (
    ExternalRecordRepository,
    MappingOutcome,
    PendingRecord,
    RecordKind,
)
from goldsphere_pipelines.storage.goldsphere import GoldsphereRepository
from goldsphere_pipelines.storage.mapping_review import MappingReviewRepository, StoredRecord
from goldsphere_pipelines.storage.mapping_rules import MappingRuleRepository, StoredMappingRule
from goldsphere_pipelines.storage.sync_state import StoreFactsRepository

MAX_EXAMPLES = 3
MAX_CHANGES_SHOWN = 10
_MAX_VALUES = 200
_ITEM_INDEX = re.compile(r"\[\d+\]")
# Keys of a mapped payload that say how a value was found (or that a producer was to be
# created, which a sync has done since), not what it is.
_NOT_COMPARED = frozenset({"provenance", "new_producer"})
_UNITS = {"grams": "g", "troy_ounces": "oz", "kilograms": "kg"}


class DoctorGroupNotFoundError(GoldsphereError):
    """No current failure group has the given id or number."""

    code = "doctor_group_not_found"


class NothingToApplyError(GoldsphereError):
    """The group has no rule to apply (advice only, or a value is needed)."""

    code = "doctor_nothing_to_apply"


@dataclass(frozen=True)
class Example:
    external_id: str
    message: str
    value: str | None


@dataclass(frozen=True)
class Change:
    """A record mapped before and after, whose mapped fields differ."""

    external_id: str
    fields: list[str]


@dataclass
class Preview:
    """What re-mapping every stored record of the entity with the proposal would give."""

    records: int = 0
    mapped_before: int = 0
    mapped_after: int = 0
    group_fixed: int = 0
    """Of the group's failing records, how many would map."""
    cause_fixed: int = 0
    """Of the group's failing records, how many would lose this cause (some may still fail
    for another one)."""
    fixed: int = 0
    """Failing records (of any group) that would map."""
    newly_failing: int = 0
    newly_failing_examples: list[str] = attribute(default_factory=list)
    changed: int = 0
    changed_examples: list[Change] = attribute(default_factory=list)
    products: Preview | None = None
    """For a product rule that fixes orders: what it does to the products themselves."""


@dataclass
class FailureGroup:
    """Records failing with one cause, and what would fix them."""

    id: str
    number: int
    entity: RecordKind
    field: str
    code: str
    target: str
    count: int
    examples: list[Example]
    values: list[str] = attribute(default_factory=list, repr=False)
    proposal: RuleSpec | None = None
    replaces_rule: str | None = None
    """The id of the connector's rule the proposal replaces (None: the template's)."""
    explanation: str | None = None
    advice: str | None = None
    preview: Preview | None = None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("values")
        data["proposal"] = self.proposal.model_dump() if self.proposal is not None else None
        return data


@dataclass
class DoctorReport:
    connector: str
    failed: dict[str, int]
    groups: list[FailureGroup]

    def to_json(self) -> dict[str, Any]:
        return {
            "connector": self.connector,
            "failed": self.failed,
            "groups": [group.to_json() for group in self.groups],
        }

    def group(self, group: str) -> FailureGroup:
        """The group by its id (`product.producer.unknown_producer`) or its number."""
        wanted = group.strip()
        for found in self.groups:
            if wanted in (found.id, str(found.number)):
                return found
        raise DoctorGroupNotFoundError(
            f"Connector '{self.connector}' has no failure group {wanted!r} now; "
            f"`goldsphere rules doctor {self.connector}` lists the current groups."
        )


@dataclass(frozen=True)
class AppliedFix:
    group: FailureGroup
    rule: StoredMappingRule


def diagnose(
    engine: Engine,
    connector_name: str,
    *,
    preview: bool = True,
    values: Mapping[str, str] | None = None,
) -> DoctorReport:
    """Group the connector's failures, propose a fix per group and (when `preview`) say
    what each fix would change. `values` gives a default per group id, where the admin
    names the value. Reads only."""
    connector = get_connector(engine, connector_name)
    rules = MappingRuleRepository(engine).list_rules(connector.id)
    groups: list[FailureGroup] = []
    failed: dict[str, int] = {}
    for kind in ("product", "order"):
        kind_groups, failed[kind] = _group_failures(engine, connector.id, kind)
        groups += kind_groups
    reference = _reference(engine)
    for number, group in enumerate(groups, start=1):
        group.number = number
        _propose(engine, connector.id, group, rules, reference, (values or {}).get(group.id))
    if preview:
        previewer = _Previewer(engine, connector.id, rules, connector.create_missing_producers)
        for group in groups:
            if group.proposal is not None:
                group.preview = previewer.preview(group)
    return DoctorReport(connector=connector.name, failed=failed, groups=groups)


def apply_fix(
    engine: Engine, connector_name: str, group: str, *, value: str | None = None
) -> AppliedFix:
    """Save the proposal of `group` (id or number) as the connector's rule for its target,
    through the validated rules path. Re-mapping is the caller's next step (the
    `remap_connector` job)."""
    report = diagnose(engine, connector_name, preview=False)
    found = report.group(group)
    if value is not None:
        report = diagnose(engine, connector_name, preview=False, values={found.id: value})
        found = report.group(found.id)
    if found.proposal is None:
        raise NothingToApplyError(
            f"Group {found.id} has no rule to apply: {found.advice or found.explanation}"
        )
    stored = rule_service.replace_connector_rule(engine, report.connector, found.proposal)
    return AppliedFix(group=found, rule=stored)


def _group_failures(
    engine: Engine, connector_id: Any, kind: RecordKind
) -> tuple[list[FailureGroup], int]:
    groups: dict[tuple[str, str], FailureGroup] = {}
    failed = 0
    for batch in MappingReviewRepository(engine, kind).iter_records(connector_id, failed_only=True):
        for record in batch:
            failed += 1
            seen: set[tuple[str, str]] = set()
            for error in record.errors:
                field_name = _ITEM_INDEX.sub("[*]", str(error.get("field") or "$"))
                code = str(error.get("code") or "unknown")
                key = (field_name, code)
                group = groups.get(key)
                if group is None:
                    group = groups[key] = FailureGroup(
                        id=f"{kind}.{field_name}.{code}",
                        number=0,
                        entity=kind,
                        field=field_name,
                        code=code,
                        target=_target(field_name),
                        count=0,
                        examples=[],
                    )
                if key in seen:
                    continue
                seen.add(key)
                group.count += 1
                value = error.get("value")
                if len(group.examples) < MAX_EXAMPLES:
                    group.examples.append(
                        Example(record.external_id, str(error.get("message") or ""), value)
                    )
                if (
                    isinstance(value, str)
                    and value not in group.values
                    and len(group.values) < _MAX_VALUES
                ):
                    group.values.append(value)
    ordered = sorted(groups.values(), key=lambda g: (-g.count, g.id))
    return ordered, failed


def _target(field_name: str) -> str:
    """The rule target an error's field belongs to: `items[*].quantity` → `item.quantity`."""
    if field_name.startswith("items[*]."):
        return "item." + field_name.removeprefix("items[*].")
    return field_name.split(".")[0].split("[")[0]


def _reference(engine: Engine) -> dict[str, list[str]]:
    names = rule_service.reference_names(engine)
    data = GoldsphereRepository(engine).reference_data()
    return {
        "producers": list(names.producers),
        "metals": [name for name, _, _ in data.metals if name],
        "product_types": list(names.product_types),
    }


def _current_rule(
    kind: RecordKind, target: str, rules: Iterable[StoredMappingRule]
) -> tuple[RuleSpec | None, str | None]:
    for rule in rules:
        if rule.entity_type == kind and rule.target_field == target:
            return rule.spec, str(rule.id)
    for spec in default_template(kind):
        if spec.target_field == target:
            return spec, None
    return None, None


def _propose(
    engine: Engine,
    connector_id: Any,
    group: FailureGroup,
    rules: list[StoredMappingRule],
    reference: Mapping[str, list[str]],
    value: str | None,
) -> None:
    if group.code == GONE_PRODUCT_INCOMPLETE:
        _propose_for_gone_lines(group, rules, reference, value)
        return
    current, rule_id = _current_rule(group.entity, group.target, rules)
    outcome = propose(
        entity=group.entity,
        target=group.target,
        code=group.code,
        failing_values=group.values,
        current=current,
        reference=reference,
        common_value=_common_value(engine, connector_id, group),
        value=value,
    )
    if isinstance(outcome, Proposal):
        group.proposal, group.explanation, group.replaces_rule = (
            outcome.rule,
            outcome.explanation,
            rule_id,
        )
    elif isinstance(outcome, NeedsValue):
        group.explanation = outcome.explanation
    else:
        group.advice = outcome


def _propose_for_gone_lines(
    group: FailureGroup,
    rules: list[StoredMappingRule],
    reference: Mapping[str, list[str]],
    value: str | None,
) -> None:
    """Lines whose product is gone lack product fields: when they all lack the same one,
    the fix is a product rule giving it a default (which the admin names)."""
    missing = {frozenset(v.split(", ")) for v in group.values}
    fields = next(iter(missing)) if len(missing) == 1 else frozenset()
    target = next(iter(fields)) if len(fields) == 1 else None
    if target is None or target not in DEFAULTABLE_TARGETS:
        advice = propose(
            entity="order",
            target=group.target,
            code=group.code,
            failing_values=[],
            current=None,
            reference=reference,
            common_value=None,
        )
        group.advice = advice if isinstance(advice, str) else None
        return
    current, rule_id = _current_rule("product", target, rules)
    if value is None:
        group.explanation = (
            f"The products these lines sold are gone and their lines do not state "
            f"'{target}': apply with --value VALUE to give a product rule for '{target}' "
            "that default (every product without one gets it; see the preview)."
        )
        return
    outcome = propose(
        entity="product",
        target=target,
        code="missing_field",
        failing_values=[],
        current=current,
        reference=reference,
        common_value=None,
        value=value,
    )
    if isinstance(outcome, Proposal):
        group.proposal, group.replaces_rule = outcome.rule, rule_id
        group.explanation = outcome.explanation + " (also for products built from order lines)"


def _common_value(engine: Engine, connector_id: Any, group: FailureGroup) -> str | None:
    if group.entity != "product":
        return None
    review = MappingReviewRepository(engine, "product")
    if group.target in REFERENCE_TARGETS:
        found = review.shared_mapped_value(connector_id, (f"{group.target}_name",))
        return found[0] if found else None
    if group.target == "weight":
        found = review.shared_mapped_value(connector_id, ("weight", "weight_unit"))
        return f"{found[0]} {_UNITS.get(found[1], found[1])}" if found else None
    if group.target == "purity":
        found = review.shared_mapped_value(connector_id, ("purity",))
        return found[0] if found else None
    return None


Outcome = Callable[[PendingRecord, Mapping[str, Any]], MappingOutcome]


class _Previewer:
    """Re-maps stored payloads with a proposed rule, in memory, one batch at a time."""

    def __init__(
        self,
        engine: Engine,
        connector_id: Any,
        rules: list[StoredMappingRule],
        create_missing_producers: bool,
    ) -> None:
        self._create_producers = create_missing_producers
        self._engine = engine
        self._connector_id = connector_id
        self._rules = rules
        self._currency = StoreFactsRepository(engine).get(connector_id).currency or ""

    def preview(self, group: FailureGroup) -> Preview:
        assert group.proposal is not None
        kind = group.entity
        # A product rule can fix orders too: their lines whose product is gone are mapped
        # by the product rules.
        proposed = group.proposal
        product_mapping = self._mapping("product", proposed)
        mapping = product_mapping if kind == "product" else self._mapping("order", proposed)
        outcome = self._outcome(kind, mapping, product_mapping)
        result = Preview()
        if kind == "order" and proposed.entity_type == "product":
            result.products = self._remap(
                "product", self._outcome("product", product_mapping, product_mapping), None
            )
        return self._remap(kind, outcome, group, result)

    def _remap(
        self,
        kind: RecordKind,
        outcome: Outcome,
        group: FailureGroup | None,
        result: Preview | None = None,
    ) -> Preview:
        result = result or Preview()
        records = ExternalRecordRepository(self._engine, "product")
        for batch in MappingReviewRepository(self._engine, kind).iter_records(self._connector_id):
            parents = (
                records.raw_payloads(
                    self._connector_id,
                    sorted({r.parent_external_id for r in batch if r.parent_external_id}),
                )
                if kind == "product"
                else {}
            )
            for record in batch:
                after = outcome(_pending(record), parents)
                if group is not None and _has_cause(record.errors, group):
                    result.cause_fixed += not _has_cause(after.errors, group)
                    result.group_fixed += after.status == "mapped"
                _count(result, record, after.status, after.mapped_payload)
        return result

    def _mapping(self, kind: RecordKind, proposed: RuleSpec) -> CompiledMapping:
        specs = [
            rule.spec
            for rule in self._rules
            if rule.entity_type == kind
            and not (proposed.entity_type == kind and rule.target_field == proposed.target_field)
        ]
        return compile_rules(kind, [*specs, proposed] if proposed.entity_type == kind else specs)

    def _outcome(
        self, kind: RecordKind, mapping: CompiledMapping, product_mapping: CompiledMapping
    ) -> Outcome:
        if kind == "product":
            lookups = replace(
                product_lookups(GoldsphereRepository(self._engine)),
                create_missing_producers=self._create_producers,
            )
            currency = self._currency

            def product(record: PendingRecord, parents: Mapping[str, Any]) -> MappingOutcome:
                return product_outcome(record, dict(parents), currency, mapping, lookups)[0]

            return product
        order_refs = order_lookups(self._engine, self._connector_id)
        gone = gone_products(
            self._engine,
            self._connector_id,
            order_refs,
            self._currency,
            create_missing_producers=self._create_producers,
            product_mapping=product_mapping,
        )

        def order(record: PendingRecord, _parents: Mapping[str, Any]) -> MappingOutcome:
            return order_outcome(record, mapping, order_refs, gone)

        return order


def _pending(record: StoredRecord) -> PendingRecord:
    return PendingRecord(
        record.row_id, record.external_id, record.parent_external_id, record.payload
    )


def _has_cause(errors: Iterable[Mapping[str, Any]], group: FailureGroup) -> bool:
    return any(
        _ITEM_INDEX.sub("[*]", str(e.get("field") or "$")) == group.field
        and e.get("code") == group.code
        for e in errors
    )


def _count(
    result: Preview,
    record: StoredRecord,
    status: str,
    mapped: dict[str, Any] | None,
) -> None:
    result.records += 1
    before = record.status == "mapped"
    after = status == "mapped"
    result.mapped_before += before
    result.mapped_after += after
    if after and not before:
        result.fixed += 1
    elif before and not after:
        result.newly_failing += 1
        if len(result.newly_failing_examples) < MAX_CHANGES_SHOWN:
            result.newly_failing_examples.append(record.external_id)
    elif before and after:
        fields = _differences(record.mapped or {}, mapped or {})
        if fields:
            result.changed += 1
            if len(result.changed_examples) < MAX_CHANGES_SHOWN:
                result.changed_examples.append(Change(record.external_id, fields))


def _differences(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    keys = (set(before) | set(after)) - _NOT_COMPARED
    return sorted(key for key in keys if before.get(key) != after.get(key))
