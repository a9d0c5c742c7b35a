"""Turns what a store sent into rows to store, or a precise error for that one record.

A store can send anything: a record without an id, an id that is a string, a giant
description, dates out of range. One bad record never stops the sync: it becomes a
`RecordError` that the run records, and the other records go on.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import orjson

from goldsphere_pipelines.storage.external_records import RawRecord
from goldsphere_pipelines.text import is_storable, storable_text

Entity = Literal["product", "order"]

# PostgreSQL's jsonb and a sane admin UI both suffer beyond this; a real product or order
# is a few kilobytes.
MAX_RECORD_BYTES = 1_000_000


@dataclass(frozen=True)
class RecordError:
    entity: Entity
    external_id: str | None
    field: str
    code: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "entity": self.entity,
            "externalId": self.external_id,
            "field": self.field,
            "code": self.code,
            "message": self.message,
        }


def parse_gmt(value: Any) -> datetime | None:
    """WooCommerce `*_gmt` dates are UTC without an offset; anything else is None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    if not 1970 <= parsed.year <= 9999:
        return None
    return parsed


def first_invalid_text(payload: Any) -> str | None:
    """The path of the first key or string PostgreSQL cannot store, e.g. `line_items[2].name`.

    Lone surrogates are what invalid UTF-8 bytes become when a page is parsed (see
    `woocommerce.parsing.parse_json`) and what `\\ud800`-style escapes decode to. Walked
    without recursion: a hostile record can be nested deeper than Python's stack.
    """
    stack: list[tuple[str, Any]] = [("", payload)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if not is_storable(value):
                return _shown(path or "$")
        elif isinstance(value, dict):
            children: list[tuple[str, Any]] = []
            for key, item in value.items():
                child = f"{path}.{key}" if path else str(key)
                if isinstance(key, str) and not is_storable(key):
                    return _shown(f"{path or '$'} (a key)")
                children.append((child, item))
            stack.extend(reversed(children))
        elif isinstance(value, list):
            stack.extend((f"{path}[{i}]", item) for i, item in reversed(list(enumerate(value))))
    return None


def _shown(path: str) -> str:
    # A path through a hostile record can be as long as the record is deep.
    return path if len(path) <= 200 else path[:199] + "…"


# hashlib gives up the interpreter lock for inputs of 2,048 bytes or more. Hashing a few
# kilobytes takes microseconds; getting the lock back from the threads parsing pages can
# take milliseconds. Updates below that size keep it.
_HASH_CHUNK = 2047


def _sha256_hex(data: bytes) -> str:
    digest = hashlib.sha256()
    view = memoryview(data)
    for start in range(0, len(view), _HASH_CHUNK):
        digest.update(view[start : start + _HASH_CHUNK])
    return digest.hexdigest()


def to_raw_record(
    entity: Entity, payload: Any, *, parent_external_id: str | None = None
) -> RawRecord | RecordError:
    if not isinstance(payload, dict):
        return RecordError(
            entity,
            None,
            "$",
            "not_an_object",
            f"The store sent a {type(payload).__name__} where a {entity} object was expected.",
        )
    record_id = payload.get("id")
    if isinstance(record_id, bool) or not isinstance(record_id, int) or record_id <= 0:
        shown = repr(record_id)[:40]
        return RecordError(
            entity,
            None,
            "id",
            "invalid_id",
            f"The {entity} has no usable id ({shown}); WooCommerce ids are positive integers.",
        )
    external_id = str(record_id)
    text_errors: tuple[dict[str, Any], ...] = ()
    try:
        canonical = orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)
        unstorable = b"\\u0000" in canonical  # PostgreSQL's jsonb and text refuse NUL
    except (TypeError, orjson.JSONEncodeError):
        # A lone surrogate cannot be encoded at all; anything else (nesting too deep) is
        # found again below.
        unstorable = first_invalid_text(payload) is not None
        canonical = b""
    if unstorable:
        payload, paths = replace_unstorable_text(payload)
        text_errors = (text_replaced_error(entity, paths),)
    if not canonical or unstorable:
        try:
            canonical = orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)
        except (TypeError, orjson.JSONEncodeError) as exc:
            return RecordError(
                entity, external_id, "$", "unserializable", f"Cannot store it: {exc}."
            )
    if len(canonical) > MAX_RECORD_BYTES:
        return RecordError(
            entity,
            external_id,
            "$",
            "too_large",
            f"The {entity} is {len(canonical):,} bytes of JSON, over the "
            f"{MAX_RECORD_BYTES:,}-byte limit per record; it was not stored.",
        )
    sku = payload.get("sku") if entity == "product" else None
    return RawRecord(
        external_id=external_id,
        payload=canonical,
        payload_hash=_sha256_hex(canonical),
        date_modified_gmt=parse_gmt(payload.get("date_modified_gmt")),
        parent_external_id=parent_external_id,
        sku=sku.strip()[:200] if isinstance(sku, str) and sku.strip() else None,
        text_errors=text_errors,
    )


TEXT_REPLACED = "text_replaced"
MAX_PATHS_SHOWN = 20


def replace_unstorable_text(payload: Any) -> tuple[Any, list[str]]:
    """A copy of `payload` with every NUL and lone surrogate (in keys and strings) replaced
    by U+FFFD, and the path of each text replaced (`customer_note`, `line_items[2].name`).

    Rebuilt without recursion: a hostile record can be nested deeper than Python's stack.
    """
    paths: list[str] = []

    def fixed(path: str, text: str) -> str:
        if is_storable(text):
            return text
        paths.append(_shown(path or "$"))
        return storable_text(text)

    root: list[Any] = [None]
    # (path, value, container, slot): `value` is written to container[slot] once rebuilt.
    stack: list[tuple[str, Any, Any, Any]] = [("", payload, root, 0)]
    while stack:
        path, value, container, slot = stack.pop()
        if isinstance(value, str):
            container[slot] = fixed(path, value)
        elif isinstance(value, dict):
            copy: dict[Any, Any] = {}
            container[slot] = copy
            children: list[tuple[str, Any, Any, Any]] = []
            for key, item in value.items():
                name = fixed(f"{path or '$'} (a key)", key) if isinstance(key, str) else key
                copy[name] = None
                children.append((f"{path}.{name}" if path else str(name), item, copy, name))
            stack.extend(reversed(children))
        elif isinstance(value, list):
            items: list[Any] = [None] * len(value)
            container[slot] = items
            stack.extend(
                (f"{path}[{i}]", item, items, i) for i, item in reversed(list(enumerate(value)))
            )
        else:
            container[slot] = value
    return root[0], paths


def text_replaced_error(entity: Entity, paths: list[str]) -> dict[str, Any]:
    """The error stored with a record whose unstorable text was replaced."""
    shown = ", ".join(paths[:MAX_PATHS_SHOWN])
    if len(paths) > MAX_PATHS_SHOWN:
        shown += f" and {len(paths) - MAX_PATHS_SHOWN} more"
    return {
        "field": paths[0] if paths else "$",
        "code": TEXT_REPLACED,
        "message": f"The {entity}'s text at {shown} held characters PostgreSQL cannot store "
        "(a NUL character, invalid UTF-8 bytes or a lone surrogate escape such as \\ud800); "
        "each was replaced by U+FFFD and the record was stored. Correct the text "
        "in the shop if it matters.",
        "paths": paths[:MAX_PATHS_SHOWN],
    }
