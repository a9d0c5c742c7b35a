"""What a store sent, as a row to store or one precise error for that record."""

from __future__ import annotations

import hashlib
from typing import Any

import orjson
import pytest

from goldsphere_pipelines.connectors.raw_records import (
    first_invalid_text,
    to_raw_record,
)
from goldsphere_pipelines.storage.external_records import RawRecord
from goldsphere_pipelines.woocommerce.parsing import parse_list


def test_invalid_utf8_in_a_page_is_replaced_and_the_record_kept_with_an_error() -> None:
    page = parse_list(
        b'[{"id": 1, "customer_note": "caf\xc3 \xff"},'
        b' {"id": 2, "line_items": [{"name": "ok"}, {"name": "\\ud800 broken"}]},'
        b' {"id": 3, "customer_note": "Z\xc3\xbcrich"}]'
    ).value
    first, second, third = (to_raw_record("order", record) for record in page)

    assert isinstance(first, RawRecord)
    assert orjson.loads(first.payload)["customer_note"] == "caf\ufffd \ufffd"
    (error,) = first.text_errors
    assert (error["code"], error["field"], error["paths"]) == (
        "text_replaced",
        "customer_note",
        ["customer_note"],
    )
    assert "replaced by U+FFFD" in error["message"]
    assert isinstance(second, RawRecord)
    assert orjson.loads(second.payload)["line_items"][1]["name"] == "\ufffd broken"
    assert second.text_errors[0]["paths"] == ["line_items[1].name"]
    # The rest of the page, read by the same fallback parser, is stored as sent.
    assert isinstance(third, RawRecord)
    assert third.payload == '{"customer_note":"Zürich","id":3}'.encode()
    assert third.text_errors == ()


def test_nul_characters_anywhere_are_replaced_keys_included() -> None:
    payload = {"id": 7, "customer_note": "a\u0000b", "meta": [{"k\u0000": "\u0000"}]}
    record = to_raw_record("order", payload)

    assert isinstance(record, RawRecord)
    assert orjson.loads(record.payload) == {
        "id": 7,
        "customer_note": "a\ufffdb",
        "meta": [{"k\ufffd": "\ufffd"}],
    }
    assert record.text_errors[0]["paths"] == ["customer_note", "meta[0] (a key)", "meta[0].k\ufffd"]
    assert payload["customer_note"] == "a\u0000b"  # the caller's payload is not modified


@pytest.mark.parametrize(
    ("payload", "path"),
    [
        ({"a": "fine", "b": "\udcff"}, "b"),
        ({"a": [{"b": 1}, {"c": ["x", "\ud800"]}]}, "a[1].c[1]"),
        ({"a": {"\udc80key": 1}}, "a (a key)"),
        ("\udc80", "$"),
        ({"a": ["fine", {"b": None}]}, None),
    ],
)
def test_the_first_invalid_text_is_found_by_its_path(payload: Any, path: str | None) -> None:
    assert first_invalid_text(payload) == path


def test_a_path_through_a_deep_record_is_shortened_and_needs_no_recursion() -> None:
    deep: Any = "\udcff"
    for _ in range(5000):
        deep = [deep]
    found = first_invalid_text({"meta": deep})
    assert found is not None
    assert found.startswith("meta[0][0]")
    assert len(found) == 200


@pytest.mark.parametrize("note_length", [0, 2_000, 2_047, 2_048, 50_000])
def test_the_hash_is_the_sha256_of_the_stored_payload_at_any_size(note_length: int) -> None:
    # Hashed in pieces below 2 KiB (see `_sha256_hex`); the digest must not notice.
    stored = to_raw_record("order", {"id": 7, "customer_note": "é" * note_length})

    assert isinstance(stored, RawRecord)
    assert stored.payload_hash == hashlib.sha256(stored.payload).hexdigest()
