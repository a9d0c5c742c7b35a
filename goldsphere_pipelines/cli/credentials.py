"""`goldsphere credentials`: the Fernet keys that encrypt connector credentials at rest."""

from __future__ import annotations

import click

from goldsphere_pipelines import settings
from goldsphere_pipelines.cli.connectors import database_engine
from goldsphere_pipelines.connectors.configuration import rotate_credentials_key
from goldsphere_pipelines.storage.credentials import generate_key, load_cipher


@click.group()
def credentials() -> None:
    """Keys for the connector credentials stored in the database."""


@credentials.command("generate-key")
def generate_key_command() -> None:
    """Print a new key for GOLDSPHERE_CREDENTIALS_KEY (only the key goes to stdout)."""
    click.echo(generate_key())
    click.echo(
        f"Keep this key safe and export it as {settings.CREDENTIALS_KEY_ENV}. To rotate, put "
        "the new key first and the old one after a comma, run `goldsphere credentials "
        "rotate-key`, then drop the old key.",
        err=True,
    )


@credentials.command("rotate-key")
def rotate_key_command() -> None:
    """Re-encrypt every stored credential with the first configured key."""
    cipher = load_cipher()
    with database_engine() as engine:
        count = rotate_credentials_key(engine, cipher)
    noun = "connector" if count == 1 else "connectors"
    click.echo(
        f"re-encrypted the credentials of {count} {noun} with the first key of {cipher.source}."
    )
    if cipher.key_count > 1:
        click.echo(
            f"The other keys in {cipher.source} are no longer needed for them; remove them "
            "once every process uses the new setting."
        )
