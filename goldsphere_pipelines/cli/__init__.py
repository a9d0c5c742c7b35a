"""The `goldsphere` command. Thin: each group lives in its own module and calls services."""

from __future__ import annotations

import sys
from typing import Any

import click

from goldsphere_pipelines import __version__
from goldsphere_pipelines.errors import GoldsphereError


class GoldsphereGroup(click.Group):
    """Prints a `GoldsphereError` as one line on stderr and exits 1, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except GoldsphereError as exc:
            click.echo(f"error: {exc.message}", err=True)
            sys.exit(1)


@click.group(cls=GoldsphereGroup)
@click.version_option(__version__, prog_name="goldsphere")
def main() -> None:
    """Sync WooCommerce stores into goldsphere (see README.md for every command)."""


def _register() -> None:
    from goldsphere_pipelines.cli import commands

    for command in commands.ALL:
        main.add_command(command)


_register()
