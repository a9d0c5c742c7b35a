"""The pipeline suite's fixtures: a sandbox shop, a connector for it, materialized syncs."""

from goldsphere_pipelines_tests.pipeline.conftest import pipeline_db, shop_factory

__all__ = ["pipeline_db", "shop_factory"]
