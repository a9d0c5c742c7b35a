"""Every command group of `goldsphere`, in the order `goldsphere --help` lists them."""

from __future__ import annotations

import click

from goldsphere_pipelines.cli import deletions as _deletions  # noqa: F401  (reconcile, deletions)
from goldsphere_pipelines.cli import doctor as _doctor  # noqa: F401  (adds rules doctor)
from goldsphere_pipelines.cli import sync as _sync  # noqa: F401  (adds test/sync/runs)
from goldsphere_pipelines.cli.admin_api import admin_api
from goldsphere_pipelines.cli.bench import bench
from goldsphere_pipelines.cli.connectors import connectors
from goldsphere_pipelines.cli.credentials import credentials
from goldsphere_pipelines.cli.db import db
from goldsphere_pipelines.cli.demo import demo
from goldsphere_pipelines.cli.rules import rules
from goldsphere_pipelines.cli.sandbox import sandbox
from goldsphere_pipelines.cli.webhooks import webhooks

ALL: list[click.Command] = [
    db,
    connectors,
    credentials,
    rules,
    webhooks,
    demo,
    bench,
    sandbox,
    admin_api,
]
