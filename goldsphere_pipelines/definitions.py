"""The single entry point Dagster loads (workspace.yaml, `[tool.dagster]`, `-m`)."""

from __future__ import annotations

import dagster as dg

defs = dg.Definitions()
