"""Journey B in a real Chromium: the Dagster UI the README documents, on a scratch instance.

Open the asset graph, see the goldsphere assets with products before orders, materialize
a connector's partition from the graph's own launch dialog, watch the run succeed, and
read the counts in the assets' metadata: the shop's counts, the same as the sync record.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx2
import pytest
import sqlalchemy as sa
from pydantic import SecretStr

from goldsphere_pipelines.admin_api.dagster_launcher import DagsterLauncher
from goldsphere_pipelines.connectors import runs as run_service
from goldsphere_pipelines.connectors.configuration import add_connector
from goldsphere_pipelines.connectors.models import ConnectorCreate
from goldsphere_pipelines.demo import seed_customers
from goldsphere_pipelines.sandbox import RunningSandbox
from goldsphere_pipelines.storage.credentials import load_cipher
from goldsphere_pipelines_tests.admin_api.browser import screenshot_dir
from goldsphere_pipelines_tests.admin_api.dagster_webserver import RunningDagster
from goldsphere_pipelines_tests.admin_api.support import SuiteSecrets

pytestmark = pytest.mark.browser

PARTITION = "dagster-ui-shop"
RUN_TIMEOUT_MS = 180_000


def metadata_value(page: Any, key: str) -> str:
    row = page.locator("tr").filter(has=page.locator("td").get_by_text(key, exact=True))
    return str(row.first.locator("td").last.inner_text()).strip()


def test_journey_b_materialize_a_partition_in_the_dagster_ui(
    browser: Any,
    dagster: RunningDagster,
    db: sa.Engine,
    credentials_key: str,
    shop: RunningSandbox,
    suite_secrets: SuiteSecrets,
    tmp_path: Path,
) -> None:
    from playwright.sync_api import expect

    seed_customers(db, shop.store.customer_emails())
    add_connector(
        db,
        load_cipher(),
        ConnectorCreate(
            base_url=shop.base_url,
            name=PARTITION,
            consumer_key=SecretStr(suite_secrets.consumer_key),
            consumer_secret=SecretStr(suite_secrets.consumer_secret),
        ),
    )
    # What the partitions sensor does on its next tick (this instance runs no daemon).
    DagsterLauncher(dagster.url).ensure_partition(PARTITION)
    shots = screenshot_dir(tmp_path)

    context = browser.new_context(viewport={"width": 1400, "height": 860})
    page = context.new_page()
    # Dagster greets a new instance with a newsletter dialog a second after the page loads;
    # it can swallow a click of the journey, so tell the instance it was seen (the UI's own
    # dismiss does the same mutation). The handler stays for a UI that asks anyway.
    seen = httpx2.post(f"{dagster.url}/graphql", json={"query": "mutation { setNuxSeen }"})
    assert seen.json().get("data") == {"setNuxSeen": True}, seen.text
    page.add_locator_handler(
        page.get_by_text("Join the Dagster community"),
        lambda: page.get_by_role("button", name="Skip").click(),
    )
    page.goto(f"{dagster.url}/asset-groups")
    expect(page.get_by_role("button", name=re.compile(r"Materialize all"))).to_be_visible()
    page.locator("body").click(position={"x": 900, "y": 700})
    page.keyboard.press("Alt+e")  # the graph's "Expand all groups"
    graph_nodes = {
        name: page.get_by_text(name, exact=True) for name in ("external_product", "external_order")
    }
    for node in graph_nodes.values():
        expect(node).to_be_visible()
    expect(page.get_by_text("products", exact=True).first).to_be_visible()
    expect(page.get_by_text("orders", exact=True).first).to_be_visible()
    product_box = graph_nodes["external_product"].bounding_box()
    order_box = graph_nodes["external_order"].bounding_box()
    assert product_box is not None
    assert order_box is not None
    assert product_box["x"] + product_box["width"] < order_box["x"], "products come first"

    page.get_by_role("button", name=re.compile(r"Materialize all")).click()
    dialog = page.get_by_role("dialog").filter(has_text="Launch runs to materialize")
    expect(dialog).to_contain_text("Launch runs to materialize")
    dialog.get_by_text("Select a partition or create one").click()
    page.get_by_text(PARTITION, exact=True).first.click()
    page.keyboard.press("Escape")
    dialog.get_by_role("button", name=re.compile(r"Launch 1 run")).click()
    expect(dialog).to_be_hidden(timeout=60_000)
    page.get_by_role("link", name="View").first.click()
    expect(page).to_have_url(re.compile(r"/runs/[0-9a-f-]{36}"))
    run_id = page.url.rstrip("/").split("/runs/")[1].split("?")[0]
    expect(page.get_by_text(f"partition: {PARTITION}")).to_be_visible()
    expect(page.get_by_text("Success", exact=True).first).to_be_visible(timeout=RUN_TIMEOUT_MS)
    page.screenshot(path=str(shots / "dagster-run.png"))

    sync_run = run_service.list_runs(db, PARTITION, limit=1)[0]
    assert sync_run.dagster_run_id == run_id
    assert sync_run.status == "success"
    counts = shop.store.counts()

    page.goto(f"{dagster.url}/assets/goldsphere/external_product?partition={PARTITION}")
    expect(page.get_by_text("Metadata").first).to_be_visible()
    fetched = metadata_value(page, "fetched")
    assert fetched == str(counts["products"] + counts["variations"])
    assert fetched == str(sync_run.stats["products_extract"]["fetched"])

    page.goto(f"{dagster.url}/assets/goldsphere/orders?partition={PARTITION}")
    expect(page.get_by_text("Metadata").first).to_be_visible()
    mapped = metadata_value(page, "mapped")
    assert mapped == str(sync_run.stats["orders_map"]["mapped"])
    assert int(mapped) > 0
    page.screenshot(path=str(shots / "dagster-orders-metadata.png"))

    # The graph once more, now with the partition materialized, for the README.
    page.goto(f"{dagster.url}/asset-groups")
    expect(graph_nodes["external_order"]).to_be_visible()
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(shots / "dagster-asset-graph.png"))
    context.close()
