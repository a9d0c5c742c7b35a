"""Turning one raw payload value into one typed goldsphere value, or a precise refusal.

Every parser raises `Rejected(code, reason)` for a value it cannot take; the rule engine
turns that into a `MappingError` naming the field. Nothing here ever goes through
`float`: money arrives from WooCommerce as strings and is read with `Decimal`, and a JSON
floating-point number where money is expected is refused rather than rounded.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any, Literal

from goldsphere_pipelines.mapping import errors as codes
from goldsphere_pipelines.mapping.currencies import ISO_4217_CODES, SUPPORTED_CURRENCIES
from goldsphere_pipelines.mapping.knowledge import purity_word
from goldsphere_pipelines.text import is_storable

WeightUnit = Literal["grams", "troy_ounces", "kilograms"]

CENT = Decimal("0.01")
WEIGHT_STEP = Decimal("0.0001")
PURITY_STEP = Decimal("0.0001")
MAX_NUMBER_TEXT = 40
# Python refuses to print integers longer than 4300 digits; anything near that is hostile.
MAX_INT_BITS = 128


class Rejected(Exception):
    """A value a parser cannot take: a stable error code and a reason in words."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def describe_type(value: Any) -> str:
    """The JSON type of a value, in words an admin reading an error understands."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int):
        return "a whole number"
    if isinstance(value, float):
        return "a floating-point number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def as_text(value: Any) -> str:
    """Text, or a whole number written as text (SKUs and ids are sometimes numbers).

    Text PostgreSQL cannot store (NUL, lone surrogates from broken UTF-16 escapes in the
    JSON) is refused here, before it reaches a goldsphere row.
    """
    if isinstance(value, str):
        if not is_storable(value):
            raise Rejected(
                codes.INVALID_TEXT,
                "contains characters that are not valid text (NUL or broken UTF-16)",
            )
        return value
    if (
        isinstance(value, int)
        and not isinstance(value, bool)
        and value.bit_length() <= MAX_INT_BITS
    ):
        return str(value)
    raise Rejected(codes.INVALID_TYPE, f"is {describe_type(value)}, expected text")


# --- numbers -----------------------------------------------------------------------------

_PLAIN_DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")


def parse_decimal(value: Any) -> Decimal:
    """A finite decimal from a string such as `"21.99"` or a JSON integer.

    Refused: floats (binary fractions lose cents), exponents (`"1e3"`), `NaN`,
    `Infinity`, thousands separators and anything longer than 40 characters.
    """
    if isinstance(value, bool):
        raise Rejected(codes.INVALID_TYPE, "is true/false, expected a number")
    if isinstance(value, int):
        if value.bit_length() > MAX_INT_BITS:
            raise Rejected(codes.OUT_OF_RANGE, "is far too large")
        return Decimal(value)
    if isinstance(value, float):
        raise Rejected(
            codes.INVALID_TYPE,
            'is a floating-point JSON number; amounts must arrive as text such as "21.99" '
            "so that no cent is lost",
        )
    if isinstance(value, str):
        text = value.strip()
        if len(text) <= MAX_NUMBER_TEXT and _PLAIN_DECIMAL.fullmatch(text):
            return Decimal(text)
        raise Rejected(codes.INVALID_DECIMAL, "is not a plain decimal number such as 21.99")
    raise Rejected(codes.INVALID_TYPE, f"is {describe_type(value)}, expected a number")


def parse_money(value: Any, *, minimum: Decimal | None, maximum: Decimal) -> Decimal:
    """A decimal rounded half-up to the cent, within bounds."""
    if type(value) is str:
        # The usual case, as below without the calls: a sync reads millions of amounts.
        text = value.strip()
        if len(text) <= MAX_NUMBER_TEXT and _PLAIN_DECIMAL.fullmatch(text):
            amount = Decimal(text)
            if (minimum is None or amount >= minimum) and amount <= maximum:
                return amount.quantize(CENT, rounding=ROUND_HALF_UP)
    amount = parse_decimal(value)
    check_range(amount, minimum=minimum, maximum=maximum)
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def parse_integer(value: Any) -> int:
    """A whole number from a JSON integer or a string of digits."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise Rejected(codes.INVALID_TYPE, f"is {describe_type(value)}, expected a whole number")
    number = parse_decimal(value)
    if number != number.to_integral_value():
        raise Rejected(codes.INVALID_DECIMAL, "is not a whole number")
    return int(number)


def check_range(
    number: Decimal | int, *, minimum: Decimal | int | None, maximum: Decimal | int
) -> None:
    if minimum is not None and number < minimum:
        raise Rejected(codes.OUT_OF_RANGE, f"is below the smallest allowed value {minimum}")
    if number > maximum:
        raise Rejected(codes.OUT_OF_RANGE, f"is above the largest allowed value {maximum}")


def parse_external_id(value: Any) -> str | None:
    """A WooCommerce id as text; `0` (WooCommerce's "none") gives None."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise Rejected(codes.INVALID_ID, f"is {describe_type(value)}, expected a positive id")
    text = value.strip() if isinstance(value, str) else None
    if text is not None and not (text.isascii() and text.isdigit() and len(text) <= 19):
        raise Rejected(codes.INVALID_ID, "is not a positive id")
    number = int(text) if text is not None else int(value)
    if not 0 <= number < 2**63:
        raise Rejected(codes.INVALID_ID, "is not a positive id")
    return str(number) if number else None


# --- text --------------------------------------------------------------------------------

_TAG = re.compile(r"<[^>]{0,2000}>")
_BLOCK_END = re.compile(r"<\s*(?:br\s*/?|/p|/div|/li|/h[1-6])\s*>", re.IGNORECASE)
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
_BLANK_LINES = re.compile(r"\s*\n\s*")


def parse_plain_text(value: Any, *, max_length: int, multiline: bool = False) -> str:
    """Text with HTML tags removed and entities decoded (`&ndash;` → `–`), spaces collapsed.

    WooCommerce names and descriptions are HTML; goldsphere shows plain text.
    """
    text = as_text(value)
    if len(text) > max_length * 4:
        raise Rejected(codes.TOO_LONG, f"is {len(text)} characters long; at most {max_length}")
    if multiline:
        text = _BLOCK_END.sub("\n", text)
    text = html.unescape(_TAG.sub(" " if not multiline else "", text))
    if multiline:
        text = _BLANK_LINES.sub("\n", _SPACES.sub(" ", text)).strip()
    else:
        text = " ".join(text.split())
    if len(text) > max_length:
        raise Rejected(codes.TOO_LONG, f"is {len(text)} characters long; at most {max_length}")
    return text


def parse_short_text(value: Any, *, max_length: int) -> str:
    """Text kept as written (an SKU), trimmed."""
    text = as_text(value).strip()
    if len(text) > max_length:
        raise Rejected(codes.TOO_LONG, f"is {len(text)} characters long; at most {max_length}")
    return text


_URL = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)


def parse_url(value: Any) -> str:
    """An http(s) URL without spaces, at most 2048 characters."""
    text = as_text(value).strip()
    if len(text) > 2048 or not _URL.fullmatch(text):
        raise Rejected(codes.INVALID_URL, "is not an http(s) URL")
    return text


def parse_boolean(value: Any) -> bool:
    """true/false, or yes/no, 1/0 written as text or numbers."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | str):
        word = str(value).strip().lower() if isinstance(value, str) else str(value)
        if word in ("true", "yes", "1"):
            return True
        if word in ("false", "no", "0"):
            return False
    raise Rejected(codes.INVALID_TYPE, f"is {describe_type(value)}, expected true or false")


def parse_email(value: Any) -> str:
    text = as_text(value).strip()
    if len(text) > 320 or "@" not in text:
        raise Rejected(codes.INVALID_TYPE, "is not an e-mail address")
    return text


# --- currency and dates ------------------------------------------------------------------


def parse_currency(value: Any) -> str:
    """An ISO 4217 code, upper case, one that goldsphere prices in."""
    code = as_text(value).strip().upper()
    if code not in ISO_4217_CODES:
        raise Rejected(codes.UNKNOWN_CURRENCY, "is not an ISO 4217 currency code")
    if code not in SUPPORTED_CURRENCIES:
        raise Rejected(
            codes.UNSUPPORTED_CURRENCY,
            f"is not a currency goldsphere accepts ({', '.join(sorted(SUPPORTED_CURRENCIES))})",
        )
    return code


EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2999, 12, 31, 23, 59, 59, tzinfo=UTC)


def parse_datetime(value: Any) -> datetime:
    """A timezone-aware UTC datetime from WooCommerce's `*_gmt` text.

    Text without an offset is UTC (WooCommerce's `_gmt` fields carry none); text with an
    offset is converted. Years before 1970 or after 2999 are refused as out of range.
    """
    text = as_text(value).strip()
    if len(text) > 40:
        raise Rejected(codes.INVALID_DATETIME, "is not a date and time")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise Rejected(
            codes.INVALID_DATETIME, "is not an ISO 8601 date and time such as 2017-03-22T19:28:08"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        moment = moment.astimezone(UTC)
    except OverflowError:
        raise Rejected(codes.INVALID_DATETIME, "is out of range") from None
    if not EARLIEST <= moment <= LATEST:
        raise Rejected(codes.INVALID_DATETIME, "is out of range (1970 to 2999)")
    return moment


# --- weight ------------------------------------------------------------------------------

_TROY_GRAMS = Decimal("31.1034768")
_UNIT_WORDS: dict[str, tuple[str, Decimal]] = {}
for _words, _unit, _factor in (
    (("g", "gr", "gram", "grams", "gramm", "gramme", "grammes"), "grams", Decimal(1)),
    (("kg", "kgs", "kilo", "kilos", "kilogram", "kilograms", "kilogramm"), "kilograms", Decimal(1)),
    (
        ("ozt", "toz", "oz t", "oz. t", "troy oz", "troy oz.", "troy ounce", "troy ounces"),
        "troy_ounces",
        Decimal(1),
    ),
    (("oz", "oz.", "ounce", "ounces", "unze", "unzen"), "ounces", Decimal(1)),
    (("lb", "lbs", "pound", "pounds"), "pounds", Decimal(1)),
):
    for _word in _words:
        _UNIT_WORDS[_word] = (_unit, _factor)

WEIGHT_UNIT_NAMES = frozenset(_UNIT_WORDS) | {"grams", "kilograms", "troy_ounces", "store"}
"""What a weight transform's `unit` option may say (`store`: the store's unit)."""

_AVOIRDUPOIS_OUNCE_GRAMS = Decimal("28.349523125")
_POUND_GRAMS = Decimal("453.59237")
_VULGAR = {"½": " 1/2", "¼": " 1/4", "¾": " 3/4", "⅒": " 1/10", "⁄": "/"}
_WEIGHT = re.compile(
    r"(?:(?P<count>\d{1,4})\s*[x×*]\s*)?"
    r"(?P<amount>\d{1,9}\s+\d{1,4}/\d{1,4}|\d{1,4}/\d{1,4}|\d{0,9}[.,]?\d{1,9})"
    r"\s*(?P<unit>[a-z][a-z .]{0,15}?)?\.?"
)
_AMBIGUOUS_THOUSANDS = re.compile(r"\d{1,3},\d{3}")
MAX_WEIGHT = Decimal("99999999.9999")


@dataclass(frozen=True, slots=True)
class WeightOptions:
    """`unit`: the unit of a bare number (`store`: the store's unit, grams when unknown);
    `ounce`: whether a plain "oz" is a troy ounce (bullion) or an avoirdupois ounce."""

    unit: str = "store"
    ounce: Literal["troy", "avoirdupois"] = "troy"


def parse_weight(
    value: Any, options: WeightOptions, *, store_unit: str | None
) -> tuple[Decimal, WeightUnit]:
    """`"1 oz"`, `"1/10 oz"`, `"100 g"`, `"1 kg"`, `"31.1035 g"`, `"50 x 1 g"` or a bare number.

    The unit is kept when goldsphere has it (grams, troy ounces, kilograms); avoirdupois
    ounces and pounds are converted to grams. The result has at most four decimals.
    """
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise Rejected(codes.INVALID_TYPE, f"is {describe_type(value)}, expected a weight")
    text = as_text(value).strip().lower()
    for glyph, replacement in _VULGAR.items():
        text = text.replace(glyph, replacement)
    text = " ".join(text.split())
    match = _WEIGHT.fullmatch(text) if len(text) <= 60 else None
    if match is None:
        raise Rejected(
            codes.INVALID_WEIGHT, 'is not a weight such as "1 oz", "1/10 oz", "100 g" or "1 kg"'
        )
    amount = _weight_amount(match.group("amount"))
    if match.group("count"):
        amount *= int(match.group("count"))
    unit_word = (match.group("unit") or "").strip()
    if unit_word:
        if unit_word not in _UNIT_WORDS:
            raise Rejected(codes.INVALID_WEIGHT, f"has an unknown unit {unit_word!r}")
        unit = _UNIT_WORDS[unit_word][0]
    else:
        unit = options.unit if options.unit != "store" else (store_unit or "grams")
        unit = _UNIT_WORDS.get(unit, (unit, Decimal(1)))[0]
    if unit == "ounces":
        unit = "troy_ounces" if options.ounce == "troy" else "avoirdupois"
    grams_unit: WeightUnit
    if unit == "avoirdupois":
        amount, grams_unit = amount * _AVOIRDUPOIS_OUNCE_GRAMS, "grams"
    elif unit == "pounds":
        amount, grams_unit = amount * _POUND_GRAMS, "grams"
    elif unit in ("grams", "troy_ounces", "kilograms"):
        grams_unit = unit  # type: ignore[assignment]
    else:
        raise Rejected(codes.INVALID_WEIGHT, f"has an unknown unit {unit!r}")
    amount = amount.quantize(WEIGHT_STEP, rounding=ROUND_HALF_UP)
    if amount <= 0:
        raise Rejected(codes.INVALID_WEIGHT, "is not more than zero")
    if amount > MAX_WEIGHT:
        raise Rejected(codes.INVALID_WEIGHT, "is too large")
    return amount, grams_unit


def _weight_amount(text: str) -> Decimal:
    if "/" in text:
        whole, _, fraction = text.rpartition(" ")
        numerator, _, denominator = fraction.partition("/")
        if int(denominator) == 0:
            raise Rejected(codes.INVALID_WEIGHT, "divides by zero")
        amount = Decimal(int(numerator)) / Decimal(int(denominator))
        return amount + (Decimal(int(whole)) if whole else 0)
    if "," in text:
        if _AMBIGUOUS_THOUSANDS.fullmatch(text):
            raise Rejected(
                codes.INVALID_WEIGHT,
                "is ambiguous: the comma may separate thousands or decimals; write 1000 or 1.0",
            )
        text = text.replace(",", ".")
    return Decimal(text)


# --- purity ------------------------------------------------------------------------------

# Up to two words around the number are allowed: "fine gold 999.9", "22 karat gold".
_PURITY = re.compile(
    r"(?:[a-z]+\s*:?\s*){0,2}"
    r"(?P<number>\d{1,5}(?:[.,]\d{1,6})?|[.,]\d{1,6})\s*"
    r"(?P<mark>%|‰|k|kt|karat|carat|ct)?"
    r"(?:\s*[a-z]+){0,2}"
)
_KARAT_MARKS = frozenset({"k", "kt", "karat", "carat", "ct"})
FINEST = Decimal("0.9999")
# The bullion trade's fineness for karats: 24 K is 999.9 fine (never 1.0000), 22 K is
# 916.7 (the Krugerrand's and the Gold Eagle's); other karats are their share of 24.
_KARATS: dict[Decimal, Decimal] = {Decimal(24): FINEST, Decimal(22): Decimal("0.9167")}


def parse_purity(value: Any) -> Decimal:
    """A fraction of at most 1 with four decimals, rounded down (never purer than stated).

    `"0.9999"`, `".999"` are fractions; `"999.9"` and `"916"` are per mille; `"9999"` per
    ten thousand; `"99.99%"` a percentage; `"24K"` (0.9999), `"22 karat"` (0.9167) and
    other karats (their share of 24). A bare number between 1 and 50 is ambiguous (karats
    or percent?) and refused. Never 1.0000: no metal is that pure.
    """
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise Rejected(codes.INVALID_TYPE, f"is {describe_type(value)}, expected a purity")
    text = " ".join(as_text(value).strip().lower().split())
    match = _PURITY.fullmatch(text) if len(text) <= 40 else None
    if match is None:
        word = purity_word(text) if len(text) <= 40 else None
        if word is not None:
            return word  # "Feingold", "fine silver": the knowledge file's purity words
        raise Rejected(
            codes.INVALID_PURITY,
            'is not a purity such as "999.9", "0.9999", ".999", "24K" or "22 karat"',
        )
    number = Decimal(match.group("number").replace(",", "."))
    mark = match.group("mark")
    if mark in _KARAT_MARKS:
        if number > 24:
            raise Rejected(codes.INVALID_PURITY, "has more than 24 karats")
        fraction = _KARATS.get(number) or (number / 24).quantize(PURITY_STEP, ROUND_HALF_UP)
    elif mark == "%":
        fraction = number / 100
    elif mark == "‰":
        fraction = number / 1000
    elif number <= 1:
        fraction = number
    elif number < 50:
        raise Rejected(
            codes.INVALID_PURITY, 'is ambiguous: write karats as "22K" or a percentage as "99.9%"'
        )
    elif number <= 100:
        fraction = number / 100
    elif number <= 1000:
        fraction = number / 1000
    elif number <= 10000:
        fraction = number / 10000
    else:
        raise Rejected(codes.INVALID_PURITY, "is not a purity")
    fraction = fraction.quantize(PURITY_STEP, rounding=ROUND_DOWN)
    if not 0 < fraction <= 1:
        raise Rejected(codes.INVALID_PURITY, "is not between 0 and 1 as a fraction")
    # No metal is refined to 1.0000: "1000 fine" and "100 %" are the trade's 999.9.
    return min(fraction, FINEST)
