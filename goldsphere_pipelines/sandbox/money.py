"""Money as WooCommerce writes it. Amounts are integer cents inside the sandbox."""

from __future__ import annotations


def cents_text(cents: int) -> str:
    """`"1234.50"`, `"-10.00"`: the two-decimal strings of order totals."""
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}"


def price_text(cents: int, *, whole_units: bool) -> str:
    """A product price as the shop admin typed it: `"21.99"`, or `"90"` for whole units."""
    if whole_units:
        return str(round(cents / 100))
    return cents_text(cents)


def unit_price_number(total_cents: int, quantity: int) -> int | float:
    """`line_items[].price`: total ÷ quantity as PHP computes it, a JSON number.

    WooCommerce divides floats, so 42.93 ÷ 3 arrives as 14.309999999999999; whole values
    arrive as integers (`3`, `12`).
    """
    value = (total_cents / 100) / max(quantity, 1)
    return int(value) if value.is_integer() else value


def tax_text(cents: int) -> str:
    """Per-rate tax amounts in `taxes[]`, which WooCommerce stores unpadded (`"0.9"`)."""
    return cents_text(cents).rstrip("0").rstrip(".")
