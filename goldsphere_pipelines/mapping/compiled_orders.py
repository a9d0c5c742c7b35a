"""An order mapping's rules compiled into straight-line code, once per mapping.

Asking each rule in turn (look the rule up, call its fast path, compare with FALLBACK,
store the value) cost an order more than reading its values: twelve rules for the
order and seven per line, most of them one field of text or one whole number.
`compile_order_readers` writes two functions instead, one for the order's fields and
one for a line's, with every rule's read inline:

- a rule that reads one field, or a chain of fields (`billing.email`), remembers what
  its fast path answered for each text it read: shops repeat the same statuses,
  currencies, amounts, names and e-mails, so a repeated text costs one dict lookup.
  What a fast path answers for such a rule depends only on the value read, so the
  answer remembered is the answer it would give; a plain field shares its fast path's
  own memory (`compiled.FieldMemory`) rather than keeping a second one;
- a whole number read for an id or a quantity, without transforms, is converted inline
  exactly as the rule's parser converts it (`compiled.compile_parser`);
- a rule that reads nothing (`type`: the template's default `buy`) is its constant, and
  one that reads a list which is absent or empty (`fee_lines[*].total` of an order
  without fees) is what its fast path answers for an empty order;
- everything else, and every value not remembered, goes through the rule's fast path,
  and whenever that answers FALLBACK, the reference evaluation reports the error it
  always reported.

`compile_items_reader` reads the template's `line_items[*]` without the path walkers.

The functions give exactly what the loop over the rules gives (orders.py): the values
by target, a failed rule's target absent, errors appended in the rules' order. Tests
compare them with the reference evaluation on generated, sandbox and corpus payloads.

The generated source holds only names it makes up and whole numbers: field names,
targets and rules are bound in its namespace, never written into the text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

from goldsphere_pipelines.mapping.compiled import FALLBACK
from goldsphere_pipelines.mapping.engine import CompiledRule, RuleFailure
from goldsphere_pipelines.mapping.errors import MappingError
from goldsphere_pipelines.mapping.paths import MAX_CANDIDATES, Every, Key


class _Marker:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


FAILED: Final = _Marker("FAILED")  # the rule failed; its error is in `errors`
_UNKNOWN: Final = _Marker("UNKNOWN")  # not remembered yet
_NOT_READ: Final = _Marker("NOT_READ")  # a field on the way was not an object

# As compiled.py remembers: short texts only, and few enough per rule.
_REMEMBERED_KEY_LENGTH = 128
_REMEMBERED_VALUES = 2048
_MAX_EXTERNAL_ID = 2**63

OrderReader = Callable[[dict[str, Any], list[MappingError]], dict[str, Any]]
"""`read(order, errors)`: the order rules' values by target; failures appended to `errors`."""

LineReader = Callable[[dict[str, Any], int, list[MappingError]], tuple[dict[str, Any], bool]]
"""`read(line, index, errors)`: the line rules' values by name (`quantity`), and whether a
rule failed (its error appended to `errors`, labelled `items[index].name`)."""


@dataclass(frozen=True, slots=True)
class OrderReaders:
    order: OrderReader
    line: LineReader
    source: str
    """The generated code, for whoever wonders what runs."""


def compile_order_readers(
    order_rules: Sequence[tuple[str, CompiledRule]],
    line_rules: Sequence[tuple[str, CompiledRule]],
) -> OrderReaders:
    """The readers for `order_rules` (target, rule) and `line_rules` (name, rule), in the
    order in which the loop over the rules asks them."""
    namespace: dict[str, Any] = {
        "FB": FALLBACK,
        "FAILED": FAILED,
        "U": _UNKNOWN,
        "MISS": _NOT_READ,
        "D": Decimal,
        "R": _remember,
        "S": _evaluate_order_rule,
        "SL": _evaluate_line_rule,
    }
    order_lines = ["def read_order(p, errors):", "    values = {}"]
    for number, (target, rule) in enumerate(order_rules):
        order_lines += _rule_code(f"o{number}", target, rule, namespace, line=False)
    order_lines.append("    return values")
    line_lines = ["def read_line(p, index, errors):", "    values = {}", "    failed = False"]
    for number, (name, rule) in enumerate(line_rules):
        line_lines += _rule_code(f"l{number}", name, rule, namespace, line=True)
    line_lines.append("    return values, failed")
    source = "\n".join([*order_lines, "", *line_lines, ""])
    exec(compile(source, "<compiled order rules>", "exec"), namespace)  # noqa: S102 - our own text, see the module docstring
    return OrderReaders(order=namespace["read_order"], line=namespace["read_line"], source=source)


def _rule_code(
    prefix: str, key: str, rule: CompiledRule, namespace: dict[str, Any], *, line: bool
) -> list[str]:
    """The statements that put `rule`'s value at `values[key]` (or record its failure)."""
    namespace[f"{prefix}_key"] = key
    namespace[f"{prefix}_rule"] = rule
    namespace[f"{prefix}_fast"] = rule.fast_path
    kind = rule.target.kind
    code: list[str] = []
    if not rule.paths and kind != "objects":
        # Nothing is read: the fast path's answer is the same for every payload.
        constant = rule.fast_path({}, None)
        if constant is not FALLBACK:
            namespace[f"{prefix}_constant"] = constant
            return [f"    values[{prefix}_key] = {prefix}_constant"]
    fields = _field_chain(rule)
    if fields is not None:
        code += _field_chain_code(prefix, rule, fields, namespace)
    else:
        code += _nothing_read_code(prefix, rule, namespace) or [f"    x = {prefix}_fast(p, None)"]
    if line:
        slow = f"SL({prefix}_rule, p, index, {prefix}_key, errors)"
        code += [
            "    if x is FB:",
            f"        x = {slow}",
            "    if x is FAILED:",
            "        failed = True",
            "    else:",
            f"        values[{prefix}_key] = x",
        ]
    else:
        code += [
            "    if x is FB:",
            f"        x = S({prefix}_rule, p, errors)",
            "    if x is not FAILED:",
            f"        values[{prefix}_key] = x",
        ]
    return code


def _field_chain(rule: CompiledRule) -> tuple[str, ...] | None:
    """The field names of a rule that reads one field or one chain of fields into one
    value (no alternatives, no `sum`, not a list target); None for any other rule."""
    if len(rule.paths) != 1 or rule.sum or rule.target.kind in ("objects", "weight"):
        return None
    steps = rule.paths[0].steps
    if not steps or not all(isinstance(step, Key) for step in steps):
        return None
    return tuple(step.name for step in steps if isinstance(step, Key))


def _field_chain_code(
    prefix: str, rule: CompiledRule, fields: tuple[str, ...], namespace: dict[str, Any]
) -> list[str]:
    # A plain field's fast path has a memory of its own: read it, and on a miss parse as
    # the fast path would (its `miss` remembers).
    own_memory = rule.fast_memory
    namespace[f"{prefix}_memory"] = {} if own_memory is None else own_memory.memory
    if own_memory is not None:
        namespace[f"{prefix}_miss"] = own_memory.miss
    code: list[str] = []
    for depth, name in enumerate(fields):
        namespace[f"{prefix}_f{depth}"] = name
        if depth == 0:
            code.append(f"    v = p.get({prefix}_f0)")
        else:
            code.append(f"    v = v.get({prefix}_f{depth}) if type(v) is dict else MISS")
    code += [
        "    if type(v) is str:",
        f"        x = {prefix}_memory.get(v, U)",
        "        if x is U:",
    ]
    if own_memory is None:
        code += [
            f"            x = {prefix}_fast(p, None)",
            "            if x is not FB:",
            f"                R({prefix}_memory, v, x)",
        ]
    else:
        code.append(f"            x = {prefix}_miss(v)")
    transforms = rule.regex is not None or rule.mapping is not None or bool(rule.keywords)
    kind = rule.target.kind
    if not transforms and kind == "external_id":
        # compiled.compile_parser: ids arrive as JSON numbers, mostly different ones.
        code += [
            f"    elif type(v) is int and 0 <= v < {_MAX_EXTERNAL_ID}:",
            "        x = str(v) if v else None",
        ]
    elif not transforms and kind == "quantity" and rule.target.maximum is not None:
        namespace[f"{prefix}_maximum"] = rule.target.maximum
        code += [
            f"    elif type(v) is int and 0 < v <= {prefix}_maximum:",
            "        x = D(v)",
        ]
    code += ["    else:", f"        x = {prefix}_fast(p, None)"]
    return code


def _nothing_read_code(prefix: str, rule: CompiledRule, namespace: dict[str, Any]) -> list[str]:
    """For a rule of one path into a list (`fee_lines[*].total`): when the list is absent
    or empty nothing is read, and the fast path's answer is the one for an empty order."""
    if len(rule.paths) != 1 or rule.target.kind == "objects":
        return []
    steps = rule.paths[0].steps
    if len(steps) < 2 or not isinstance(steps[0], Key) or isinstance(steps[1], Key):
        return []
    nothing = rule.fast_path({}, None)
    if nothing is FALLBACK:
        return []
    namespace[f"{prefix}_f0"] = steps[0].name
    namespace[f"{prefix}_nothing"] = nothing
    return [
        f"    v = p.get({prefix}_f0)",
        "    if v is None or (type(v) is list and not v):",
        f"        x = {prefix}_nothing",
        "    else:",
        f"        x = {prefix}_fast(p, None)",
    ]


def compile_items_reader(rule: CompiledRule) -> Callable[[dict[str, Any]], Any]:
    """`rule.evaluate` for the `items` rule, raising `RuleFailure` as it does; for the
    template's `line_items[*]`, a list of line objects is its own answer (copied)."""
    evaluate = rule.evaluate
    steps = rule.paths[0].steps if len(rule.paths) == 1 else ()
    transforms = rule.regex is not None or rule.mapping is not None or bool(rule.keywords)
    if (
        rule.target.kind != "objects"
        or transforms
        or len(steps) != 2
        or not isinstance(steps[0], Key)
        or not isinstance(steps[1], Every)
    ):
        return evaluate
    name = steps[0].name

    def read_items(payload: dict[str, Any]) -> Any:
        lines = payload.get(name)
        # Objects are never null or blank: every one is read, as `[*]` reads them.
        if (
            type(lines) is list
            and 0 < len(lines) < MAX_CANDIDATES
            and all(type(line) is dict for line in lines)
        ):
            return list(lines)
        return evaluate(payload)

    return read_items


def _evaluate_order_rule(rule: CompiledRule, payload: Any, errors: list[MappingError]) -> Any:
    try:
        return rule.evaluate_reference(payload)
    except RuleFailure as failure:
        errors.append(failure.error)
        return FAILED


def _evaluate_line_rule(
    rule: CompiledRule, payload: Any, index: int, name: str, errors: list[MappingError]
) -> Any:
    try:
        return rule.evaluate_reference(payload, label=f"items[{index}].{name}")
    except RuleFailure as failure:
        errors.append(failure.error)
        return FAILED


def _remember(memory: dict[Any, Any], key: str, value: Any) -> None:
    if len(key) > _REMEMBERED_KEY_LENGTH:
        return
    if len(memory) >= _REMEMBERED_VALUES:
        memory.clear()
    memory[key] = value
