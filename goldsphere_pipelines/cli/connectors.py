"""`goldsphere connectors`: add, list, show, update, disable and enable connectors.

Consumer keys and secrets come only from `GOLDSPHERE_WC_CONSUMER_KEY` /
`GOLDSPHERE_WC_CONSUMER_SECRET` or a hidden prompt, never from options (those land in
shell history and `ps`). No output ever contains them. Other modules add commands to
the `connectors` group (test, sync, runs).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import click
from pydantic import SecretStr
from sqlalchemy.engine import Engine

from goldsphere_pipelines.connectors import configuration
from goldsphere_pipelines.connectors.models import (
    ConnectorCreate,
    ConnectorSummary,
    ConnectorUpdate,
)
from goldsphere_pipelines.errors import GoldsphereError
from goldsphere_pipelines.storage.credentials import load_cipher
from goldsphere_pipelines.storage.engine import create_engine, resolve_database_url
from goldsphere_pipelines.woocommerce.credentials import AuthMode

CONSUMER_KEY_ENV = "GOLDSPHERE_WC_CONSUMER_KEY"
CONSUMER_SECRET_ENV = "GOLDSPHERE_WC_CONSUMER_SECRET"  # noqa: S105 - a variable name

_AUTH_CHOICE = click.Choice([mode.value for mode in AuthMode])
_AUTH_HELP = (
    "How the key travels: basic (HTTP Basic, default for https), query (query parameters, "
    "for hosts that strip the Authorization header), oauth1 (default for plain-http "
    "loopback stores). A plain-http store behind a TLS-terminating proxy uses basic."
)
_CA_BUNDLE_HELP = (
    "PEM file of the CA that signed the store's certificate (self-signed or corporate); "
    "its contents are stored with the connector."
)


_CREATE_PRODUCERS_HELP = (
    "Create producers that the bullion knowledge file names but goldsphere's producer table "
    "lacks (active, with their country); never for unknown names. On by default."
)


@contextmanager
def database_engine() -> Iterator[Engine]:
    """An engine on the configured database for one command, disposed afterwards."""
    engine = create_engine(resolve_database_url(), pool_size=1)
    try:
        yield engine
    finally:
        engine.dispose()


@click.group()
def connectors() -> None:
    """WooCommerce stores to sync: their address, encrypted keys and sync toggles."""


@connectors.command("add")
@click.option(
    "--base-url", required=True, help="The store's address, e.g. https://shop.example.com."
)
@click.option("--name", help="A permanent slug for the store (default: from the host name).")
@click.option("--auth", "auth_mode", type=_AUTH_CHOICE, help=_AUTH_HELP)
@click.option("--ca-bundle", type=click.Path(dir_okay=False, path_type=Path), help=_CA_BUNDLE_HELP)
@click.option("--no-sync-products", is_flag=True, help="Do not sync this store's products.")
@click.option("--no-sync-orders", is_flag=True, help="Do not sync this store's orders.")
@click.option(
    "--create-missing-producers/--no-create-missing-producers",
    default=True,
    show_default=True,
    help=_CREATE_PRODUCERS_HELP,
)
@click.option("--json", "as_json", is_flag=True, help="Print the connector summary as JSON.")
def add_command(
    base_url: str,
    name: str | None,
    auth_mode: str | None,
    ca_bundle: Path | None,
    no_sync_products: bool,
    no_sync_orders: bool,
    create_missing_producers: bool,
    as_json: bool,
) -> None:
    """Add a store. The consumer key and secret are read from GOLDSPHERE_WC_CONSUMER_KEY and
    GOLDSPHERE_WC_CONSUMER_SECRET, or asked for (hidden)."""
    request = ConnectorCreate(
        base_url=base_url,
        name=name,
        auth_mode=AuthMode(auth_mode) if auth_mode else None,
        ca_bundle_pem=_read_ca_bundle(ca_bundle) if ca_bundle is not None else None,
        sync_products=not no_sync_products,
        sync_orders=not no_sync_orders,
        create_missing_producers=create_missing_producers,
        consumer_key=_read_secret(CONSUMER_KEY_ENV, "Consumer key (ck_…)"),
        consumer_secret=_read_secret(CONSUMER_SECRET_ENV, "Consumer secret (cs_…)"),
    )
    cipher = load_cipher()
    with database_engine() as engine:
        summary = configuration.add_connector(engine, cipher, request)
    if as_json:
        click.echo(summary.model_dump_json(indent=2))
    else:
        click.echo(
            f"added connector '{summary.name}' ({summary.base_url}, auth {summary.auth_mode}). "
            f"Check it with `goldsphere connectors test {summary.name}`."
        )


@connectors.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the connector summaries as JSON.")
def list_command(as_json: bool) -> None:
    """Every connector with its status and last sync run."""
    with database_engine() as engine:
        summaries = configuration.list_connectors(engine)
    if as_json:
        click.echo(json.dumps([s.model_dump(mode="json") for s in summaries], indent=2))
        return
    if not summaries:
        click.echo(
            "no connectors yet; add one with `goldsphere connectors add --base-url https://…`"
        )
        return
    rows = [("NAME", "STATUS", "AUTH", "SYNCS", "LAST RUN", "BASE URL")]
    rows += [
        (
            s.name,
            s.status.value,
            s.auth_mode.value,
            _syncs(s),
            f"{s.last_run.status} {_when(s.last_run.started_at)}" if s.last_run else "never",
            s.base_url,
        )
        for s in summaries
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        padded = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        click.echo("  ".join([*padded, row[-1]]))


@connectors.command("show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print the connector summary as JSON.")
def show_command(name: str, as_json: bool) -> None:
    """One connector: settings, last connection test and last sync run."""
    with database_engine() as engine:
        summary = configuration.show_connector(engine, name)
    if as_json:
        click.echo(summary.model_dump_json(indent=2))
        return
    _print_details(summary)


@connectors.command("update")
@click.argument("name")
@click.option("--base-url", help="A new address for the store.")
@click.option("--auth", "auth_mode", type=_AUTH_CHOICE, help=_AUTH_HELP)
@click.option("--ca-bundle", type=click.Path(dir_okay=False, path_type=Path), help=_CA_BUNDLE_HELP)
@click.option("--no-ca-bundle", is_flag=True, help="Remove the stored CA bundle.")
@click.option("--sync-products/--no-sync-products", default=None, help="Sync products or not.")
@click.option("--sync-orders/--no-sync-orders", default=None, help="Sync orders or not.")
@click.option(
    "--create-missing-producers/--no-create-missing-producers",
    default=None,
    help=_CREATE_PRODUCERS_HELP,
)
@click.option(
    "--rotate-credentials",
    is_flag=True,
    help="Store a new consumer key and secret (from the environment or a hidden prompt).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the connector summary as JSON.")
def update_command(
    name: str,
    base_url: str | None,
    auth_mode: str | None,
    ca_bundle: Path | None,
    no_ca_bundle: bool,
    sync_products: bool | None,
    sync_orders: bool | None,
    create_missing_producers: bool | None,
    rotate_credentials: bool,
    as_json: bool,
) -> None:
    """Change a connector's settings; what is not given stays as it is."""
    if ca_bundle is not None and no_ca_bundle:
        raise GoldsphereError("Give either --ca-bundle or --no-ca-bundle, not both.")
    fields: dict[str, object] = {
        "base_url": base_url,
        "auth_mode": AuthMode(auth_mode) if auth_mode else None,
        "sync_products": sync_products,
        "sync_orders": sync_orders,
        "create_missing_producers": create_missing_producers,
    }
    if ca_bundle is not None:
        fields["ca_bundle_pem"] = _read_ca_bundle(ca_bundle)
    elif no_ca_bundle:
        fields["ca_bundle_pem"] = None
    if rotate_credentials:
        fields["consumer_key"] = _read_secret(CONSUMER_KEY_ENV, "New consumer key (ck_…)")
        fields["consumer_secret"] = _read_secret(CONSUMER_SECRET_ENV, "New consumer secret (cs_…)")
    request = ConnectorUpdate.model_validate(fields)
    cipher = load_cipher()
    with database_engine() as engine:
        summary = configuration.update_connector(engine, cipher, name, request)
    if as_json:
        click.echo(summary.model_dump_json(indent=2))
    else:
        done = "updated; new credentials stored" if rotate_credentials else "updated"
        click.echo(f"connector '{summary.name}' {done}.")


@connectors.command("disable")
@click.argument("name")
def disable_command(name: str) -> None:
    """Stop syncing a connector; its data and credentials are kept."""
    with database_engine() as engine:
        summary = configuration.disable_connector(engine, name)
    click.echo(
        f"connector '{summary.name}' disabled; its data and credentials are kept "
        f"(`goldsphere connectors enable {summary.name}` turns it back on)."
    )


@connectors.command("enable")
@click.argument("name")
def enable_command(name: str) -> None:
    """Turn a disabled connector back on."""
    with database_engine() as engine:
        summary = configuration.enable_connector(engine, name)
    click.echo(f"connector '{summary.name}' enabled (status {summary.status.value}).")


def _read_secret(env_name: str, prompt: str) -> SecretStr:
    value = os.environ.get(env_name, "").strip()
    if value:
        return SecretStr(value)
    try:
        entered: str = click.prompt(prompt, hide_input=True, err=True)
    except click.Abort:
        raise GoldsphereError(
            f"No value given for {env_name}: set that environment variable or enter the "
            "value at the prompt (it is never accepted as an option)."
        ) from None
    return SecretStr(entered)


def _read_ca_bundle(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not a text (PEM) file"
        raise GoldsphereError(
            f"Cannot read the CA bundle {path}: {reason}. Give the path of a PEM file."
        ) from None


def _print_details(summary: ConnectorSummary) -> None:
    test = "never"
    if summary.last_test_at is not None:
        outcome = "succeeded" if summary.last_test_success else "failed"
        test = f"{outcome} {_when(summary.last_test_at)}"
        if summary.last_test_message:
            test += f": {summary.last_test_message}"
    run = "never"
    if summary.last_run is not None:
        run = f"{summary.last_run.status}, started {_when(summary.last_run.started_at)}"
        if summary.last_run.error:
            run += f": {summary.last_run.error}"
    lines = [
        ("name", summary.name),
        ("id", str(summary.id)),
        ("type", summary.type),
        ("base url", summary.base_url),
        ("status", summary.status.value),
        ("auth", summary.auth_mode.value),
        ("CA bundle", "custom (stored)" if summary.has_ca_bundle else "system default"),
        ("syncs", _syncs(summary)),
        (
            "producers",
            "created from the knowledge file when missing"
            if summary.create_missing_producers
            else "never created",
        ),
        ("last test", test),
        ("last run", run),
    ]
    for label, value in lines:
        click.echo(f"{label + ':':<11}{value}")


def _syncs(summary: ConnectorSummary) -> str:
    parts = [
        label
        for label, on in (("products", summary.sync_products), ("orders", summary.sync_orders))
        if on
    ]
    return "+".join(parts) if parts else "nothing"


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
