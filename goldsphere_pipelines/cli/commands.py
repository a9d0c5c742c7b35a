"""Every command group of `goldsphere`, in the order `goldsphere --help` lists them."""

from __future__ import annotations

import click

from goldsphere_pipelines.cli.db import db

ALL: list[click.Command] = [db]
