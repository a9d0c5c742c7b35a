"""Body parsing: whatever bytes arrive, the client returns the store's JSON or raises."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from goldsphere_pipelines.woocommerce.parsing import (
    UTF8_BOM,
    ErrorPayload,
    UnexpectedBody,
    parse_count_header,
    parse_error_payload,
    parse_list,
    parse_object,
)
from goldsphere_pipelines.woocommerce.retry import RetryPolicy, parse_retry_after

# JSON values as a store may send them (orjson's range: 64-bit integers, finite floats).
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=6,
)
field_names = st.sampled_from(["id", "name", "sku", "price", "status", "line_items", "ü", ""])
records = st.lists(st.dictionaries(field_names, json_values, max_size=5), max_size=4)


@settings(max_examples=60)
@given(records)
def test_a_json_list_parses_back_to_itself(value: list[dict[str, Any]]) -> None:
    body = orjson.dumps(value)
    assert parse_list(body).value == value
    assert parse_list(UTF8_BOM + body).value == value
    assert parse_list(UTF8_BOM + body).had_bom


@settings(max_examples=60)
@given(records.filter(bool), st.data())
def test_a_cut_off_list_is_never_taken_for_a_shorter_one(
    value: list[dict[str, Any]], data: st.DataObject
) -> None:
    body = orjson.dumps(value)
    cut = data.draw(st.integers(0, len(body) - 1))
    with pytest.raises(UnexpectedBody):
        parse_list(body[:cut])


@given(st.binary(max_size=200))
def test_any_bytes_give_a_list_or_unexpected_body(body: bytes) -> None:
    try:
        parsed = parse_list(body)
    except UnexpectedBody:
        return  # the other tests pin down which problem is reported
    assert isinstance(parsed.value, list)


@given(json_values.filter(lambda v: not isinstance(v, list)))
def test_json_that_is_not_a_list_is_the_wrong_shape_for_a_page(value: Any) -> None:
    with pytest.raises(UnexpectedBody) as caught:
        parse_list(orjson.dumps(value))
    assert caught.value.problem == "wrong_shape"


@given(st.text(min_size=1).map(lambda t: f"<html><body>{t}</body></html>".encode()))
def test_html_pages_are_recognised(body: bytes) -> None:
    with pytest.raises(UnexpectedBody) as caught:
        parse_list(body)
    assert caught.value.problem == "html"


@settings(max_examples=50)
@given(st.floats(min_value=0, max_value=1e7, allow_nan=False).map(lambda f: round(f, 2)))
def test_money_numbers_come_back_exactly_through_repr(price: float) -> None:
    text = repr(price)
    (parsed,) = parse_list(f"[{text}]".encode()).value
    assert Decimal(repr(parsed)) == Decimal(text)


def test_what_orjson_refuses_the_standard_library_reads_one_record_at_a_time() -> None:
    body = (
        b'[{"id": 1, "name": "ok"},'
        b' {"id": 2, "name": "bad \xff byte", "n": 123456789012345678901234567890}]'
    )
    parsed = parse_list(body)
    assert parsed.used_fallback
    assert parsed.value[0] == {"id": 1, "name": "ok"}
    # Kept as a lone surrogate, so that this record alone is refused by name when stored.
    assert parsed.value[1]["name"] == "bad \udcff byte"
    assert parsed.value[1]["n"] == 123456789012345678901234567890


def test_invalid_utf8_outside_record_listings_becomes_the_replacement_character() -> None:
    assert parse_object(b'{"name": "bad \xff byte"}').value == {"name": "bad \ufffd byte"}
    error = parse_error_payload(b'{"code": "x\xff", "message": "lone \\ud800 escape"}')
    assert error == ErrorPayload("x\ufffd", "lone \ufffd escape")


@pytest.mark.parametrize("body", [b"[NaN]", b'[{"price": Infinity}]', b"[-Infinity]"])
def test_nan_and_infinity_tokens_are_not_json(body: bytes) -> None:
    with pytest.raises(UnexpectedBody):
        parse_list(body)


def test_single_records_must_be_objects() -> None:
    assert parse_object(b'{"id": 5}').value == {"id": 5}
    with pytest.raises(UnexpectedBody):
        parse_object(b'[{"id": 5}]')


def test_error_payloads_yield_code_and_message_or_nothing() -> None:
    payload = parse_error_payload(
        json.dumps(
            {"code": "rest_no_route", "message": "No route.", "data": {"status": 404}}
        ).encode()
    )
    assert (payload.code, payload.message) == ("rest_no_route", "No route.")
    assert parse_error_payload(b"<html>") == parse_error_payload(b'{"code": 5}')


@given(st.text(max_size=30))
def test_count_headers_are_non_negative_ints_or_none(text: str) -> None:
    value = parse_count_header(text)
    assert value is None or value == int(text.strip())


def test_retry_after_forms() -> None:
    now = datetime(2024, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after("1.5") == 1.5
    assert parse_retry_after("Mon, 01 Jan 2024 12:00:30 GMT", now=now) == 30.0
    assert parse_retry_after("Mon, 01 Jan 2024 11:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


@given(st.integers(1, 30), st.floats(0, 5), st.floats(0, 60), st.none() | st.floats(0, 10**6))
def test_backoff_stays_within_its_bounds(
    attempt: int, base: float, ceiling: float, retry_after: float | None
) -> None:
    delay = RetryPolicy(6, base, ceiling).delay(attempt, retry_after)
    assert 0.0 <= delay <= ceiling
    if retry_after is not None:
        assert delay == min(retry_after, ceiling)
    else:
        assert delay <= base * 2 ** (attempt - 1)
