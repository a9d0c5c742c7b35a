"""The one base class for errors meant for people.

Anything raised as a `GoldsphereError` carries a message an admin can act on, one or two
sentences, never a secret. The CLI prints it as a single line and exits non-zero; the
admin API turns it into `{error: {code, message}}`; Dagster shows it as the run's failure.
"""

from __future__ import annotations


class GoldsphereError(Exception):
    """An error whose message is safe to show and says what to do."""

    code: str = "error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return self.message
