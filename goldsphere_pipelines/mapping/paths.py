"""Source paths: where in a WooCommerce payload a rule reads its value.

Grammar (documented in the README, "Rule language"):

    source   := path ( "|" path )*          alternatives, read in order
    path     := segment ( "." segment )*
    segment  := key selector*
    key      := letters, digits, "_" or "-"
    selector := "[" index "]"               list element, 0-based; -1 is the last
              | "[*]"                       every element (any-of)
              | "[" key "=" text "]"        elements whose `key` equals text, ignoring
                                            case, spacing and punctuation

`attributes[name=Metal].options[0]` reads the first option of the attribute named
Metal; `categories[*].name` reads every category name. Evaluation never raises: a step
that does not fit the payload (a missing key, an index out of range, a string where a
list was expected) yields nothing. `null` and empty or blank strings count as absent.
At most `MAX_CANDIDATES` values are read per source, so a hostile array of a million
elements costs no more than a normal one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from goldsphere_pipelines.mapping.normalize import normalize_name

MAX_CANDIDATES = 1000
MAX_SOURCE_LENGTH = 500

_KEY = re.compile(r"[A-Za-z0-9_\-]+")
_INDEX = re.compile(r"-?\d{1,6}")


class PathSyntaxError(ValueError):
    """A source path that cannot be parsed; the message says where and why."""


@dataclass(frozen=True, slots=True)
class Key:
    name: str


@dataclass(frozen=True, slots=True)
class Index:
    position: int


@dataclass(frozen=True, slots=True)
class Every:
    pass


@dataclass(frozen=True, slots=True)
class Where:
    key: str
    normalized_value: str


Step = Key | Index | Every | Where


@dataclass(frozen=True, slots=True)
class SourcePath:
    """One parsed path; `text` is how the admin wrote it."""

    text: str
    steps: tuple[Step, ...]


def parse_source(text: str) -> tuple[SourcePath, ...]:
    """Parse `a.b[0] | c[*].d` into paths; an empty or blank source gives no path.

    Raises `PathSyntaxError` with a message naming the position of the fault.
    """
    if len(text) > MAX_SOURCE_LENGTH:
        raise PathSyntaxError(f"is longer than {MAX_SOURCE_LENGTH} characters")
    if not text.strip():
        return ()
    return tuple(_parse_path(part.strip()) for part in text.split("|"))


def _parse_path(text: str) -> SourcePath:
    if not text:
        raise PathSyntaxError("has an empty alternative around '|'")
    steps: list[Step] = []
    pos = 0
    expect_key = True
    while pos < len(text):
        if expect_key:
            match = _KEY.match(text, pos)
            if match is None:
                raise PathSyntaxError(
                    f"'{text}': expected a field name at position {pos + 1}, found {text[pos]!r}"
                )
            steps.append(Key(match.group()))
            pos = match.end()
            expect_key = False
        elif text[pos] == ".":
            pos += 1
            expect_key = True
            if pos == len(text):
                raise PathSyntaxError(f"'{text}': ends with '.'")
        elif text[pos] == "[":
            end = text.find("]", pos)
            if end < 0:
                raise PathSyntaxError(f"'{text}': '[' at position {pos + 1} is never closed")
            steps.append(_parse_selector(text, text[pos + 1 : end].strip(), pos))
            pos = end + 1
        else:
            raise PathSyntaxError(
                f"'{text}': unexpected {text[pos]!r} at position {pos + 1} "
                "(use '.' between fields and [..] for lists)"
            )
    return SourcePath(text=text, steps=tuple(steps))


def _parse_selector(path: str, inner: str, pos: int) -> Step:
    if inner == "*":
        return Every()
    if _INDEX.fullmatch(inner):
        return Index(int(inner))
    key, eq, value = inner.partition("=")
    key, value = key.strip(), value.strip()
    if eq and _KEY.fullmatch(key) and value:
        return Where(key=key, normalized_value=normalize_name(value))
    raise PathSyntaxError(
        f"'{path}': [{inner}] at position {pos + 1} is neither an index, [*] nor [key=value]"
    )


def read_source(paths: Sequence[SourcePath], payload: Any) -> list[Any]:
    """Every value the paths find in the payload, in order, absent values left out."""
    if len(paths) == 1 and len(paths[0].steps) == 1 and isinstance(paths[0].steps[0], Key):
        # Most rules read one plain field: spare them the general walk.
        if not isinstance(payload, dict):
            return []
        value = payload.get(paths[0].steps[0].name)
        if value is None or (isinstance(value, str) and not value.strip()):
            return []
        return [value]
    found: list[Any] = []
    for path in paths:
        for value in _read_path(path.steps, payload):
            if value is None or (isinstance(value, str) and not value.strip()):
                continue
            found.append(value)
            if len(found) >= MAX_CANDIDATES:
                return found
    return found


def _read_path(steps: tuple[Step, ...], payload: Any) -> list[Any]:
    current: list[Any] = [payload]
    for step in steps:
        following: list[Any] = []
        for value in current:
            if isinstance(step, Key):
                if isinstance(value, dict) and step.name in value:
                    following.append(value[step.name])
            elif isinstance(step, Index):
                if isinstance(value, list) and -len(value) <= step.position < len(value):
                    following.append(value[step.position])
            elif isinstance(step, Every):
                if isinstance(value, list):
                    following.extend(value[:MAX_CANDIDATES])
            elif isinstance(value, list):
                following.extend(
                    element
                    for element in value[:MAX_CANDIDATES]
                    if isinstance(element, dict)
                    and _matches(element.get(step.key), step.normalized_value)
                )
            if len(following) >= MAX_CANDIDATES:
                del following[MAX_CANDIDATES:]
                break
        if not following:
            return following
        current = following
    return current


def _matches(value: Any, normalized: str) -> bool:
    if isinstance(value, str):
        return len(value) <= _MAX_MATCHED_LENGTH and normalize_name(value) == normalized
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() <= 64:
        return normalize_name(str(value)) == normalized
    return False


# Names compared by [key=value] are short; a longer value cannot be meant, and folding a
# hostile megabyte for each of a thousand elements would be slow.
_MAX_MATCHED_LENGTH = 1000


# --- compiled readers: the fast path ---------------------------------------------------
#
# `read_source` walks the steps as data, deciding per step and per value what to do.
# The rule engine's fast path (compiled.py) reads through these closures instead, built
# once per rule; each gives exactly what `_read_path` gives for its path.

PathReader = Callable[[Any], list[Any]]
"""Every value one path finds (absent ones included), as `_read_path` finds them."""

ValueReader = Callable[[Any], Any]
"""The one value a path of fields and indexes finds, or None when it finds nothing."""


def value_reader(path: SourcePath) -> ValueReader | None:
    """A reader for a path of fields and list indexes only (`billing.email`,
    `images[0].src`), which finds one value at most; None for any other path.

    Finding nothing and finding null both give None: either way there is no value.
    """
    if not all(isinstance(step, Key | Index) for step in path.steps):
        return None
    if len(path.steps) == 1 and isinstance(path.steps[0], Key):
        name = path.steps[0].name

        def read_field(payload: Any) -> Any:
            return payload.get(name) if isinstance(payload, dict) else None

        return read_field
    # (field name, 0) for a field, (None, position) for a list index
    steps = tuple(
        (step.name, 0) if isinstance(step, Key) else (None, step.position)
        for step in path.steps
        if isinstance(step, Key | Index)
    )

    def read_fields(payload: Any) -> Any:
        value = payload
        for name, position in steps:
            if name is not None:
                if not isinstance(value, dict):
                    return None
                value = value.get(name)
            elif isinstance(value, list) and -len(value) <= position < len(value):
                value = value[position]
            else:
                return None
        return value

    return read_fields


def path_reader(path: SourcePath) -> PathReader:
    """A reader giving what `_read_path(path.steps, payload)` gives."""
    single = value_reader(path)
    if single is not None:
        one: ValueReader = single

        def read_one(payload: Any) -> list[Any]:
            value = one(payload)
            return [] if value is None else [value]

        return read_one
    walks = tuple(_step_walker(step) for step in path.steps)

    def read_many(payload: Any) -> list[Any]:
        current = [payload]
        for walk in walks:
            current = walk(current)
            if not current:
                break
        return current

    return read_many


_Walker = Callable[[list[Any]], list[Any]]


def _step_walker(step: Step) -> _Walker:
    # `current` never holds more than MAX_CANDIDATES values, so a field or an index step
    # cannot exceed it; only [*] and [key=value] need cutting.
    if isinstance(step, Key):
        name = step.name

        def field(current: list[Any]) -> list[Any]:
            return [value[name] for value in current if isinstance(value, dict) and name in value]

        return field
    if isinstance(step, Index):
        position = step.position

        def index(current: list[Any]) -> list[Any]:
            return [
                value[position]
                for value in current
                if isinstance(value, list) and -len(value) <= position < len(value)
            ]

        return index
    if isinstance(step, Every):

        def every(current: list[Any]) -> list[Any]:
            following: list[Any] = []
            for value in current:
                if isinstance(value, list):
                    following.extend(value[:MAX_CANDIDATES])
                    if len(following) >= MAX_CANDIDATES:
                        del following[MAX_CANDIDATES:]
                        break
            return following

        return every
    return _where_walker(step)


def _where_walker(step: Where) -> _Walker:
    key, normalized = step.key, step.normalized_value
    # Attribute names repeat on every product: remember which ones match.
    seen: dict[str, bool] = {}

    def where(current: list[Any]) -> list[Any]:
        following: list[Any] = []
        for value in current:
            if not isinstance(value, list):
                continue
            for element in value[:MAX_CANDIDATES]:
                if not isinstance(element, dict):
                    continue
                name = element.get(key)
                if type(name) is str and len(name) <= _REMEMBERED_NAME_LENGTH:
                    matched = seen.get(name)
                    if matched is None:
                        matched = _matches(name, normalized)
                        if len(seen) >= _REMEMBERED_NAMES:
                            seen.clear()
                        seen[name] = matched
                else:
                    matched = _matches(name, normalized)
                if matched:
                    following.append(element)
            if len(following) >= MAX_CANDIDATES:
                del following[MAX_CANDIDATES:]
                break
        return following

    return where


_REMEMBERED_NAME_LENGTH = 100
_REMEMBERED_NAMES = 1024
