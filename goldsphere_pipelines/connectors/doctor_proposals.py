"""What the rules doctor proposes for one group of mapping failures.

A proposal is a rule in the existing rule language that replaces the connector's rule for
the failing target (or the template's): the same source, with what the failing values
need added — a `map` from each unknown value to the goldsphere name it resembles (every
goldsphere name mapped to itself, so that values which mapped before still do) and a
`default` for records that give no usable value. Failures no rule can fix (a missing
user, a price the shop does not send) get advice instead.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from goldsphere_pipelines.mapping import RuleSpec, normalize_name
from goldsphere_pipelines.mapping.knowledge import Found, bullion_knowledge
from goldsphere_pipelines.mapping.targets import ORDER_STATUSES, PAYMENT_STATUSES

# Targets whose value must be a goldsphere name: the doctor maps unknown values onto them.
REFERENCE_TARGETS = {"producer": "producers", "metal": "metals", "product_type": "product_types"}
# Targets a default can stand in for; the doctor proposes the connector's most common value.
DEFAULTABLE_TARGETS = frozenset({"producer", "metal", "product_type", "weight", "purity"})
STATUS_TARGETS: Mapping[str, frozenset[str]] = {
    "order_status": ORDER_STATUSES,
    "payment_status": PAYMENT_STATUSES,
}
_SIMILAR = 0.8

_ADVICE = {
    "user_not_found": "No rule fixes this: create the goldsphere users (or correct the "
    "billing e-mails in the shop); these orders map again on every sync.",
    "product_not_found": "No rule fixes this: the products must map first (see the product "
    "groups); these orders map again on every sync.",
    "parent_missing": "No rule fixes this: sync the products again so that the parents are stored.",
    "gone_product_incomplete": "The products these lines sold are gone from the shop: fix the "
    "product fields the errors name with a product rule (the product groups above, or "
    "`goldsphere rules add`), then re-map.",
    "totals_mismatch": "No rule fixes this: a plugin adds amounts the rules do not read; "
    "check the orders in the shop.",
    "unsupported_currency": "goldsphere accepts USD, EUR, GBP, CHF, CAD and AUD only.",
}


@dataclass(frozen=True)
class Proposal:
    """The rule that would fix a group, and what it does, in a sentence for the admin."""

    rule: RuleSpec
    explanation: str


@dataclass(frozen=True)
class NeedsValue:
    """A default would fix the group, but the connector has no mapped value to propose:
    the admin names it (`--value`)."""

    target: str
    explanation: str


def propose(
    *,
    entity: str,
    target: str,
    code: str,
    failing_values: Sequence[str],
    current: RuleSpec | None,
    reference: Mapping[str, Sequence[str]],
    common_value: str | None,
    value: str | None = None,
) -> Proposal | NeedsValue | str:
    """A proposal, a request for a value, or advice (a sentence) for one group.

    `current` is the rule the target follows now (the connector's or the template's);
    `reference` the goldsphere names per lookup table; `common_value` the value every one
    of the connector's mapped records has for the target, if they all share one (proposed
    as the default for records that lack a value: a single-producer shop); `value`, when
    the admin gave one, is what unknown values map to, or the default to use instead.
    """
    if code in _ADVICE:
        return _ADVICE[code]
    if current is None:
        return f"No rule fills '{target}'; see `goldsphere rules targets {entity}`."
    transform = dict(current.transform)
    notes: list[str] = []
    names = _allowed_names(target, reference)
    unknown = code.startswith("unknown_")
    mapped = _similar(target, failing_values, names) if names else {}
    if unknown and value is not None:
        # What resembles nothing is never guessed: the admin names what it means.
        mapped = {**{shop: value for shop in failing_values}, **mapped}
    if mapped:
        # Every goldsphere name maps to itself, so that values that mapped before still do
        # (statuses already have the template's whole map).
        identity = {name: name for name in names} if target in REFERENCE_TARGETS else {}
        transform["map"] = {
            **identity,
            **dict(transform.get("map") or {}),
            **mapped,
        }
        notes.append("maps " + ", ".join(f"{shop!r} → {ours!r}" for shop, ours in mapped.items()))
    # A default stands in for a value the records lack; a value they have that goldsphere
    # does not know is mapped (above), never replaced by a guess.
    default = None if unknown else (value if value is not None else common_value)
    if default is not None and target in DEFAULTABLE_TARGETS:
        transform["default"] = default
        origin = "the value you gave" if value is not None else "the value of every mapped record"
        notes.append(f"uses {default!r} ({origin}) for records that give no value")
    unmatched = [v for v in failing_values if v not in mapped]
    if unknown and unmatched and names:
        shown = ", ".join(repr(v) for v in unmatched[:5])
        choices = f"one of {', '.join(names)}" if len(names) <= 12 else "a goldsphere name"
        ask = (
            f"{shown} resemble no goldsphere {target.replace('_', ' ')}: apply with "
            f"--value NAME to map them to {choices}."
        )
        if not notes:
            return NeedsValue(target, ask)
        notes.append(f"({ask})")
    if not notes:
        if target in DEFAULTABLE_TARGETS:
            return NeedsValue(
                target,
                f"A default for '{target}' would fix these; no mapped {entity} has one to "
                "propose: apply with --value VALUE.",
            )
        return (
            f"No rule change fixes '{code}' on '{target}': correct the records in the shop, "
            f"or write a rule for the target yourself (`goldsphere rules add`)."
        )
    rule = RuleSpec(
        entity_type=current.entity_type,
        source_field=current.source_field,
        target_field=target,
        transform=transform,
    )
    return Proposal(rule=rule, explanation=f"{entity} rule for '{target}': " + "; ".join(notes))


def _known_as(target: str, value: str) -> str | None:
    knowledge = bullion_knowledge()
    if target == "producer":
        producer = knowledge.producer_named(value)
        if producer is not None:
            return producer.name
        found: Found | None = knowledge.producer_in(value)
        return found.value.name if found is not None else None
    if target == "metal":
        metal = knowledge.metal_named(value)
        if metal is not None:
            return metal
        found = knowledge.metal_in(value)
        return str(found.value) if found is not None else None
    if target == "product_type":
        found = knowledge.kind_in(value)
        return str(found.value) if found is not None else None
    return None


def _allowed_names(target: str, reference: Mapping[str, Sequence[str]]) -> list[str]:
    if target in REFERENCE_TARGETS:
        return sorted(reference.get(REFERENCE_TARGETS[target], ()))
    if target in STATUS_TARGETS:
        return sorted(STATUS_TARGETS[target])
    return []


def _similar(target: str, values: Sequence[str], names: Sequence[str]) -> dict[str, str]:
    """Each failing value → the goldsphere name the bullion knowledge file says it means
    ('Silbermünzen' → Silver, 'The Royal Mint' → its producer), else the name it contains,
    is contained in, or resembles."""
    keys = {normalize_name(name): name for name in names if normalize_name(name)}
    found: dict[str, str] = {}
    for value in values:
        key = normalize_name(value)
        if not key or key in keys:
            continue
        known = _known_as(target, value)
        if known is not None and normalize_name(known) in keys:
            found[value] = keys[normalize_name(known)]
            continue
        containing = [name for k, name in keys.items() if k in key or key in k]
        if len(containing) == 1:
            found[value] = containing[0]
            continue
        close = difflib.get_close_matches(key, list(keys), n=1, cutoff=_SIMILAR)
        if close:
            found[value] = keys[close[0]]
    return found
