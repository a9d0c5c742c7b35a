"""What a bullion shop sells: metals, real coins and bars, their producers and weights.

Reference data only (no randomness here). Producer names are the ones goldsphere's
reference data knows, so that clean sandbox records map; spot prices are early 2026.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

TROY_OUNCE_GRAMS = Decimal("31.1034768")


@dataclass(frozen=True, slots=True)
class Metal:
    name: str
    symbol: str
    spot_usd_per_oz: int


GOLD = Metal("Gold", "AU", 5060)
SILVER = Metal("Silver", "AG", 84)
PLATINUM = Metal("Platinum", "PT", 2150)
PALLADIUM = Metal("Palladium", "PD", 1730)
METALS = (GOLD, SILVER, PLATINUM, PALLADIUM)

WEIGHT_OUNCES: dict[str, Decimal] = {
    "1/25 oz": Decimal("0.04"),
    "1/20 oz": Decimal("0.05"),
    "1/10 oz": Decimal("0.1"),
    "1/4 oz": Decimal("0.25"),
    "1/2 oz": Decimal("0.5"),
    "1 oz": Decimal(1),
    "2 oz": Decimal(2),
    "5 oz": Decimal(5),
    "10 oz": Decimal(10),
    "100 oz": Decimal(100),
}
"""Weight labels as shops write them, in troy ounces; gram labels are computed."""


def weight_in_ounces(label: str) -> Decimal:
    """Troy ounces of a weight label such as "1/10 oz", "100 g", "31.1035 g" or "1 kg"."""
    if label in WEIGHT_OUNCES:
        return WEIGHT_OUNCES[label]
    amount, unit = label.split(" ")
    grams = Decimal(amount) * (1000 if unit == "kg" else 1)
    return grams / TROY_OUNCE_GRAMS


@dataclass(frozen=True, slots=True)
class Design:
    """A product line: one design of one metal by one producer, in several weights."""

    title: str
    """Name without weight or year, e.g. "American Gold Eagle", "Lady Fortuna Gold Bar"."""
    metal: Metal
    producer: str
    kind: str
    """goldsphere's product type: Coin, Minted Bar, Cast Bar, CombiBar."""
    purity: str
    """The Purity attribute as the shop writes it: "999.9", ".9999", "24K", "22K"."""
    fineness: Decimal
    weights: tuple[str, ...]
    country: str

    @property
    def is_coin(self) -> bool:
        return self.kind == "Coin"

    @property
    def producer_attribute(self) -> str:
        """Shops name the producer attribute differently; mints for coins, brands for bars."""
        if self.is_coin:
            return "Mint"
        return "Brand" if len(self.producer) % 2 else "Producer"

    @property
    def category(self) -> str:
        return f"{self.metal.name} {'Coins' if self.is_coin else 'Bars'}"


_FINE = Decimal("0.9999")
_999 = Decimal("0.999")
_9995 = Decimal("0.9995")
_22K = Decimal("0.9167")
_GOLD_FRACTIONS = ("1 oz", "1/2 oz", "1/4 oz", "1/10 oz")

DESIGNS: tuple[Design, ...] = (
    Design("American Gold Eagle", GOLD, "United States Mint", "Coin", "22K", _22K,
           _GOLD_FRACTIONS, "US"),
    Design("American Gold Buffalo", GOLD, "United States Mint", "Coin", "999.9", _FINE,
           ("1 oz",), "US"),
    Design("American Silver Eagle", SILVER, "United States Mint", "Coin", ".999", _999,
           ("1 oz",), "US"),
    Design("American Platinum Eagle", PLATINUM, "United States Mint", "Coin", ".9995", _9995,
           ("1 oz", "1/10 oz"), "US"),
    Design("Canadian Gold Maple Leaf", GOLD, "Royal Canadian Mint", "Coin", "999.9", _FINE,
           ("1 oz", "1/2 oz", "1/4 oz", "1/10 oz", "1/20 oz"), "CA"),
    Design("Canadian Silver Maple Leaf", SILVER, "Royal Canadian Mint", "Coin", "999.9", _FINE,
           ("1 oz",), "CA"),
    Design("Canadian Platinum Maple Leaf", PLATINUM, "Royal Canadian Mint", "Coin", "999.5",
           _9995, ("1 oz",), "CA"),
    Design("Canadian Palladium Maple Leaf", PALLADIUM, "Royal Canadian Mint", "Coin", "999.5",
           _9995, ("1 oz",), "CA"),
    Design("Gold Vienna Philharmonic", GOLD, "Austrian Mint", "Coin", "999.9", _FINE,
           ("1 oz", "1/2 oz", "1/4 oz", "1/10 oz", "1/25 oz"), "AT"),
    Design("Silver Vienna Philharmonic", SILVER, "Austrian Mint", "Coin", "999", _999,
           ("1 oz",), "AT"),
    Design("Platinum Vienna Philharmonic", PLATINUM, "Austrian Mint", "Coin", "999.5", _9995,
           ("1 oz", "1/25 oz"), "AT"),
    Design("Gold Krugerrand", GOLD, "Rand Refinery", "Coin", "22K", _22K, _GOLD_FRACTIONS, "ZA"),
    Design("Gold Britannia", GOLD, "British Royal Mint", "Coin", "999.9", _FINE,
           _GOLD_FRACTIONS, "GB"),
    Design("Silver Britannia", SILVER, "British Royal Mint", "Coin", "999", _999, ("1 oz",), "GB"),
    Design("Platinum Britannia", PLATINUM, "British Royal Mint", "Coin", "999.5", _9995,
           ("1 oz",), "GB"),
    Design("Gold Queen's Beasts", GOLD, "British Royal Mint", "Coin", "999.9", _FINE,
           ("1 oz", "1/4 oz"), "GB"),
    Design("Gold Kangaroo", GOLD, "Perth Mint", "Coin", "999.9", _FINE,
           ("1 oz", "1/2 oz", "1/10 oz"), "AU"),
    Design("Silver Kangaroo", SILVER, "Perth Mint", "Coin", "999.9", _FINE, ("1 oz",), "AU"),
    Design("Lunar Series III Gold", GOLD, "Perth Mint", "Coin", "999.9", _FINE,
           ("1 oz", "1/10 oz"), "AU"),
    Design("Platinum Platypus", PLATINUM, "Perth Mint", "Coin", "999.5", _9995, ("1 oz",), "AU"),
    Design("Gold Vreneli 20 Francs", GOLD, "Swiss Mint", "Coin", "900", Decimal("0.9"),
           ("5.806 g",), "CH"),
    Design("Silver Libertad", SILVER, "Mexican Mint", "Coin", ".999", _999,
           ("1 oz", "5 oz"), "MX"),
    Design("Gold Panda", GOLD, "China Gold Coin", "Coin", "999", _999,
           ("30 g", "15 g", "3 g"), "CN"),
    Design("Lady Fortuna Gold Bar", GOLD, "PAMP Suisse", "Minted Bar", "999.9", _FINE,
           ("1 g", "5 g", "10 g", "1 oz", "50 g", "100 g"), "CH"),
    Design("Lady Fortuna Platinum Bar", PLATINUM, "PAMP Suisse", "Minted Bar", "999.5", _9995,
           ("1 oz", "10 g"), "CH"),
    Design("Lady Fortuna Palladium Bar", PALLADIUM, "PAMP Suisse", "Minted Bar", "999.5", _9995,
           ("1 oz",), "CH"),
    Design("Kinebar Gold Bar", GOLD, "Argor-Heraeus", "Minted Bar", "999.9", _FINE,
           ("1 oz", "10 g", "20 g", "50 g", "100 g"), "CH"),
    Design("Gold Cast Bar", GOLD, "Argor-Heraeus", "Cast Bar", "24K", _FINE,
           ("250 g", "500 g", "1 kg"), "CH"),
    Design("Silver Cast Bar", SILVER, "Heraeus", "Cast Bar", "999", _999,
           ("100 g", "250 g", "500 g", "1 kg", "5 kg"), "DE"),
    Design("Gold Minted Bar", GOLD, "Heraeus", "Minted Bar", "999.9", _FINE,
           ("31.1035 g", "10 g", "100 g"), "DE"),
    Design("Gold CombiBar", GOLD, "Valcambi", "CombiBar", "999.9", _FINE,
           ("50 g", "20 g", "31.1035 g"), "CH"),
    Design("Silver CombiBar", SILVER, "Valcambi", "CombiBar", ".999", _999, ("100 g",), "CH"),
    Design("Gold Cast Bar", GOLD, "Valcambi", "Cast Bar", ".9999", _FINE,
           ("1 oz", "100 g", "1 kg"), "CH"),
    Design("Platinum Bar", PLATINUM, "Valcambi", "Minted Bar", "999.5", _9995,
           ("1 oz", "50 g", "100 g"), "CH"),
    Design("Palladium Bar", PALLADIUM, "Valcambi", "Minted Bar", "999.5", _9995,
           ("1 oz", "100 g"), "CH"),
    Design("Gold Minted Bar", GOLD, "Umicore", "Minted Bar", "999.9", _FINE,
           ("31.1035 g", "10 g", "100 g", "1 kg"), "BE"),
    Design("Gold Cast Bar", GOLD, "Metalor", "Cast Bar", "24K", _FINE, ("100 g", "1 kg"), "CH"),
    Design("Silver Cast Bar", SILVER, "Metalor", "Cast Bar", "999", _999, ("1 kg",), "CH"),
    Design("Gold Minted Bar", GOLD, "Degussa", "Minted Bar", "999.9", _FINE,
           ("1 oz", "10 g", "100 g"), "DE"),
    Design("Silver Cast Bar", SILVER, "Degussa", "Cast Bar", "999", _999, ("1 kg",), "DE"),
    Design("Silver Cast Bar", SILVER, "Asahi Refining", "Cast Bar", ".999", _999,
           ("10 oz", "100 oz", "1 kg"), "JP"),
    Design("Gold Cast Bar", GOLD, "Asahi Refining", "Cast Bar", ".9999", _FINE,
           ("1 oz", "10 oz", "1 kg"), "JP"),
    Design("Silver Poured Bar", SILVER, "Johnson Matthey", "Cast Bar", ".999", _999,
           ("10 oz", "100 oz"), "GB"),
    Design("Gold Minted Bar", GOLD, "Rand Refinery", "Minted Bar", "999.9", _FINE,
           ("1 oz", "100 g"), "ZA"),
    Design("Kangaroo Minted Gold Bar", GOLD, "Perth Mint", "Minted Bar", "999.9", _FINE,
           ("5 g", "1 oz"), "AU"),
    Design("Silver Cast Bar", SILVER, "Royal Canadian Mint", "Cast Bar", "999", _999,
           ("10 oz",), "CA"),
)  # fmt: skip

DIALECT_DESIGNS: tuple[Design, ...] = (
    Design("Gold Minted Bar", GOLD, "C. Hafner", "Minted Bar", "999.9", _FINE,
           ("1 oz", "10 g", "100 g"), "DE"),
    Design("Silver Kookaburra", SILVER, "Perth Mint", "Coin", "999.9", _FINE, ("1 oz",), "AU"),
    Design("Gold Sovereign", GOLD, "British Royal Mint", "Coin", "22K", _22K, ("7.98 g",), "GB"),
)  # fmt: skip
"""Designs only the non-classic dialects sell (classic stays as the benchmarks know it);
C. Hafner is a producer goldsphere's reference data lacks."""

COIN_EDITIONS = ("", " BU", " Proof", " in Capsule", " Reverse Proof", " Privy Edition")
"""Suffixes that tell apart listings of the same design, weight and year."""
BAR_EDITIONS = ("", " in Assay Card", " (new design)")

WEIGHT_AXIS = ("1 oz", "10 g", "20 g", "50 g", "100 g", "250 g", "500 g", "1 kg", "5 g", "2 oz")
"""Options of a bar sold by weight (a variable product); coins vary by year."""

UNKNOWN_CATEGORY = ("Collectibles", "collectibles", 41)
"""A category that names no metal or product type: the messy-record flaw."""

CATEGORY_IDS: dict[str, int] = {
    f"{metal.name} {kind}": 15 + index
    for index, (metal, kind) in enumerate(
        (metal, kind) for kind in ("Coins", "Bars") for metal in METALS
    )
}

ATTRIBUTE_IDS = {"Metal": 1, "Weight": 2, "Purity": 3, "Year": 4, "Mint": 5}
"""Global attribute ids (pa_*); other attributes are product-local with id 0."""

TAGS = (
    ("Investment", "investment", 51),
    ("Tax-free", "tax-free", 52),
    ("Bestseller", "bestseller", 53),
)

PREMIUMS: tuple[tuple[Decimal, Decimal], ...] = (
    (Decimal("0.1"), Decimal("0.12")),
    (Decimal("0.5"), Decimal("0.07")),
    (Decimal("1.01"), Decimal("0.04")),
    (Decimal("11"), Decimal("0.025")),
    (Decimal("1000000"), Decimal("0.015")),
)
"""Premium over spot by weight in troy ounces (small pieces cost more per ounce)."""


def premium_for(ounces: Decimal, metal: Metal) -> Decimal:
    """The dealer's premium over spot for a piece of this weight."""
    extra = Decimal("0.15") if metal is SILVER else Decimal(0)
    for limit, premium in PREMIUMS:
        if ounces < limit:
            return premium + extra
    return PREMIUMS[-1][1] + extra


FX_PER_USD: dict[str, Decimal] = {
    "USD": Decimal(1),
    "EUR": Decimal("0.92"),
    "GBP": Decimal("0.79"),
    "CHF": Decimal("0.88"),
    "CAD": Decimal("1.37"),
    "AUD": Decimal("1.52"),
    "SEK": Decimal("10.5"),
    "JPY": Decimal("151"),
}
"""Units of a currency per US dollar; SEK and JPY are currencies goldsphere does not know."""

KNOWN_CURRENCIES = ("USD", "EUR", "GBP", "CHF", "CAD", "AUD")
UNKNOWN_CURRENCIES = ("SEK", "JPY")

CURRENCY_SYMBOLS = {
    "USD": "&#36;",
    "EUR": "&euro;",
    "GBP": "&pound;",
    "CHF": "CHF",
    "CAD": "&#36;",
    "AUD": "&#36;",
    "SEK": "&#107;&#114;",
    "JPY": "&yen;",
}

FIRST_NAMES = (
    "John", "Mary", "João", "Anna", "Peter", "Linda", "Michael", "Sofia", "David", "Emma",
    "James", "Olivia", "Lukas", "Mia", "Noah", "Chloé", "Liam", "Zoë", "Oliver", "Hannah",
    "Mateo", "Isabella", "Ethan", "Amélie", "Jacob", "Grace", "Henrik", "Yuki", "Rafael", "Nina",
)  # fmt: skip
LAST_NAMES = (
    "Doe", "Smith", "Silva", "Müller", "Johnson", "Brown", "García", "Miller", "Davis", "Wilson",
    "Anderson", "Taylor", "Thomas", "Moore", "Martin", "Jackson", "White", "Harris", "Clark",
    "Lewis", "Walker", "Hall", "Young", "King", "Wright", "López", "Hill", "Scott", "Green",
    "Adams", "Baker", "Nelson", "Carter", "Mitchell", "Roberts", "Turner", "Phillips", "Campbell",
)  # fmt: skip

ADDRESSES: tuple[tuple[str, str, str, str, str], ...] = (
    ("US", "CA", "San Francisco", "94103", "Market St"),
    ("US", "NY", "New York", "10001", "Broadway"),
    ("US", "TX", "Austin", "73301", "Congress Ave"),
    ("US", "FL", "Miami", "33101", "Ocean Dr"),
    ("US", "WA", "Seattle", "98101", "Pine St"),
    ("US", "IL", "Chicago", "60601", "Wacker Dr"),
    ("CA", "ON", "Toronto", "M5H 2N2", "King St W"),
    ("GB", "", "London", "EC2V 6DN", "Cheapside"),
    ("DE", "BY", "München", "80331", "Kaufingerstraße"),
    ("CH", "ZH", "Zürich", "8001", "Bahnhofstrasse"),
    ("AU", "NSW", "Sydney", "2000", "George St"),
    ("BR", "RJ", "Rio de Janeiro", "20040-002", "Av. Rio Branco"),
)
"""Country, state, city, postcode, street: where customers live."""

TAX_RATES: dict[str, tuple[int, str, str, int]] = {
    "CA": (75, "US-CA-STATE TAX", "State Tax", 725),
    "NY": (76, "US-NY-STATE TAX", "State Tax", 400),
    "TX": (77, "US-TX-STATE TAX", "State Tax", 625),
    "WA": (78, "US-WA-STATE TAX", "State Tax", 650),
    "IL": (79, "US-IL-STATE TAX", "State Tax", 625),
}
"""US state → (rate id, rate code, label, rate in basis points)."""

PAYMENT_METHODS = (
    ("bacs", "Direct bank transfer"),
    ("stripe", "Credit Card (Stripe)"),
    ("ppcp-gateway", "PayPal"),
    ("cheque", "Check payments"),
    ("cod", "Cash on delivery"),
)

COUPONS = (("welcome10", 1000), ("silverstacker", 2500), ("bullion50", 5000))
"""Coupon code → fixed discount in cents of the order currency."""
