"""Each fault knob is observable with a plain HTTP client; the admin endpoint never fails."""

from __future__ import annotations

import asyncio
import json
import time

import httpx2
import orjson
import pytest

from goldsphere_pipelines.sandbox import ConnectionDropped, RunningSandbox, create_app
from goldsphere_pipelines_tests.sandbox.conftest import SMALL


def orders_url(sandbox: RunningSandbox) -> str:
    return f"{sandbox.api_url}/orders"


def test_latency_delays_every_api_response(sandbox: RunningSandbox) -> None:
    sandbox.store.set_faults(latency_ms=150)
    started = time.monotonic()
    httpx2.get(orders_url(sandbox))
    # A lower bound only: the server sleeps at least this long before answering.
    assert time.monotonic() - started >= 0.14
    sandbox.store.set_faults(latency_ms=0, rate_spike=1.0, spike_ms=120)
    started = time.monotonic()
    httpx2.get(orders_url(sandbox))
    assert time.monotonic() - started >= 0.11
    assert sandbox.store.stats.faults["latency_spike"] == 1


def test_429_with_and_without_retry_after(sandbox: RunningSandbox) -> None:
    sandbox.store.set_faults(rate_429=1.0, retry_after_s=7)
    response = httpx2.get(orders_url(sandbox))
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"
    sandbox.store.set_faults(retry_after_s=None)
    response = httpx2.get(orders_url(sandbox))
    assert response.status_code == 429
    assert "Retry-After" not in response.headers
    assert sandbox.store.stats.faults["http_429"] == 2


def test_5xx_answers_are_500_502_503_504(sandbox: RunningSandbox) -> None:
    sandbox.store.set_faults(rate_5xx=1.0, retry_after_s=3)
    statuses = set()
    with httpx2.Client() as client:
        for _ in range(40):
            response = client.get(orders_url(sandbox))
            statuses.add(response.status_code)
            if response.status_code == 503:
                assert response.headers["Retry-After"] == "3"
            if response.status_code == 500:
                assert response.json()["code"] == "internal_server_error"
    assert statuses == {500, 502, 503, 504}


def test_dropped_connections_end_without_a_response(sandbox: RunningSandbox) -> None:
    sandbox.store.set_faults(rate_drop=1.0)
    with pytest.raises(httpx2.TransportError):
        httpx2.get(orders_url(sandbox))
    sandbox.store.set_faults(rate_drop=0.0)
    assert httpx2.get(orders_url(sandbox)).status_code == 401
    assert sandbox.store.stats.faults["dropped"] == 1


def test_html_pages_come_with_http_200(sandbox: RunningSandbox, client: httpx2.Client) -> None:
    sandbox.store.set_faults(rate_html=1.0)
    kinds = set()
    for _ in range(12):
        response = client.get("/orders")
        assert response.status_code == 200
        with pytest.raises(orjson.JSONDecodeError):
            orjson.loads(response.content)
        if response.headers["content-type"].startswith("text/html"):
            kinds.add("page")
            assert b"<html" in response.content
        else:
            # A PHP warning printed before the JSON body, still labelled JSON.
            kinds.add("php_warning")
            assert response.content.startswith(b"<br />\n<b>Warning</b>")
            assert isinstance(json.loads(response.content[response.content.index(b"[") :]), list)
    assert kinds == {"page", "php_warning"}


def test_byte_order_mark_before_the_json(sandbox: RunningSandbox, client: httpx2.Client) -> None:
    sandbox.store.set_faults(rate_bom=1.0)
    response = client.get("/orders", params={"per_page": 3})
    assert response.status_code == 200
    assert response.content.startswith(b"\xef\xbb\xbf")
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(response.content)
    assert len(orjson.loads(response.content[3:])) == 3


def test_truncated_json_bodies(sandbox: RunningSandbox, client: httpx2.Client) -> None:
    whole = client.get("/orders", params={"per_page": 5, "orderby": "id"}).content
    sandbox.store.set_faults(rate_truncated=1.0)
    cut = client.get("/orders", params={"per_page": 5, "orderby": "id"})
    assert cut.status_code == 200
    assert len(cut.content) < len(whole)
    assert whole.startswith(cut.content)
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(cut.content)


def test_max_rps_answers_429_beyond_the_rate(sandbox: RunningSandbox) -> None:
    sandbox.store.set_faults(max_rps=0.01)  # one request now, the next in 100 s
    with httpx2.Client() as client:
        assert client.get(orders_url(sandbox)).status_code == 401
        limited = client.get(orders_url(sandbox))
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "1"
    assert sandbox.store.stats.faults["max_rps"] == 1


def test_faults_touch_only_the_rest_api(sandbox: RunningSandbox) -> None:
    sandbox.store.set_faults(rate_5xx=1.0, latency_ms=0)
    assert httpx2.get(f"{sandbox.base_url}/wp-json/").status_code == 200
    admin = f"{sandbox.base_url}/_sandbox"
    assert httpx2.get(f"{admin}/stats").status_code == 200
    knobs = httpx2.post(f"{admin}/faults", json={"rate_5xx": 0.0, "rate_429": 0.25}).json()
    assert knobs["rate_5xx"] == 0.0
    assert knobs["rate_429"] == 0.25
    assert sandbox.store.fault_knobs.rate_429 == 0.25
    refused = httpx2.post(f"{admin}/faults", json={"rate_teapot": 1})
    assert refused.status_code == 400
    assert "rate_teapot" in refused.json()["error"]
    assert httpx2.post(f"{admin}/faults", json={"rate_429": 2}).status_code == 400
    cleared = httpx2.post(f"{admin}/faults/clear").json()
    assert cleared["rate_429"] == 0.0


def test_statistics_count_requests_statuses_and_faults(sandbox: RunningSandbox) -> None:
    sandbox.store.reset_stats()
    httpx2.get(orders_url(sandbox))
    sandbox.store.set_faults(rate_429=1.0)
    httpx2.get(f"{sandbox.api_url}/products")
    stats = httpx2.get(f"{sandbox.base_url}/_sandbox/stats").json()
    assert stats["requests"] == 2
    assert stats["by_endpoint"] == {"orders": 1, "products": 1}
    assert stats["by_status"] == {"401": 1, "429": 1}
    assert stats["faults"] == {"http_429": 1}


def test_in_process_drops_raise_instead_of_resetting_a_socket() -> None:
    from goldsphere_pipelines.sandbox import SandboxStore

    store = SandboxStore(SMALL.with_changes(orders=5, rate_drop=1.0))

    async def call() -> None:
        transport = httpx2.ASGITransport(app=create_app(store))
        async with httpx2.AsyncClient(transport=transport, base_url="http://shop.test") as client:
            await client.get("/wp-json/wc/v3/orders")

    with pytest.raises(ConnectionDropped):
        asyncio.run(call())
