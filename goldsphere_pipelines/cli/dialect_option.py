"""`--dialect`, the same option on `sandbox serve`, `bench` and `demo`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from goldsphere_pipelines.sandbox.dialects import DIALECTS


def dialect_option(default: str, purpose: str) -> Callable[[Any], Any]:
    """The option, with the command's own default and a word on why that default."""
    return click.option(
        "--dialect",
        type=click.Choice(DIALECTS),
        default=default,
        show_default=True,
        help="How the sandbox shop writes its products: producer in names, brands, tags or "
        f"series; German; French; mixed blends them all (README, Dialects). {purpose}",
    )
