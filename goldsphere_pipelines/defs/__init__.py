"""The Dagster layer: assets, checks, resources, sensors and schedules. Thin over connectors/."""
