"""The shop's customers: names, e-mails, addresses; some registered, some guests."""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass

from goldsphere_pipelines.sandbox.bullion import ADDRESSES, FIRST_NAMES, LAST_NAMES

FIRST_CUSTOMER_USER_ID = 2
"""User 1 is the shop admin who owns the API key."""


@dataclass(frozen=True, slots=True)
class Customer:
    first_name: str
    last_name: str
    email: str
    user_id: int
    """The WordPress user id, or 0 for a customer who always checks out as a guest."""
    address: tuple[str, str, str, str, str]
    street_number: int
    phone: str
    company: str


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def generate_customers(seed: int, count: int) -> list[Customer]:
    """`count` distinct customers, the same for the same seed."""
    rng = random.Random(f"{seed}:customers")
    customers = []
    for index in range(count):
        first = rng.choice(FIRST_NAMES)
        last = rng.choice(LAST_NAMES)
        domain = rng.choice(("example.com", "example.org", "example.net"))
        email = f"{_ascii(first)}.{_ascii(last).replace(' ', '')}{index + 1}@{domain}"
        if rng.random() < 0.05:
            # Shoppers type their address as they like; goldsphere matches case-insensitively.
            email = email.capitalize()
        address = rng.choice(ADDRESSES)
        customers.append(
            Customer(
                first_name=first,
                last_name=last,
                email=email,
                user_id=0 if rng.random() < 0.3 else FIRST_CUSTOMER_USER_ID + index,
                address=address,
                street_number=rng.randint(1, 999),
                phone=f"+1 555 {rng.randint(100, 999)} {rng.randint(1000, 9999)}",
                company="" if rng.random() < 0.9 else f"{last} Holdings",
            )
        )
    return customers
