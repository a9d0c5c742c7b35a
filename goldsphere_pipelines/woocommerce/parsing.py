"""Turning response bodies into JSON, and refusing what is not the JSON that was asked for.

A store answers with what its plugins print: JSON, JSON after a byte order mark, HTML error
pages with status 200, or a body cut off mid-way. These functions never guess: a list
endpoint yields a list or raises `UnexpectedBody`, never a shorter or empty list.

Numbers arrive as Python `int` and `float` (orjson). A float is the double the JSON text
denotes; `repr()` gives back the shortest text for it, which is what PHP >= 7.1 prints, so
`Decimal(repr(x))` recovers a store's money amount exactly.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

import orjson

from goldsphere_pipelines.text import storable_text

UTF8_BOM = b"\xef\xbb\xbf"

BodyProblem = Literal["empty", "html", "truncated", "not_json", "wrong_shape"]


class UnexpectedBody(Exception):
    """A body that is not the expected JSON. Internal: the client retries, then raises
    `InvalidResponseError` with a message built from `problem` and `detail`."""

    def __init__(self, problem: BodyProblem, detail: str) -> None:
        super().__init__(f"{problem}: {detail}")
        self.problem: BodyProblem = problem
        self.detail = detail


@dataclass(frozen=True, slots=True)
class ParsedBody:
    value: Any
    had_bom: bool
    """The body started with a UTF-8 byte order mark, which was skipped (see `parse_json`)."""
    used_fallback: bool
    """orjson refused the body but the standard library read it (see `parse_json`)."""


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_json(body: bytes, *, keep_invalid_utf8: bool = False) -> ParsedBody:
    """Parse `body` as one JSON document.

    A leading UTF-8 byte order mark is skipped: a plugin file saved with a BOM makes every
    response carry it, so retrying would never help, and what follows it is the store's
    JSON unchanged. When orjson refuses a body that the standard library accepts (integers
    beyond 64 bits, lone surrogate escapes, invalid UTF-8 bytes, exponents beyond a
    double), the standard library's reading is used, so that one hostile record does not
    sink its whole page; `NaN`/`Infinity` tokens are not JSON and are refused.

    Invalid UTF-8 bytes become U+FFFD, or with `keep_invalid_utf8` lone surrogates
    (U+DC80–U+DCFF, Python's "surrogateescape"): record listings keep them, so that the
    record holding them is refused by name instead of being stored altered.
    """
    had_bom = body.startswith(UTF8_BOM)
    if had_bom:
        body = body[len(UTF8_BOM) :]
    try:
        return ParsedBody(orjson.loads(body), had_bom, used_fallback=False)
    except orjson.JSONDecodeError as fast_error:
        stripped = body.strip()
        if not stripped:
            raise UnexpectedBody("empty", "the body is empty") from None
        if stripped[:1] == b"<":
            raise UnexpectedBody("html", "the body is HTML, not JSON") from None
        try:
            value = json.loads(
                body.decode("utf-8", errors="surrogateescape" if keep_invalid_utf8 else "replace"),
                parse_constant=_reject_constant,
            )
        except (ValueError, RecursionError):
            if stripped[:1] in (b"[", b"{") and _looks_cut_off(str(fast_error)):
                raise UnexpectedBody("truncated", "the JSON ends early (cut off)") from None
            raise UnexpectedBody("not_json", f"the body is not JSON ({fast_error})") from None
        return ParsedBody(value, had_bom, used_fallback=True)


def _looks_cut_off(orjson_message: str) -> bool:
    return "unexpected end of data" in orjson_message or "EOF" in orjson_message


def parse_list(body: bytes) -> ParsedBody:
    """The body as a JSON list (a list endpoint's page), else `UnexpectedBody`.

    Invalid UTF-8 bytes are kept as lone surrogates (see `parse_json`): each record is
    validated on its own before it is stored.
    """
    parsed = parse_json(body, keep_invalid_utf8=True)
    if not isinstance(parsed.value, list):
        raise UnexpectedBody("wrong_shape", f"expected a JSON list, got {_kind(parsed.value)}")
    return parsed


def parse_object(body: bytes) -> ParsedBody:
    """The body as a JSON object (a single record), else `UnexpectedBody`."""
    parsed = parse_json(body)
    if not isinstance(parsed.value, dict):
        raise UnexpectedBody("wrong_shape", f"expected a JSON object, got {_kind(parsed.value)}")
    return parsed


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "a JSON object"
    if isinstance(value, list):
        return "a JSON list"
    if value is None:
        return "null"
    return f"a JSON {type(value).__name__}"


@dataclass(frozen=True, slots=True)
class ErrorPayload:
    """WooCommerce's error shape `{"code": …, "message": …, "data": {"status": …}}`."""

    code: str | None
    message: str | None


def parse_error_payload(body: bytes) -> ErrorPayload:
    """The code and message of a WordPress/WooCommerce error body; Nones when it is not one."""
    try:
        value = parse_json(body).value
    except UnexpectedBody:
        return ErrorPayload(None, None)
    if not isinstance(value, dict):
        return ErrorPayload(None, None)
    code = value.get("code")
    message = value.get("message")
    return ErrorPayload(
        storable_text(code) if isinstance(code, str) else None,
        storable_text(message) if isinstance(message, str) else None,
    )


def parse_count_header(value: str | None) -> int | None:
    """`X-WP-Total`/`X-WP-TotalPages` as a non-negative int; None when absent or garbled."""
    if value is None:
        return None
    text = value.strip()
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        return None
    return int(text)


def looks_like_html(body: bytes) -> bool:
    """True for bodies that are HTML pages (a PHP error, a firewall's challenge page)."""
    head = body.removeprefix(UTF8_BOM).lstrip()[:256].lower()
    return head.startswith((b"<!doctype html", b"<html", b"<br", b"<b>", b"<head", b"<body"))


def excerpt(body: bytes, limit: int = 300) -> str:
    """The first `limit` characters of the body as text, one line, for messages and logs."""
    text = body[: limit * 4].decode("utf-8", errors="replace")
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
