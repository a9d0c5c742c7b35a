"""`goldsphere db`: migrations and the embedded database."""

from __future__ import annotations

import click

from goldsphere_pipelines import settings
from goldsphere_pipelines.storage.embedded import stop_embedded_database
from goldsphere_pipelines.storage.engine import create_engine, resolve_database_url
from goldsphere_pipelines.storage.migrations import migrate


@click.group()
def db() -> None:
    """The goldsphere database: migrations and the embedded server."""


@db.command("migrate")
@click.option(
    "--with-core-schema",
    is_flag=True,
    help="Also create the goldsphere core subset (development, tests, demo; never production).",
)
def migrate_command(with_core_schema: bool) -> None:
    """Apply pending migrations from sql/ (safe to run twice or concurrently)."""
    engine = create_engine(resolve_database_url())
    try:
        applied = migrate(engine, with_core_schema=with_core_schema)
    finally:
        engine.dispose()
    if applied:
        for name in applied:
            click.echo(f"applied sql/{name}")
    else:
        click.echo("database is up to date; nothing to apply")


@db.command("stop-embedded")
def stop_embedded_command() -> None:
    """Stop the embedded PostgreSQL under .goldsphere/ if it runs."""
    if stop_embedded_database(settings.goldsphere_home()):
        click.echo("stopped the embedded PostgreSQL")
    else:
        click.echo("no embedded PostgreSQL is running here")
