"""One partition per connector; the key is the connector's immutable name."""

from __future__ import annotations

import dagster as dg

CONNECTOR_PARTITIONS_NAME = "connectors"

connector_partitions = dg.DynamicPartitionsDefinition(name=CONNECTOR_PARTITIONS_NAME)
