"""Each spelling of weight, purity, money, currency and date the issue names."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from goldsphere_pipelines.mapping import errors as codes
from goldsphere_pipelines.mapping.parsers import (
    Rejected,
    WeightOptions,
    parse_currency,
    parse_datetime,
    parse_decimal,
    parse_external_id,
    parse_money,
    parse_plain_text,
    parse_purity,
    parse_url,
    parse_weight,
)

TROY = WeightOptions()


@pytest.mark.parametrize(
    ("text", "amount", "unit"),
    [
        ("1 oz", "1", "troy_ounces"),
        ("1oz", "1", "troy_ounces"),
        ("1/10 oz", "0.1", "troy_ounces"),
        ("1/4 oz", "0.25", "troy_ounces"),
        ("½ oz", "0.5", "troy_ounces"),
        ("1 1/2 oz", "1.5", "troy_ounces"),
        ("10 troy oz", "10", "troy_ounces"),
        ("1 ozt", "1", "troy_ounces"),
        ("100 g", "100", "grams"),
        ("100g", "100", "grams"),
        ("31.1035 g", "31.1035", "grams"),
        ("31,1035 g", "31.1035", "grams"),
        ("2.5 grams", "2.5", "grams"),
        ("1 kg", "1", "kilograms"),
        ("1 Kilo", "1", "kilograms"),
        ("50 x 1 g", "50", "grams"),
        ("1 OZ", "1", "troy_ounces"),
    ],
)
def test_weight_spellings(text: str, amount: str, unit: str) -> None:
    assert parse_weight(text, TROY, store_unit=None) == (Decimal(amount), unit)


def test_weight_ounce_is_avoirdupois_only_when_the_rule_says_so() -> None:
    options = WeightOptions(ounce="avoirdupois")
    assert parse_weight("1 oz", options, store_unit=None) == (Decimal("28.3495"), "grams")
    # an explicit troy ounce stays troy whatever the option
    assert parse_weight("1 troy oz", options, store_unit=None) == (Decimal(1), "troy_ounces")


def test_bare_weight_uses_the_store_unit_else_grams() -> None:
    assert parse_weight("31.1", TROY, store_unit=None) == (Decimal("31.1"), "grams")
    assert parse_weight("0.5", TROY, store_unit="kg") == (Decimal("0.5"), "kilograms")
    assert parse_weight("2", TROY, store_unit="lbs") == (Decimal("907.1847"), "grams")
    assert parse_weight("2", WeightOptions(unit="troy_ounces"), store_unit="kg") == (
        Decimal(2),
        "troy_ounces",
    )
    assert parse_weight(5, TROY, store_unit="g") == (Decimal(5), "grams")


def test_a_third_of_an_ounce_keeps_four_places() -> None:
    assert parse_weight("1/3 oz", TROY, store_unit=None) == (Decimal("0.3333"), "troy_ounces")


@pytest.mark.parametrize(
    "text", ["one ounce", "1 stone", "0 g", "1/0 oz", "1,000 g", "-5 g", "", "1e3 g", "9" * 70]
)
def test_weights_refused(text: str) -> None:
    with pytest.raises(Rejected) as refused:
        parse_weight(text, TROY, store_unit=None)
    assert refused.value.code == codes.INVALID_WEIGHT


def test_weight_of_wrong_type_is_refused() -> None:
    for value in (1.5, True, None, [], {}):
        with pytest.raises(Rejected) as refused:
            parse_weight(value, TROY, store_unit=None)
        assert refused.value.code == codes.INVALID_TYPE


@pytest.mark.parametrize(
    ("text", "fraction"),
    [
        ("999.9", "0.9999"),
        ("0.9999", "0.9999"),
        (".999", "0.999"),
        ("999", "0.999"),
        ("9999", "0.9999"),
        ("916", "0.916"),
        ("99.99%", "0.9999"),
        ("24K", "0.9999"),
        ("24 kt", "0.9999"),
        ("24 Karat", "0.9999"),
        ("22K", "0.9167"),
        ("22 karat", "0.9167"),
        ("22 carat", "0.9167"),
        ("14K", "0.5833"),
        ("999,9", "0.9999"),
        ("99.99 %", "0.9999"),
        ("1000", "0.9999"),
        ("100%", "0.9999"),
        ("18k", "0.75"),
        ("999.9 fine", "0.9999"),
        ("Fine gold 999.9", "0.9999"),
        ("0.99999", "0.9999"),
        (1, "0.9999"),
    ],
)
def test_purity_spellings(text: str, fraction: str) -> None:
    assert parse_purity(text) == Decimal(fraction)


@pytest.mark.parametrize("text", ["24", "pure", "25K", "123456", "0", "1.5", "-0.999"])
def test_purities_refused(text: str) -> None:
    with pytest.raises(Rejected) as refused:
        parse_purity(text)
    assert refused.value.code == codes.INVALID_PURITY


def test_decimals_come_from_strings_never_floats() -> None:
    assert parse_decimal("21.99") == Decimal("21.99")
    assert parse_decimal("90") == Decimal(90)
    assert parse_decimal(90) == Decimal(90)
    assert parse_decimal(" .5 ") == Decimal("0.5")
    with pytest.raises(Rejected) as refused:
        parse_decimal(14.309999999999999)
    assert refused.value.code == codes.INVALID_TYPE
    assert "floating-point" in refused.value.reason


@pytest.mark.parametrize(
    "text", ["NaN", "nan", "Infinity", "-inf", "1e3", "1E-2", "1,000.00", "12.3.4", "$5", "1" * 41]
)
def test_decimals_refused(text: str) -> None:
    with pytest.raises(Rejected) as refused:
        parse_decimal(text)
    assert refused.value.code == codes.INVALID_DECIMAL


def test_money_rounds_half_up_to_the_cent_within_bounds() -> None:
    assert parse_money("21.995", minimum=Decimal(0), maximum=Decimal(100)) == Decimal("22.00")
    with pytest.raises(Rejected) as refused:
        parse_money("-1.00", minimum=Decimal(0), maximum=Decimal(100))
    assert refused.value.code == codes.OUT_OF_RANGE
    with pytest.raises(Rejected) as refused:
        parse_money("9" * 39, minimum=Decimal(0), maximum=Decimal(100))
    assert refused.value.code == codes.OUT_OF_RANGE
    with pytest.raises(Rejected):
        parse_money(10**400, minimum=None, maximum=Decimal(100))


@pytest.mark.parametrize("code", ["USD", "EUR", "GBP", "CHF", "CAD", "AUD", " usd "])
def test_supported_currencies(code: str) -> None:
    assert parse_currency(code) == code.strip().upper()


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("JPY", codes.UNSUPPORTED_CURRENCY),
        ("BRL", codes.UNSUPPORTED_CURRENCY),
        ("XAU", codes.UNSUPPORTED_CURRENCY),
        ("ABC", codes.UNKNOWN_CURRENCY),
        ("US$", codes.UNKNOWN_CURRENCY),
        ("dollar", codes.UNKNOWN_CURRENCY),
        (840, codes.UNKNOWN_CURRENCY),
    ],
)
def test_currencies_refused(code: object, error: str) -> None:
    with pytest.raises(Rejected) as refused:
        parse_currency(code)
    assert refused.value.code == error


def test_datetimes_are_utc() -> None:
    assert parse_datetime("2017-03-22T19:28:08") == datetime(2017, 3, 22, 19, 28, 8, tzinfo=UTC)
    assert parse_datetime("2017-03-22T21:28:08+02:00") == datetime(
        2017, 3, 22, 19, 28, 8, tzinfo=UTC
    )


@pytest.mark.parametrize(
    "text", ["0000-00-00 00:00:00", "1969-12-31T23:59:59", "3000-01-01T00:00:00", "yesterday"]
)
def test_datetimes_refused(text: str) -> None:
    with pytest.raises(Rejected) as refused:
        parse_datetime(text)
    assert refused.value.code == codes.INVALID_DATETIME


def test_external_ids() -> None:
    assert parse_external_id(727) == "727"
    assert parse_external_id("0727") == "727"
    assert parse_external_id(0) is None
    for bad in (-1, "abc", 1.5, True, 2**70, "١٢"):
        with pytest.raises(Rejected):
            parse_external_id(bad)


def test_plain_text_drops_html() -> None:
    assert parse_plain_text("Ship Your Idea &ndash; <b>Black</b>", max_length=100) == (
        "Ship Your Idea – Black"
    )
    assert parse_plain_text(
        "<p>One.</p>\n<p>Two &amp; three.</p>", max_length=100, multiline=True
    ) == ("One.\nTwo & three.")
    with pytest.raises(Rejected) as refused:
        parse_plain_text("x" * 501, max_length=500)
    assert refused.value.code == codes.TOO_LONG


def test_urls_must_be_http() -> None:
    assert parse_url("https://example.com/a.jpg") == "https://example.com/a.jpg"
    for bad in ("javascript:alert(1)", "ftp://x/y", "https://exa mple.com", "/relative.jpg"):
        with pytest.raises(Rejected) as refused:
            parse_url(bad)
        assert refused.value.code == codes.INVALID_URL
