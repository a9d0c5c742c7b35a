"""The connector services: configure connectors, test their connection, run and record syncs.

Used by the CLI, the admin API and the Dagster layer alike; imports neither Dagster nor
FastAPI. Configuration lives in `configuration`, its rules in `validation`, the shapes
that cross the edges in `models`.
"""
