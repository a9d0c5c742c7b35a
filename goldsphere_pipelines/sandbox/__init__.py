"""A WooCommerce store look-alike: deterministic bullion-shop data, real auth, faults.

Stands apart: imports nothing from the rest of goldsphere_pipelines. Used by the demo,
the tests and the benchmarks (see /work/notes/readme-sandbox.md for flags and knobs).

    with run_sandbox(SandboxConfig(products=50, orders=300)) as sandbox:
        sandbox.base_url, sandbox.consumer_key, sandbox.consumer_secret
        sandbox.store.modify_order(sandbox.store.order_ids()[0])
"""

from goldsphere_pipelines.sandbox.app import create_app
from goldsphere_pipelines.sandbox.catalogue import REMOVED
from goldsphere_pipelines.sandbox.config import (
    DEMO_CONSUMER_KEY,
    DEMO_CONSUMER_SECRET,
    FaultKnobs,
    SandboxConfig,
)
from goldsphere_pipelines.sandbox.faults import SandboxStats
from goldsphere_pipelines.sandbox.server import (
    RunningSandbox,
    SandboxProcess,
    run_sandbox,
    run_sandbox_process,
    serve_forever,
)
from goldsphere_pipelines.sandbox.store import SandboxStore
from goldsphere_pipelines.sandbox.tls import TlsFiles, generate_tls_files
from goldsphere_pipelines.sandbox.woocommerce_api import ConnectionDropped

__all__ = [
    "DEMO_CONSUMER_KEY",
    "DEMO_CONSUMER_SECRET",
    "REMOVED",
    "ConnectionDropped",
    "FaultKnobs",
    "RunningSandbox",
    "SandboxConfig",
    "SandboxProcess",
    "SandboxStats",
    "SandboxStore",
    "TlsFiles",
    "create_app",
    "generate_tls_files",
    "run_sandbox",
    "run_sandbox_process",
    "serve_forever",
]
