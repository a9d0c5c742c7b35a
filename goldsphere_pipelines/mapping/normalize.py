"""How names and e-mails are compared, for the pipeline building lookups and for rules.

The pipeline must build every lookup key with these functions: the mapper normalizes
the shop's values the same way before looking them up.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_NOT_ALNUM = re.compile(r"[\W_]+", re.UNICODE)
_WORDS = re.compile(r"[^\W_]+", re.UNICODE)


def normalize_name(name: str) -> str:
    """Case-, accent-, space- and punctuation-insensitive form of a name.

    `"Argor-Heraeus"`, `"argor heraeus"` and `"ARGOR HERAEUS "` all give `"argorheraeus"`;
    `"Münze Österreich"` gives `"munzeosterreich"`.
    """
    if len(name) > _CACHED_LENGTH:
        return _NOT_ALNUM.sub("", _fold(name))
    return _normalize_short_name(name)


# Shops repeat the same few category, attribute and status values thousands of times.
_CACHED_LENGTH = 200


@lru_cache(maxsize=8192)
def _normalize_short_name(name: str) -> str:
    return _NOT_ALNUM.sub("", _fold(name))


def name_words(text: str) -> tuple[str, ...]:
    """The words of a text, folded like `normalize_name`: `"Gold Coins"` → `("gold", "coins")`."""
    return tuple(_WORDS.findall(_fold(text)))


def normalize_email(email: str) -> str:
    """Trimmed and lower-case, as goldsphere compares `users.email`."""
    return email.strip().lower()


def _fold(text: str) -> str:
    return text.translate(_FOLDED)


def plain_text(text: str) -> str:
    """Case-folded, accents dropped: `"Münze Österreich"` → `"munze osterreich"`.

    What `unicodedata.normalize("NFKD", text)` without its combining marks, case-folded,
    gives; computed a character at a time (each character decomposes on its own, and the
    marks that canonical ordering moves are the ones dropped), in one C pass."""
    if text.isascii():
        return text.lower()
    # A variation's name is its parent's and its options joined by an en dash.
    if text.replace("–", "").isascii():
        return text.lower()
    return text.translate(_FOLDED)


class _FoldedCharacters(dict[int, str]):
    """Code point → its folded text, filled as `str.translate` meets new characters."""

    def __missing__(self, code: int) -> str:
        decomposed = unicodedata.normalize("NFKD", chr(code))
        folded = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
        if len(self) < _MAX_FOLDED:  # hostile text cannot grow it without bound
            self[code] = folded
        return folded


_MAX_FOLDED = 20_000
_FOLDED = _FoldedCharacters()
