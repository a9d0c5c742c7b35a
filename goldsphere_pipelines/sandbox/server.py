"""Running the sandbox: in a background thread, in a separate process, or in the foreground.

All three bind a loopback socket first (port 0 picks a free one), so the URL is known
before the first request and nothing races for the port.
"""

from __future__ import annotations

import json
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2
import uvicorn

from goldsphere_pipelines.sandbox.app import create_app
from goldsphere_pipelines.sandbox.config import SandboxConfig
from goldsphere_pipelines.sandbox.faults import SandboxStats
from goldsphere_pipelines.sandbox.store import SandboxStore
from goldsphere_pipelines.sandbox.tls import TlsFiles, generate_tls_files, trusting
from goldsphere_pipelines.sandbox.woocommerce_api import TRANSPORT_KEY

try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    class _DroppableHttpToolsProtocol(HttpToolsProtocol):
        """Uvicorn's protocol, handing each request its connection so a fault can reset it."""

        def on_message_begin(self) -> None:
            super().on_message_begin()
            extensions: dict[str, Any] = {TRANSPORT_KEY: self.transport}
            self.scope["extensions"] = extensions

    HTTP_PROTOCOL: Any = _DroppableHttpToolsProtocol
except ImportError:  # pragma: no cover - httptools ships with uvicorn[standard]
    HTTP_PROTOCOL = "h11"

LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class RunningSandbox:
    """A sandbox serving in this process; `store` may be changed directly."""

    base_url: str
    """The shop root, e.g. http://127.0.0.1:54321 (the API is under /wp-json/wc/v3)."""
    store: SandboxStore
    consumer_key: str = field(repr=False)
    consumer_secret: str = field(repr=False)
    ca_cert_path: Path | None = None
    """The PEM to trust when the sandbox serves HTTPS; None over HTTP."""

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/wp-json/wc/v3"

    def set_faults(self, **knobs: Any) -> None:
        self.store.set_faults(**knobs)


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    return sock


def _uvicorn_config(
    app: Any, tls_files: TlsFiles | None, *, own_logging: bool = True
) -> uvicorn.Config:
    """`own_logging=False` leaves the host process's logging configuration alone."""
    extra: dict[str, Any] = {} if own_logging else {"log_config": None}
    return uvicorn.Config(
        app,
        **extra,
        http=HTTP_PROTOCOL,
        lifespan="off",
        log_level="warning",
        access_log=False,  # uvicorn would log query strings, which may hold the consumer secret
        timeout_graceful_shutdown=1,
        timeout_keep_alive=30,
        ssl_certfile=str(tls_files.cert_path) if tls_files else None,
        ssl_keyfile=str(tls_files.key_path) if tls_files else None,
    )


@contextmanager
def _tls_setup(
    tls: bool, tls_cert: str | Path | None, tls_key: str | Path | None
) -> Iterator[TlsFiles | None]:
    if tls_cert is not None or tls_key is not None:
        if tls_cert is None or tls_key is None:
            raise ValueError("give both a certificate and its key, or neither")
        yield TlsFiles(Path(tls_cert), Path(tls_key), Path(tls_cert))
        return
    if not tls:
        yield None
        return
    directory = Path(tempfile.mkdtemp(prefix="goldsphere-sandbox-tls-"))
    try:
        yield generate_tls_files(directory)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _base_url(sock: socket.socket, host: str, tls_files: TlsFiles | None) -> str:
    port = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    return f"{'https' if tls_files else 'http'}://{shown}:{port}"


@contextmanager
def run_sandbox(
    config_or_store: SandboxConfig | SandboxStore | None = None,
    *,
    host: str = LOOPBACK,
    port: int = 0,
    tls: bool = False,
    tls_cert: str | Path | None = None,
    tls_key: str | Path | None = None,
    log_requests: bool = False,
) -> Iterator[RunningSandbox]:
    """Serve a sandbox store from a background thread until the block ends."""
    store = (
        config_or_store
        if isinstance(config_or_store, SandboxStore)
        else SandboxStore(config_or_store or SandboxConfig())
    )
    with _tls_setup(tls, tls_cert, tls_key) as tls_files:
        sock = _bind(host, port)
        app = create_app(store, log_requests=log_requests)
        server = uvicorn.Server(_uvicorn_config(app, tls_files, own_logging=False))
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="sandbox-server", daemon=True
        )
        thread.start()
        try:
            deadline = time.monotonic() + 15
            while not server.started:
                if not thread.is_alive() or time.monotonic() > deadline:
                    raise RuntimeError("the sandbox server did not start")
                time.sleep(0.005)
            base_url = _base_url(sock, host, tls_files)
            store.webhooks.source_url = base_url + "/"
            yield RunningSandbox(
                base_url=base_url,
                store=store,
                consumer_key=store.consumer_key,
                consumer_secret=store.consumer_secret,
                ca_cert_path=tls_files.ca_cert_path if tls_files else None,
            )
        finally:
            server.should_exit = True
            thread.join(timeout=10)
            sock.close()


def serve_forever(
    store: SandboxStore,
    *,
    host: str = LOOPBACK,
    port: int = 8099,
    tls: bool = False,
    tls_cert: str | Path | None = None,
    tls_key: str | Path | None = None,
    log_requests: bool = False,
    on_ready: Callable[[str, Path | None], None] | None = None,
) -> None:
    """Serve in the foreground until SIGINT or SIGTERM; `on_ready(base_url, ca_cert_path)`."""
    with _tls_setup(tls, tls_cert, tls_key) as tls_files:
        sock = _bind(host, port)
        try:
            base_url = _base_url(sock, host, tls_files)
            store.webhooks.source_url = base_url + "/"
            if on_ready is not None:
                on_ready(base_url, tls_files.ca_cert_path if tls_files else None)
            app = create_app(store, log_requests=log_requests)
            with _stop_on_sigterm():
                uvicorn.Server(_uvicorn_config(app, tls_files)).run(sockets=[sock])
        finally:
            sock.close()


class _Stopped(Exception):
    """SIGTERM arrived; uvicorn has already shut down gracefully."""


@contextmanager
def _stop_on_sigterm() -> Iterator[None]:
    """Return normally after SIGINT or SIGTERM (uvicorn re-raises them once it stopped)."""

    def stop(signum: int, frame: object) -> None:
        raise _Stopped

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    except (KeyboardInterrupt, _Stopped):
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)


@dataclass
class SandboxProcess:
    """A sandbox serving from its own process; steer it through the admin endpoint."""

    base_url: str
    consumer_key: str = field(repr=False)
    consumer_secret: str = field(repr=False)
    ca_cert_path: Path | None
    process: subprocess.Popen[str] = field(repr=False)
    # One client for every admin call: building an SSL context per call cost a benchmark
    # seconds for a thousand changes.
    _client: httpx2.Client | None = field(default=None, repr=False, init=False)

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/wp-json/wc/v3"

    @property
    def pid(self) -> int:
        return self.process.pid

    def _admin(self, method: str, path: str, body: Any = None) -> Any:
        if self._client is None:
            verify: Any = trusting(self.ca_cert_path) if self.ca_cert_path else True
            self._client = httpx2.Client(
                base_url=f"{self.base_url}/_sandbox", verify=verify, timeout=120
            )
        response = self._client.request(method, path, json=body)
        if response.status_code >= 400:
            raise ValueError(f"sandbox admin {path}: {response.json().get('error', response.text)}")
        return response.json()

    def set_faults(self, **knobs: Any) -> dict[str, Any]:
        result: dict[str, Any] = self._admin("POST", "/faults", knobs)
        return result

    def clear_faults(self) -> dict[str, Any]:
        result: dict[str, Any] = self._admin("POST", "/faults/clear")
        return result

    def stats(self) -> SandboxStats:
        return SandboxStats.model_validate(self._admin("GET", "/stats"))

    def reset_stats(self) -> None:
        self._admin("POST", "/stats/reset")

    def mutate(self, action: str, **arguments: Any) -> Any:
        """Call a `SandboxStore` change method in the server: `mutate("delete_order", id=5)`."""
        return self._admin("POST", "/mutate", {"action": action, **arguments})["result"]

    def ids(self, kind: str) -> list[int]:
        """`products`, `variations`, `variable_products` or `orders`, as the store lists them."""
        ids: list[int] = self._admin("GET", f"/ids/{kind}")["ids"]
        return ids

    def customer_emails(self) -> list[str]:
        emails: list[str] = self._admin("GET", "/customers")["emails"]
        return emails

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = self._admin("GET", "/counts")
        return counts

    def webhook_deliveries(self) -> list[dict[str, Any]]:
        """Every delivery the store made or dropped (see `sandbox.webhooks.SentDelivery`)."""
        sent: list[dict[str, Any]] = self._admin("GET", "/webhooks")["sent"]
        return sent

    def wait_for_webhooks(self, timeout: float = 30.0) -> bool:
        """Block until every queued delivery was answered; False on timeout."""
        return bool(self._admin("POST", "/webhooks/wait", {"timeout": timeout})["idle"])

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


def config_spec(config: SandboxConfig) -> dict[str, Any]:
    """`config` as JSON for a child process, keys included (they travel over its stdin)."""
    dumped = config.model_dump(mode="json")
    dumped["consumer_key"] = config.consumer_key.get_secret_value()
    dumped["consumer_secret"] = config.consumer_secret.get_secret_value()
    return dumped


@contextmanager
def child_process(
    module: str, spec: dict[str, Any], *, startup_timeout_s: float
) -> Iterator[tuple[subprocess.Popen[str], dict[str, Any]]]:
    """Start `python -m module`, send it `spec` on stdin, and yield it with the JSON line it
    announces itself with once it serves; SIGTERM (then SIGKILL) when the block ends."""
    process = subprocess.Popen(  # noqa: S603 - one of our own modules, no shell
        [sys.executable, "-m", module],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdin is not None
        assert process.stdout is not None
        process.stdin.write(json.dumps(spec))
        process.stdin.close()
        ready, _, _ = select.select([process.stdout], [], [], startup_timeout_s)
        line = process.stdout.readline() if ready else ""
        if not line:
            raise RuntimeError("the sandbox process did not start; see its output above")
        yield process, json.loads(line)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process.stdout is not None:
            process.stdout.close()


@contextmanager
def run_sandbox_process(
    config: SandboxConfig | None = None,
    *,
    host: str = LOOPBACK,
    port: int = 0,
    tls: bool = False,
    warm_up: bool = True,
    startup_timeout_s: float = 300,
) -> Iterator[SandboxProcess]:
    """Serve a sandbox store from a child process (its CPU and memory apart from yours).

    With `warm_up` the child renders every order before it announces itself (about
    0.15 ms per order), so that a benchmark's first sync is not slowed by the sandbox.
    The configuration (keys included) travels over the child's stdin, never its command
    line. The child stops on SIGTERM when the block ends.
    """
    config = config or SandboxConfig()
    spec = {
        "config": config_spec(config),
        "host": host,
        "port": port,
        "tls": tls,
        "warm_up": warm_up,
    }
    with child_process(
        "goldsphere_pipelines.sandbox", spec, startup_timeout_s=startup_timeout_s
    ) as (process, announced):
        ca = announced.get("ca_cert_path")
        sandbox = SandboxProcess(
            base_url=announced["base_url"],
            consumer_key=config.consumer_key.get_secret_value(),
            consumer_secret=config.consumer_secret.get_secret_value(),
            ca_cert_path=Path(ca) if ca else None,
            process=process,
        )
        try:
            yield sandbox
        finally:
            sandbox.close()


def process_main() -> None:
    """Entry point of the child process started by `run_sandbox_process`."""
    spec = json.loads(sys.stdin.read())
    store = SandboxStore(SandboxConfig.model_validate(spec["config"]))
    if spec.get("warm_up"):
        store.warm_up()

    def announce(base_url: str, ca_cert_path: Path | None) -> None:
        ca = str(ca_cert_path) if ca_cert_path else None
        sys.stdout.write(json.dumps({"base_url": base_url, "ca_cert_path": ca}) + "\n")
        sys.stdout.flush()

    serve_forever(store, host=spec["host"], port=spec["port"], tls=spec["tls"], on_ready=announce)
