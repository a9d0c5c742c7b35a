"""The rules doctor on a real sandbox shop and real PostgreSQL: failures grouped by cause,
a proposal per group previewed without writing anything, applied through the rules path,
and the remap_connector job that maps the stored payloads again."""

from __future__ import annotations

import hashlib

import dagster as dg
import pytest
import sqlalchemy as sa

from goldsphere_pipelines.connectors import doctor
from goldsphere_pipelines.connectors import rules as rule_service
from goldsphere_pipelines.defs.run_sync import remap_connector
from goldsphere_pipelines_tests.pipeline.conftest import register, sync
from goldsphere_pipelines_tests.rules.support import ensure_reference_data, misspell_producers

_TABLES = (
    "external_product",
    "external_order",
    "external_reference",
    "external_mapping_rule",
    "external_sync_run",
    "product",
    "orders",
    "order_items",
)


def _fingerprint(engine: sa.Engine) -> dict[str, str]:
    """Every row of every table the doctor could touch, hashed per table."""
    found = {}
    with engine.connect() as conn:
        for table in _TABLES:
            rows = conn.execute(sa.text(f"SELECT t::text FROM {table} AS t ORDER BY 1")).scalars()
            found[table] = hashlib.sha256("\n".join(rows).encode()).hexdigest()
    return found


def _statuses(engine: sa.Engine, connector_id, ids: list[str]) -> dict[str, str]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT external_id, status FROM external_product "
                "WHERE connector_id = :c AND external_id = ANY(:ids)"
            ),
            {"c": connector_id, "ids": ids},
        )
        return dict(rows.all())


def test_doctor_groups_proposes_previews_without_writing_and_apply_makes_the_group_map(
    pipeline_db, shop_factory
):
    ensure_reference_data(pipeline_db)
    shop = shop_factory()
    misspelt = misspell_producers(shop.store, 4, "Perth")
    connector = register(pipeline_db, shop)
    assert sync(connector.name).success
    assert set(_statuses(pipeline_db, connector.id, misspelt).values()) == {"failed"}

    before = _fingerprint(pipeline_db)
    report = doctor.diagnose(pipeline_db, connector.name)
    assert _fingerprint(pipeline_db) == before  # the preview wrote nothing

    group = report.group("product.producer.unknown_producer")
    assert group.count == 4
    assert len(group.examples) == 3
    assert {e.external_id for e in group.examples} <= set(misspelt)
    assert all("'Perth'" in e.message for e in group.examples)
    assert group.proposal is not None
    assert group.proposal.transform["map"]["Perth"] == "Perth Mint"
    preview = group.preview
    assert preview is not None
    assert preview.group_fixed == 4
    assert preview.cause_fixed == 4
    assert preview.mapped_after == preview.mapped_before + 4
    assert preview.newly_failing == 0
    # Every other producer maps to itself: no product that maps today would change.
    assert preview.changed == 0
    assert report.group(str(group.number)) is group

    applied = doctor.apply_fix(pipeline_db, connector.name, group.id)
    (stored,) = rule_service.list_connector_rules(pipeline_db, connector.name, "product")
    assert stored.id == applied.rule.id
    assert stored.target_field == "producer"
    assert stored.transform == group.proposal.transform
    assert set(_statuses(pipeline_db, connector.id, misspelt).values()) == {"failed"}

    instance = dg.DagsterInstance.ephemeral()
    result = remap_connector(connector.name, instance=instance, trigger="test")
    assert result.success
    materialized = {
        event.asset_key.to_user_string() for event in result.get_asset_materialization_events()
    }
    assert materialized == {"goldsphere/products", "goldsphere/orders"}
    assert set(_statuses(pipeline_db, connector.id, misspelt).values()) == {"mapped"}
    with pipeline_db.connect() as conn:
        producers = conn.execute(
            sa.text(
                "SELECT DISTINCT mapped_payload_json->>'producer_name' FROM external_product "
                "WHERE connector_id = :c AND external_id = ANY(:ids)"
            ),
            {"c": connector.id, "ids": misspelt},
        ).scalars()
        assert set(producers) == {"Perth Mint"}

    after = doctor.diagnose(pipeline_db, connector.name, preview=False)
    assert "product.producer.unknown_producer" not in {g.id for g in after.groups}


def test_a_status_the_doctor_cannot_guess_needs_a_value_and_maps_with_it(pipeline_db, shop_factory):
    ensure_reference_data(pipeline_db)
    shop = shop_factory()
    order_id = shop.store.add_order(overrides={"status": "wc-awaiting-bank"})
    connector = register(pipeline_db, shop)
    assert sync(connector.name).success

    report = doctor.diagnose(pipeline_db, connector.name)
    group = report.group("order.order_status.unknown_status")
    assert group.proposal is None
    assert "--value" in (group.explanation or "")
    with pytest.raises(doctor.NothingToApplyError):
        doctor.apply_fix(pipeline_db, connector.name, group.id)

    chosen = doctor.diagnose(pipeline_db, connector.name, values={group.id: "pending"})
    proposal = chosen.group(group.id)
    assert proposal.proposal is not None
    assert proposal.proposal.transform["map"]["wc-awaiting-bank"] == "pending"
    assert proposal.preview is not None
    assert proposal.preview.newly_failing == 0
    assert proposal.preview.group_fixed >= 1

    doctor.apply_fix(pipeline_db, connector.name, group.id, value="pending")
    assert remap_connector(connector.name, instance=dg.DagsterInstance.ephemeral()).success
    with pipeline_db.connect() as conn:
        status = conn.execute(
            sa.text(
                "SELECT status FROM external_order WHERE connector_id = :c AND external_id = :e"
            ),
            {"c": connector.id, "e": str(order_id)},
        ).scalar_one()
    assert status == "mapped"


def test_the_remap_job_maps_products_before_orders():
    from goldsphere_pipelines.definitions import defs

    job = defs.resolve_job_def("remap_connector")
    upstream = job.graph.dependency_structure.all_upstream_outputs_from_node("goldsphere__orders")
    assert {output.node_name for output in upstream} == {"goldsphere__products"}


def test_the_cli_lists_groups_previews_a_value_and_applies_it(pipeline_db, shop_factory):
    import json

    from click.testing import CliRunner

    from goldsphere_pipelines.cli import main

    ensure_reference_data(pipeline_db)
    shop = shop_factory(products=20, orders=40)
    shop.store.add_order(overrides={"status": "wc-awaiting-bank"})
    connector = register(pipeline_db, shop)
    assert sync(connector.name).success
    group = "order.order_status.unknown_status"

    listed = CliRunner().invoke(main, ["rules", "doctor", connector.name])
    assert listed.exit_code == 0, listed.output
    assert f"] {group}:" in listed.output
    assert "--value NAME" in listed.output

    previewed = CliRunner().invoke(
        main, ["rules", "doctor", connector.name, "--group", group, "--value", "pending", "--json"]
    )
    assert previewed.exit_code == 0, previewed.output
    (shown,) = json.loads(previewed.output)["groups"]
    assert shown["proposal"]["transform"]["map"]["wc-awaiting-bank"] == "pending"
    assert shown["preview"]["group_fixed"] == shown["count"]
    assert rule_service.list_connector_rules(pipeline_db, connector.name) == []  # a preview

    applied = CliRunner().invoke(
        main,
        ["rules", "doctor", connector.name, "--apply", group, "--value", "pending", "--no-remap"],
    )
    assert applied.exit_code == 0, applied.output
    assert "saved order rule" in applied.output
    (rule,) = rule_service.list_connector_rules(pipeline_db, connector.name)
    assert rule.target_field == "order_status"
