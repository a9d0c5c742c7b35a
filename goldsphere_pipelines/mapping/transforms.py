"""What the `regex`, `map` and `keywords` transforms share between the reference
evaluation (engine.py) and the fast path (compiled.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

# A rule's regex never sees more than this much of a value, so that a pattern an admin
# wrote cannot spend long on a hostile megabyte string; no map key or keyword is meant
# for a longer text either.
MAX_REGEX_INPUT = 1000


@dataclass(frozen=True, slots=True)
class Keyword:
    words: tuple[str, ...]
    value: Any


def contains_words(words: tuple[str, ...], keyword: tuple[str, ...]) -> bool:
    """Whether the keyword's words occur in a row, each also in plural (`coin` ~ `coins`)."""
    size = len(keyword)
    for start in range(len(words) - size + 1):
        if all(_same_word(words[start + i], keyword[i]) for i in range(size)):
            return True
    return False


def _same_word(word: str, keyword: str) -> bool:
    return word == keyword or (word.startswith(keyword) and word[len(keyword) :] in ("s", "es"))


def first_keyword(words: tuple[str, ...], keywords: Sequence[Keyword]) -> Keyword | None:
    """The first keyword (in rule order) that `contains_words` finds in `words`.

    Same answer as trying `contains_words` keyword by keyword, but a keyword whose first
    word occurs nowhere is skipped with one set lookup: `word` stands for `keyword` exactly
    when `keyword` is `word` itself or `word` without a final "s" or "es".
    """
    stems = set(words)
    for word in words:
        if word.endswith("s"):
            stems.add(word[:-1])
            if word.endswith("es"):
                stems.add(word[:-2])
    for keyword in keywords:
        if not keyword.words:
            return keyword  # no word to find: `contains_words` finds it anywhere
        if keyword.words[0] in stems and (
            len(keyword.words) == 1 or contains_words(words, keyword.words)
        ):
            return keyword
    return None
