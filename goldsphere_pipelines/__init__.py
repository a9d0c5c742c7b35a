"""goldsphere-pipelines: a Dagster project that syncs WooCommerce stores into goldsphere."""

__version__ = "0.1.0"
