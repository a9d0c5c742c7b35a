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
from collections.abc import Sequence
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
