"""Many sandbox stores served by one process, each on its own loopback port.

A fleet benchmark needs dozens of shops; a process each would spend memory and start-up
time on interpreters alone. One uvicorn server listens on one socket per store and hands
each request to the app of the store whose port it arrived on (`scope["server"]`), so every
store keeps its own base URL, keys and admin endpoint, exactly as `run_sandbox_process`
serves one. The process also notes when each store was first asked anything: the moment a
sync's run reached its shop.

    with run_fleet_process([SandboxConfig(seed=1), SandboxConfig(seed=2)]) as fleet:
        fleet.shops[0].base_url, fleet.shops[1].counts(), fleet.first_requests()
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx2
import orjson
import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send

from goldsphere_pipelines.sandbox.app import create_app
from goldsphere_pipelines.sandbox.config import SandboxConfig
from goldsphere_pipelines.sandbox.server import (
    LOOPBACK,
    SandboxProcess,
    _base_url,
    _bind,
    _stop_on_sigterm,
    _uvicorn_config,
    child_process,
    config_spec,
)
from goldsphere_pipelines.sandbox.store import SandboxStore

FIRST_REQUESTS_PATH = "/_fleet/first-requests"
"""Answered on every store's port: {base_url: Unix time of the store's first request}."""


class FleetApp:
    """Routes each request to the app of the store listening on the port it came in on."""

    def __init__(self, apps: dict[int, ASGIApp], base_urls: dict[int, str]) -> None:
        self._apps = apps
        self._base_urls = base_urls
        self._first_request: dict[int, float] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        port = int(scope["server"][1])
        if scope["type"] == "http" and scope["path"] == FIRST_REQUESTS_PATH:
            await self._answer_first_requests(send)
            return
        if scope["type"] == "http" and not scope["path"].startswith("/_sandbox"):
            self._first_request.setdefault(port, time.time())
        await self._apps[port](scope, receive, send)

    async def _answer_first_requests(self, send: Send) -> None:
        body = orjson.dumps({self._base_urls[p]: t for p, t in self._first_request.items()})
        headers = [(b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})


@dataclass
class SandboxFleet:
    """Stores serving from one child process; each shop is steered like a `SandboxProcess`."""

    shops: list[SandboxProcess]

    @property
    def pid(self) -> int:
        return self.shops[0].pid

    def first_requests(self) -> dict[str, float]:
        """Unix time of each store's first request (admin calls aside), by base URL."""
        response = httpx2.get(self.shops[0].base_url + FIRST_REQUESTS_PATH, timeout=30)
        response.raise_for_status()
        answer: dict[str, float] = response.json()
        return answer


@contextmanager
def run_fleet_process(
    configs: Sequence[SandboxConfig],
    *,
    host: str = LOOPBACK,
    warm_up: bool = True,
    startup_timeout_s: float = 600,
) -> Iterator[SandboxFleet]:
    """Serve one store per config from a single child process, over plain HTTP."""
    if not configs:
        raise ValueError("a fleet needs at least one store")
    spec = {"configs": [config_spec(c) for c in configs], "host": host, "warm_up": warm_up}
    with child_process(
        "goldsphere_pipelines.sandbox.fleet", spec, startup_timeout_s=startup_timeout_s
    ) as (process, announced):
        shops = [
            SandboxProcess(
                base_url=url,
                consumer_key=config.consumer_key.get_secret_value(),
                consumer_secret=config.consumer_secret.get_secret_value(),
                ca_cert_path=None,
                process=process,
            )
            for url, config in zip(announced["base_urls"], configs, strict=True)
        ]
        try:
            yield SandboxFleet(shops)
        finally:
            for shop in shops:
                shop.close()


def fleet_main() -> None:
    """Entry point of the child process started by `run_fleet_process`."""
    spec: dict[str, Any] = json.loads(sys.stdin.read())
    host = spec["host"]
    stores = [SandboxStore(SandboxConfig.model_validate(c)) for c in spec["configs"]]
    if spec.get("warm_up"):
        for store in stores:
            store.warm_up()
    sockets = [_bind(host, 0) for _ in stores]
    try:
        ports = [sock.getsockname()[1] for sock in sockets]
        base_urls = {
            port: _base_url(sock, host, None) for port, sock in zip(ports, sockets, strict=True)
        }
        apps: dict[int, ASGIApp] = {
            port: create_app(store) for port, store in zip(ports, stores, strict=True)
        }
        sys.stdout.write(json.dumps({"base_urls": [base_urls[p] for p in ports]}) + "\n")
        sys.stdout.flush()
        with _stop_on_sigterm():
            server = uvicorn.Server(_uvicorn_config(FleetApp(apps, base_urls), None))
            server.run(sockets=sockets)
    finally:
        for sock in sockets:
            sock.close()


if __name__ == "__main__":
    fleet_main()
