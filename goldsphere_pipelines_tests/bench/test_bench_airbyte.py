"""The pieces of `bench_airbyte` that need no Airbyte: the config and catalog it hands the
connector, the start date that reaches every record, the CA trust it adds, and the
counting of the connector's output. Airbyte itself is never installed by the tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date

import httpx2
import pytest

from goldsphere_pipelines.bench_airbyte import (
    AIRBYTE_LAUNCHER,
    AIRBYTE_STREAMS,
    DATED_STREAMS,
    airbyte_catalog,
    airbyte_config,
    count_airbyte_output,
    earliest_modified_gmt,
    start_date_covering,
)
from goldsphere_pipelines.sandbox import SandboxConfig, run_sandbox
from goldsphere_pipelines.sandbox.tls import trusting

SHOP = SandboxConfig(products=30, orders=120, customers=50)


def test_config_names_the_shop_by_host_and_port_and_refuses_plain_http() -> None:
    config = airbyte_config("https://127.0.0.1:8443", "ck_x", "cs_y", date(2020, 1, 5))
    assert config == {
        "shop": "127.0.0.1:8443",
        "api_key": "ck_x",
        "api_secret": "cs_y",
        "start_date": "2020-01-05",
    }
    with pytest.raises(ValueError, match="https only"):
        airbyte_config("http://127.0.0.1:8099", "ck_x", "cs_y", date(2020, 1, 5))


def test_catalog_reads_products_their_variations_and_orders_in_full() -> None:
    catalog = airbyte_catalog()
    assert [s["stream"]["name"] for s in catalog["streams"]] == list(AIRBYTE_STREAMS)
    assert {s["sync_mode"] for s in catalog["streams"]} == {"full_refresh"}
    json.dumps(catalog)


def _record(stream: str, record_id: int) -> str:
    return json.dumps(
        {"type": "RECORD", "record": {"stream": stream, "data": {"id": record_id}, "emitted_at": 1}}
    )


def test_output_counting_takes_records_per_stream_and_keeps_errors() -> None:
    lines = [
        json.dumps({"type": "LOG", "log": {"level": "INFO", "message": "Starting syncing"}}),
        _record("orders", 1),
        _record("orders", 2),
        _record("orders", 2),  # a record read twice (a page boundary moved)
        json.dumps({"type": "STATE", "state": {"type": "STREAM"}}),
        _record("products", 7).encode(),
        "",
        "Traceback (most recent call last):",
        json.dumps({"type": "LOG", "log": {"level": "ERROR", "message": "Giving up _send(...)"}}),
        json.dumps(
            {"type": "TRACE", "trace": {"type": "ERROR", "error": {"message": "SSLError: failed"}}}
        ),
        json.dumps({"type": "TRACE", "trace": {"type": "STREAM_STATUS"}}),
    ]
    output = count_airbyte_output(lines)
    assert output.records == {"orders": 3, "products": 1}
    assert output.distinct_ids() == {"orders": 2, "products": 1}
    assert output.errors == ["Giving up _send(...)", "SSLError: failed"]
    assert output.unreadable_lines == 1


def test_start_date_reaches_every_record_through_strict_modified_after() -> None:
    """Airbyte's first window starts at midnight of `start_date` with `modified_after`, which
    WooCommerce (and the sandbox) apply strictly: from there the store lists everything,
    while from a stream's earliest modification itself it lists one record fewer."""
    assert start_date_covering("2020-01-20T00:00:00") == date(2020, 1, 19)
    with run_sandbox(SHOP, tls=True) as sandbox:
        start = start_date_covering(earliest_modified_gmt(sandbox))
        counts = sandbox.store.counts()
        with httpx2.Client(
            verify=trusting(sandbox.ca_cert_path),
            auth=(sandbox.consumer_key, sandbox.consumer_secret),
        ) as client:

            def listed_after(stream: str, moment: str) -> int:
                response = client.get(
                    f"{sandbox.api_url}/{stream}",
                    params={"modified_after": moment, "dates_are_gmt": "true", "per_page": 1},
                )
                assert response.status_code == 200, response.text
                return int(response.headers["X-WP-Total"])

            for stream in DATED_STREAMS:
                assert listed_after(stream, f"{start.isoformat()}T00:00:00") == counts[stream]
                own_earliest = earliest_modified_gmt(sandbox, [stream])
                assert listed_after(stream, own_earliest) < counts[stream]


# What the Airbyte CDK does for every request: a prepared request through Session.send.
CDK_LIKE_REQUEST = """
import sys
import requests
session = requests.Session()
request = requests.Request("GET", sys.argv[1], auth=(sys.argv[2], sys.argv[3])).prepare()
try:
    print(session.send(request, timeout=30).status_code)
except requests.exceptions.SSLError:
    print("ssl-error")
"""


def test_the_launcher_makes_the_cdks_way_of_sending_trust_the_sandboxs_ca() -> None:
    pytest.importorskip("requests")
    with run_sandbox(SHOP, tls=True) as sandbox:
        assert sandbox.ca_cert_path is not None
        env = {**os.environ, "REQUESTS_CA_BUNDLE": str(sandbox.ca_cert_path)}
        url = f"{sandbox.api_url}/products?per_page=1"
        args = [url, sandbox.consumer_key, sandbox.consumer_secret]

        def send(code: str) -> str:
            return subprocess.run(
                [sys.executable, "-c", code, *args],
                env=env,
                capture_output=True,
                text=True,
                check=True,
                timeout=60,
            ).stdout.strip()

        # Session.send ignores REQUESTS_CA_BUNDLE: without the launcher, no trust.
        assert send(CDK_LIKE_REQUEST) == "ssl-error"
        assert send(AIRBYTE_LAUNCHER + CDK_LIKE_REQUEST) == "200"
