"""Text PostgreSQL can store: no NUL character, no lone surrogate.

Hostile JSON carries both (`\\u0000`, `\\ud800`), and invalid UTF-8 bytes in a record
listing arrive as lone surrogates (see `woocommerce.parsing.parse_json`). Neither can be
stored in a text or jsonb column, nor encoded into a log line. Shared by every layer that
handles a store's text, so they agree on what is refused and what is replaced.
"""

from __future__ import annotations

import re

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def is_storable(text: str) -> bool:
    return _UNSTORABLE.search(text) is None


def storable_text(text: str) -> str:
    """`text` with each NUL and lone surrogate replaced by U+FFFD."""
    return _UNSTORABLE.sub("\ufffd", text)
