"""Evaluating one compiled rule against one payload: read, extract, translate, parse.

The order of the steps is part of the rule language (README, "Rule language"):

1. read every value the source paths find (alternatives in order);
2. `regex`: keep the values the pattern finds something in, and keep what it found
   (its first group when it has one);
3. `map` / `keywords`: translate each value; values neither translates are dropped;
4. nothing left: the `default` when the rule has one (it may be null: "no value");
   else, when values were read but none translated, the target's "unknown" error;
   else a missing-field error when the target is required, or no value;
5. parse the first value with the target's parser (`sum`: parse and add them all;
   a list target such as `items` keeps every value).

`CompiledRule.evaluate_reference` follows these steps literally. `evaluate` first tries
the rule's compiled fast path (compiled.py), which gives the same values with far less
work, and falls back to the reference whenever there is an error to report.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from decimal import Decimal
from typing import Any

from goldsphere_pipelines.mapping import errors as codes
from goldsphere_pipelines.mapping import parsers
from goldsphere_pipelines.mapping.compiled import (
    FALLBACK,
    FastPath,
    FieldMemory,
    compile_fast_path_with_memory,
)
from goldsphere_pipelines.mapping.errors import MappingError, mask_email, shown_value
from goldsphere_pipelines.mapping.kinds import parse_value
from goldsphere_pipelines.mapping.normalize import name_words, normalize_name
from goldsphere_pipelines.mapping.parsers import Rejected, WeightOptions
from goldsphere_pipelines.mapping.paths import SourcePath, read_source
from goldsphere_pipelines.mapping.targets import TargetSpec
from goldsphere_pipelines.mapping.transforms import MAX_REGEX_INPUT, Keyword, contains_words


class RuleFailure(Exception):
    """Raised by `CompiledRule.evaluate`; `error` is what the record reports."""

    def __init__(self, error: MappingError) -> None:
        super().__init__(error.message)
        self.error = error


@dataclass(frozen=True, slots=True)
class CompiledRule:
    """One target's rule, ready to run many thousand times."""

    target: TargetSpec
    source_text: str
    paths: tuple[SourcePath, ...]
    required: bool
    regex: re.Pattern[str] | None = None
    mapping: Mapping[str, Any] | None = None
    keywords: tuple[Keyword, ...] = ()
    has_default: bool = False
    default: Any = None
    sum: bool = False
    weight_options: WeightOptions = field(default_factory=WeightOptions)
    entity_type: str = "product"
    fast_path: FastPath = field(init=False, repr=False, compare=False)
    """`fast_path(payload, store_unit)`: what `evaluate` returns, or `FALLBACK` when only
    `evaluate` can tell (it raises, or the value is unusual). Mappers call it first and
    `evaluate` on `FALLBACK`, so that they build error labels only for errors."""
    fast_memory: FieldMemory | None = field(init=False, repr=False, compare=False)
    """For a rule that reads one field without transforms, what `fast_path` answers for a
    text read from it (`compiled.FieldMemory`); else None."""

    def __post_init__(self) -> None:
        fast_path, memory = compile_fast_path_with_memory(self)
        object.__setattr__(self, "fast_path", fast_path)
        object.__setattr__(self, "fast_memory", memory)

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        # Closures do not pickle: a copy is built from the rule's fields and compiles anew.
        return type(self), tuple(getattr(self, f.name) for f in fields(self) if f.init)

    def evaluate(
        self, payload: Any, *, label: str | None = None, store_unit: str | None = None
    ) -> Any:
        """The parsed value, or None when absent and not required.

        Raises `RuleFailure` with the record's error. `label` names the field in errors
        when it differs from the target (`items[2].quantity`).
        """
        value = self.fast_path(payload, store_unit)
        if value is not FALLBACK:
            return value
        return self.evaluate_reference(payload, label=label, store_unit=store_unit)

    def evaluate_reference(
        self, payload: Any, *, label: str | None = None, store_unit: str | None = None
    ) -> Any:
        """`evaluate` step by step, as the rule language defines it, and with the error.

        The fast path gives the same values; this is what it is tested against.
        """
        label = label or self.target.name
        read = read_source(self.paths, payload)
        candidates = read
        if self.regex is not None:
            candidates = self._extract(candidates)
        if self.mapping is not None or self.keywords:
            candidates = self._translate(candidates)
        if not candidates:
            if self.has_default:
                if self.default is None:
                    return self._absent(label)
                candidates = [self.default]
            elif read and (self.regex is not None or self.mapping is not None or self.keywords):
                raise self._untranslated(label, read)
            else:
                return self._absent(label)
        if self.target.kind == "objects":
            return candidates
        if self.sum:
            total = Decimal(0)
            for candidate in candidates:
                total += self._parse(candidate, label, store_unit)
            return total
        return self._parse(candidates[0], label, store_unit)

    def _absent(self, label: str) -> None:
        if self.required:
            raise RuleFailure(
                MappingError(
                    field=label,
                    code=codes.MISSING_FIELD,
                    message=f"{label}: no value at {self._source()}; goldsphere needs one. "
                    f"Fill it in the shop, or add {self._rule_hint()} with another source "
                    "or a default.",
                )
            )
        return None

    def _untranslated(self, label: str, read: list[Any]) -> RuleFailure:
        shown = ", ".join(repr(shown_value(v)) for v in read[:5])
        if len(read) > 5:
            shown += f" and {len(read) - 5} more"
        return RuleFailure(
            MappingError(
                field=label,
                code=self.target.unknown_code,
                message=f"{label}: no value at {self._source()} is recognised (found "
                f"{shown}). Add {self._rule_hint()} that maps it.",
                value=shown_value(read[0]),
            )
        )

    def _parse(self, value: Any, label: str, store_unit: str | None) -> Any:
        try:
            return parse_value(self.target, value, self.weight_options, store_unit)
        except Rejected as problem:
            if self.target.personal:
                message = f"{label}: the value at {self._source()} {problem.reason}."
                shown = mask_email(value) if isinstance(value, str) else None
            else:
                shown = shown_value(value)
                message = f"{label}: {shown!r} at {self._source()} {problem.reason}."
            raise RuleFailure(
                MappingError(field=label, code=problem.code, message=message, value=shown)
            ) from None

    def _extract(self, candidates: list[Any]) -> list[Any]:
        assert self.regex is not None
        extracted: list[Any] = []
        for candidate in candidates:
            if isinstance(candidate, bool) or not isinstance(candidate, str | int):
                continue
            text = candidate if isinstance(candidate, str) else parsers.as_text(candidate)
            found = self.regex.search(text[:MAX_REGEX_INPUT])
            if found is not None:
                value = found.group(1) if self.regex.groups else found.group(0)
                if value:
                    extracted.append(value)
        return extracted

    def _translate(self, candidates: list[Any]) -> list[Any]:
        translated: list[Any] = []
        for candidate in candidates:
            if isinstance(candidate, bool):
                text = "true" if candidate else "false"
            elif isinstance(candidate, str):
                text = candidate
            elif isinstance(candidate, int) and candidate.bit_length() <= parsers.MAX_INT_BITS:
                text = str(candidate)
            else:
                continue
            if len(text) > MAX_REGEX_INPUT:
                continue  # no map key or keyword is meant for a text this long
            if self.mapping is not None:
                key = normalize_name(text)
                if key in self.mapping:
                    translated.append(self.mapping[key])
                    continue
            if self.keywords:
                words = name_words(text)
                for keyword in self.keywords:
                    if contains_words(words, keyword.words):
                        translated.append(keyword.value)
                        break
        return translated

    def _source(self) -> str:
        return f"`{self.source_text}`" if self.source_text.strip() else "(no source)"

    def _rule_hint(self) -> str:
        article = "an" if self.entity_type == "order" else "a"
        return f"{article} {self.entity_type} rule for target '{self.target.name}'"
