"""The sandbox in a process of its own (benchmarks) and from the command line."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path

import httpx2

from goldsphere_pipelines.sandbox import DEMO_CONSUMER_KEY, SandboxConfig, run_sandbox_process
from goldsphere_pipelines.sandbox.tls import trusting
from goldsphere_pipelines_tests.sandbox.conftest import OAuthQuery


def test_a_sandbox_process_serves_and_is_steered_through_the_admin_endpoint() -> None:
    config = SandboxConfig(products=30, orders=150, seed=11, consumer_secret="cs_" + "ab" * 20)
    with run_sandbox_process(config) as sandbox:
        assert sandbox.pid != os.getpid()
        auth = OAuthQuery(sandbox.consumer_key, sandbox.consumer_secret)
        with httpx2.Client(base_url=sandbox.api_url, auth=auth) as client:
            response = client.get("/orders", params={"per_page": 100})
            assert response.status_code == 200
            assert int(response.headers["X-WP-Total"]) == sandbox.counts()["orders"]
            order_id = sandbox.ids("orders")[0]
            sandbox.mutate("modify_order", id=order_id, status="failed")
            assert client.get(f"/orders/{order_id}").json()["status"] == "failed"
            sandbox.set_faults(rate_429=1.0, retry_after_s=2)
            assert client.get("/orders").status_code == 429
            assert sandbox.stats().faults == {"http_429": 1}
            sandbox.clear_faults()
            assert client.get("/orders").status_code == 200
        assert sandbox.customer_emails()
        process = sandbox.process
    assert process.poll() is not None


def test_a_sandbox_process_can_serve_https() -> None:
    with run_sandbox_process(SandboxConfig(products=5, orders=5), tls=True) as sandbox:
        assert sandbox.ca_cert_path is not None
        assert sandbox.base_url.startswith("https://")
        response = httpx2.get(
            f"{sandbox.api_url}/orders",
            auth=(sandbox.consumer_key, sandbox.consumer_secret),
            verify=trusting(sandbox.ca_cert_path),
        )
        assert response.status_code == 200
        assert sandbox.counts()["orders"] == len(response.json())


class _Output:
    """A command's output, read by a thread (reading a pipe blocks)."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.lines: queue.Queue[str] = queue.Queue()
        self.process = process
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)
        self.lines.put("")

    def until(self, marker: str) -> str:
        seen = ""
        while marker not in seen:
            line = self.lines.get(timeout=60)
            assert line, f"the command ended before {marker!r}: {seen!r}"
            seen += line
        return seen


def test_cli_serves_prints_url_and_keys_and_stops_on_sigterm(tmp_path: Path) -> None:
    command = [
        str(Path(sys.executable).parent / "goldsphere"), "sandbox", "serve", "--port", "0",
        "--products", "20", "--orders", "40", "--seed", "3", "--tls", "--rate-429", "0",
    ]  # fmt: skip
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp_path
    )
    try:
        output = _Output(process)
        banner = output.until("Press Ctrl-C")
        url = next(line.split()[-1] for line in banner.splitlines() if "store URL" in line)
        ca = next(line.split()[-1] for line in banner.splitlines() if "CA bundle" in line)
        assert DEMO_CONSUMER_KEY in banner
        assert "20 products" in banner
        response = httpx2.get(
            f"{url}/wp-json/wc/v3/products",
            auth=(DEMO_CONSUMER_KEY, _secret_from(banner)),
            verify=trusting(ca),
        )
        assert response.status_code == 200
        assert response.headers["X-WP-Total"] == "20"
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
        output.until("sandbox stopped")
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0
    assert not Path(ca).exists(), "the generated certificate is removed on exit"


def _secret_from(banner: str) -> str:
    return next(line.split()[-1] for line in banner.splitlines() if "consumer secret" in line)
