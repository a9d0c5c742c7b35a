"""Orders whose product is gone from the shop: the line becomes a goldsphere product, or the
order fails naming the line and what it lacks. Real PostgreSQL, a real sandbox shop whose
old orders name products deleted before the first sync."""

from __future__ import annotations

import json
from datetime import datetime

import sqlalchemy as sa

from goldsphere_pipelines.connectors import rules as rule_service
from goldsphere_pipelines.connectors.gone_products import collect_line_targets
from goldsphere_pipelines.mapping import RuleSpec
from goldsphere_pipelines.storage.goldsphere import reference_source
from goldsphere_pipelines.storage.gone_products import GoneProductRepository
from goldsphere_pipelines_tests.pipeline.conftest import register, scalar, sync
from goldsphere_pipelines_tests.rules.support import ensure_reference_data

# What the default rules cannot read from a line's name alone (before the bullion
# knowledge of the inference): enough for the sandbox's deleted "American Silver Eagle".
_LINE_RULES = [
    RuleSpec(
        entity_type="product",
        source_field="",
        target_field="producer",
        transform={"default": "United States Mint"},
    ),
    RuleSpec(
        entity_type="product",
        source_field="",
        target_field="product_type",
        transform={"default": "Coin"},
    ),
    RuleSpec(
        entity_type="product",
        source_field="attributes[name=Weight].options[0] | weight | name",
        target_field="weight",
        transform={"regex": r"(\d+(?:\.\d+)? ?(?:oz|g|kg))\b", "weight": True},
    ),
    RuleSpec(
        entity_type="product",
        source_field="",
        target_field="purity",
        transform={"default": "999", "purity": True},
    ),
]


def _deleted_product_orders(shop) -> list[str]:
    store = shop.store
    return [str(i) for i in store.order_ids() if store.order_flaw(i) == "deleted_product"]


def _order_row(engine: sa.Engine, connector_id, external_id: str):
    with engine.connect() as conn:
        return conn.execute(
            sa.text(
                "SELECT status, mapping_errors, awaiting_dependency FROM external_order "
                "WHERE connector_id = :c AND external_id = :e"
            ),
            {"c": connector_id, "e": external_id},
        ).one()


def test_a_line_whose_product_is_gone_maps_to_a_product_built_from_the_line(
    pipeline_db, shop_factory
):
    ensure_reference_data(pipeline_db)
    shop = shop_factory()
    ghosts = {str(i) for i in shop.store.ghost_product_ids()}
    orders = _deleted_product_orders(shop)
    assert ghosts
    assert orders
    connector = register(pipeline_db, shop)
    rule_service.add_connector_rules(pipeline_db, connector.name, _LINE_RULES)

    result = sync(connector.name)
    assert result.success

    with pipeline_db.connect() as conn:
        gone = {
            r[0]
            for r in conn.execute(
                sa.text("SELECT external_id FROM external_gone_product WHERE connector_id = :c"),
                {"c": connector.id},
            )
        }
        built = conn.execute(
            sa.text(
                "SELECT r.external_id, p.id, p.name, p.instock, p.stockquantity, m.name AS metal, "
                "pr.producername AS producer, p.weight, p.weightunit "
                "FROM external_reference r JOIN product p ON p.id = r.internal_id "
                "JOIN metal m ON m.id = p.metalid JOIN producer pr ON pr.id = p.producerid "
                "WHERE r.source = :s AND r.derived_from = 'order_line'"
            ),
            {"s": f"woocommerce:{connector.id}"},
        ).all()
    # Only the products the shop really deleted are gone; every product it still has was
    # imported from its own record, not built from a line.
    assert gone == ghosts
    assert {row.external_id for row in built} == ghosts
    ghost_line = shop.store.order(int(orders[0]))["line_items"][0]
    (product,) = [row for row in built if row.external_id == str(ghost_line["product_id"])]
    assert product.name == ghost_line["name"]
    assert product.instock is False
    assert product.stockquantity == 0
    assert product.metal == "Silver"
    assert product.producer == "United States Mint"
    assert (product.weight, product.weightunit) == (1, "troy_ounces")

    for external_id in orders:
        row = _order_row(pipeline_db, connector.id, external_id)
        assert row.status == "mapped", row.mapping_errors
    items_on_built = scalar(
        pipeline_db,
        "SELECT count(DISTINCT o.id) FROM order_items i JOIN orders o ON o.id = i.orderid "
        "WHERE i.productid = :p",
        p=product.id,
    )
    assert items_on_built == len(orders)

    # A second sync finds the built product by its reference: nothing is built or asked twice.
    again = sync(connector.name)
    assert again.success
    assert scalar(
        pipeline_db,
        "SELECT count(*) FROM external_reference WHERE source = :s AND derived_from = 'order_line'",
        s=f"woocommerce:{connector.id}",
    ) == len(ghosts)


def test_a_gone_product_the_line_does_not_describe_fails_the_order_naming_the_fields(
    pipeline_db, shop_factory
):
    ensure_reference_data(pipeline_db)
    shop = shop_factory(products=20, orders=30)
    # A line naming a product the shop never had under that id: "Deleted product", no SKU.
    order_id = shop.store.add_order(items=[(987654, 0, 1)])
    connector = register(pipeline_db, shop)

    assert sync(connector.name).success

    row = _order_row(pipeline_db, connector.id, str(order_id))
    assert row.status == "failed"
    assert row.awaiting_dependency is False
    (error,) = [e for e in row.mapping_errors if e["code"] == "gone_product_incomplete"]
    assert error["field"] == "items[0].product_id"
    assert "987654" in error["message"]
    assert "Deleted product" in error["message"]
    missing = set(error["value"].split(", "))
    assert {"metal", "producer", "weight"} <= missing
    assert (
        scalar(
            pipeline_db,
            "SELECT count(*) FROM external_gone_product WHERE connector_id = :c "
            "AND external_id = '987654'",
            c=connector.id,
        )
        == 1
    )


def test_on_the_mixed_dialect_gone_lines_map_and_the_doctor_fixes_the_rest(
    pipeline_db, shop_factory
):
    """The mixed dialect's old orders name discontinued products; with the default rules,
    the inference and the shop's own catalogue their lines map, except those of a refiner
    the shop no longer sells at all (nothing says its bars' fineness); the doctor turns what
    those lines lack into a product rule, and the remap job maps those orders."""
    import dagster as dg

    from goldsphere_pipelines.connectors import doctor
    from goldsphere_pipelines.defs.run_sync import remap_connector

    ensure_reference_data(pipeline_db)
    shop = shop_factory(dialect="mixed", products=200, orders=300, seed=7)
    orders = _deleted_product_orders(shop)
    # Every old order of one discontinued product: a Geiger bar, a refiner the knowledge
    # file knows and this shop sells nothing else of.
    ghost = shop.store.order(int(orders[0]))["line_items"][0]["product_id"]
    renamed = []
    for external_id in orders:
        lines = shop.store.order(int(external_id))["line_items"]
        if lines[0]["product_id"] == ghost:
            lines[0] = {**lines[0], "name": "100 g Geiger Edelmetalle Gold Minted Bar"}
            shop.store.modify_order(int(external_id), overrides={"line_items": lines})
            renamed.append(external_id)
    connector = register(pipeline_db, shop)
    assert sync(connector.name).success

    outcomes = {e: _order_row(pipeline_db, connector.id, e) for e in orders}
    for row in outcomes.values():
        codes = {error["code"] for error in row.mapping_errors}
        assert "product_not_found" not in codes  # a gone product is never "not yet imported"
    failing = [e for e, row in outcomes.items() if row.status == "failed"]
    assert sorted(failing) == sorted(renamed)
    assert len(failing) < len(orders)
    (error,) = [
        e for e in outcomes[failing[0]].mapping_errors if e["code"] == "gone_product_incomplete"
    ]
    asked = "the shop's other Geiger Edelmetalle gold minted bars or gold products gave none"
    assert asked in error["message"]

    group_id = "order.items[*].product_id.gone_product_incomplete"
    report = doctor.diagnose(pipeline_db, connector.name)
    group = report.group(group_id)
    assert group.count == len(failing)
    assert group.proposal is None
    assert "--value" in (group.explanation or "")

    missing = group.examples[0].value
    assert missing == "purity"  # what this seed's discontinued bars do not state
    chosen = doctor.diagnose(pipeline_db, connector.name, values={group_id: "999.9"})
    fix = chosen.group(group_id)
    assert fix.proposal is not None
    assert fix.proposal.entity_type == "product"
    assert fix.proposal.target_field == "purity"
    assert fix.preview is not None
    assert fix.preview.group_fixed == len(failing)
    assert fix.preview.newly_failing == 0
    products = fix.preview.products  # the rule is a product rule: the products are previewed
    assert products is not None
    assert products.records > 0
    assert products.newly_failing == 0
    # The default stands last in the inference order: no product that states or implies its
    # purity changes.
    assert products.changed == 0

    doctor.apply_fix(pipeline_db, connector.name, group_id, value="999.9")
    assert remap_connector(connector.name, instance=dg.DagsterInstance.ephemeral()).success
    for external_id in failing:
        assert _order_row(pipeline_db, connector.id, external_id).status == "mapped"
    assert (
        scalar(
            pipeline_db,
            "SELECT count(*) FROM external_reference r JOIN product p ON p.id = r.internal_id "
            "WHERE r.source = :s AND r.derived_from = 'order_line' AND p.instock",
            s=f"woocommerce:{connector.id}",
        )
        == 0
    )


def test_lines_read_from_parsed_pages_find_what_the_stored_orders_would(pipeline_db, shop_factory):
    """The extract hands over the lines it parsed and the server's time before it wrote;
    together with the orders stored before that time they name exactly what reading every
    pending order back from the table names."""

    connector = register(pipeline_db, shop_factory())
    lines = [
        {"product_id": 901, "variation_id": 0},
        {"product_id": "902", "variation_id": 9021},
        {"product_id": 903.0},  # a float: li->>'product_id' reads '903.0', no id
        {"product_id": True},
        {"product_id": 0, "variation_id": 904},
        {"product_id": "0905"},
        "not a line",
    ]
    orders = [
        {"id": 1, "line_items": lines[:3]},
        {"id": 2, "line_items": lines[3:]},
        {"id": 3, "line_items": {"not": "a list"}},
    ]
    repository = GoneProductRepository(pipeline_db)
    with pipeline_db.begin() as conn:
        for order in orders:
            conn.execute(
                sa.text(
                    "INSERT INTO external_order (connector_id, external_id, raw_payload_json, "
                    "payload_hash, status) VALUES (:c, :e, CAST(:p AS jsonb), 'h', 'pending')"
                ),
                {"c": connector.id, "e": str(order["id"]), "p": json.dumps(order)},
            )
    source = reference_source(connector.id)

    def ids(**kwargs) -> set[tuple[str, str | None]]:
        found = repository.unknown_line_targets(connector.id, source, limit=100, **kwargs)
        return {(t.product_id, t.variation_id) for t in found}

    from_table = ids()
    assert from_table == {("901", None), ("902", "9021")}
    seen: set = set()
    collect_line_targets(orders, seen)
    assert ids(seen=seen, stored_before=datetime(2000, 1, 1)) == from_table
    assert ids(stored_before=repository.clock()) == from_table
    assert ids(stored_before=datetime(2000, 1, 1)) == set()


def _synced_in_small_batches(pipeline_db, shop_factory, *, orders: int):
    """A shop where many orders name gone products (so that batches written meanwhile name
    them too), synced with the line rules in batches of 7."""
    ensure_reference_data(pipeline_db)
    shop = shop_factory(orders=orders, messy_share=0.6)
    connector = register(pipeline_db, shop)
    rule_service.add_connector_rules(pipeline_db, connector.name, _LINE_RULES)
    assert sync(connector.name, sync_settings={"mapping_batch_size": 7}).success
    return shop, connector


def test_a_product_built_from_lines_takes_the_first_line_that_names_it(
    pipeline_db, shop_factory, monkeypatch
):
    """Small batches, and the first batch's write held back so that later batches commit
    before it: each built product still has the price of the first order (in the order
    mapping reads them) whose line built it."""
    import time
    from decimal import Decimal

    from goldsphere_pipelines.mapping.line_products import _unit_price
    from goldsphere_pipelines.storage.goldsphere import GoldsphereRepository

    upsert = GoldsphereRepository.upsert_orders
    calls = []

    def first_one_late(self, conn, source, orders):
        if orders and not calls:
            calls.append(len(orders))
            time.sleep(1.0)
        return upsert(self, conn, source, orders)

    monkeypatch.setattr(GoldsphereRepository, "upsert_orders", first_one_late)
    shop, connector = _synced_in_small_batches(pipeline_db, shop_factory, orders=600)

    ghosts = {str(i) for i in shop.store.ghost_product_ids()}
    first_price: dict[str, Decimal] = {}
    with pipeline_db.connect() as conn:
        for (payload,) in conn.execute(
            sa.text(
                "SELECT raw_payload_json FROM external_order WHERE connector_id = :c "
                "AND status = 'mapped' ORDER BY id"
            ),
            {"c": connector.id},
        ):
            for line in payload["line_items"]:
                named = str(line.get("variation_id") or line["product_id"])
                price = _unit_price(line)
                if named in ghosts and price is not None:
                    first_price.setdefault(named, Decimal(price))
        built = dict(
            conn.execute(
                sa.text(
                    "SELECT r.external_id, p.price FROM external_reference r "
                    "JOIN product p ON p.id = r.internal_id "
                    "WHERE r.source = :s AND r.derived_from = 'order_line'"
                ),
                {"s": reference_source(connector.id)},
            ).all()
        )
    assert built
    assert built == {external_id: first_price[external_id] for external_id in built}
    named_at_other_prices = {
        e
        for e in built
        if scalar(
            pipeline_db,
            "SELECT count(DISTINCT li->>'subtotal') FROM external_order o, "
            "jsonb_array_elements(o.raw_payload_json->'line_items') li "
            "WHERE o.connector_id = :c AND li->>'product_id' = :e",
            c=connector.id,
            e=e,
        )
        > 1
    }
    assert named_at_other_prices, "the shop's orders name a gone product at several prices"


def test_products_built_from_lines_are_committed_before_a_writer_needs_them(
    pipeline_db, shop_factory, monkeypatch
):
    """Every product an order batch's items name is already committed when the batch is
    written (seen from another connection): two writers never wait on each other's insert
    of the same built product."""
    from goldsphere_pipelines.storage.goldsphere import GoldsphereRepository

    upsert = GoldsphereRepository.upsert_orders
    unseen: list[int] = []
    batches: list[int] = []

    def checked(self, conn, source, orders):
        named = list({item.product_id for order in orders for item in order.items})
        with pipeline_db.connect() as other:
            visible = other.execute(
                sa.text("SELECT count(*) FROM product WHERE id = ANY(:ids)"), {"ids": named}
            ).scalar_one()
        batches.append(len(orders))
        unseen.append(len(named) - visible)
        return upsert(self, conn, source, orders)

    monkeypatch.setattr(GoldsphereRepository, "upsert_orders", checked)
    _, connector = _synced_in_small_batches(pipeline_db, shop_factory, orders=300)

    assert scalar(
        pipeline_db,
        "SELECT count(*) FROM external_reference WHERE source = :s AND derived_from = 'order_line'",
        s=reference_source(connector.id),
    )
    assert len(batches) > 10
    assert unseen == [0] * len(batches)
