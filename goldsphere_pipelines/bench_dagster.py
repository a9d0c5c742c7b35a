"""A scratch Dagster instance made from the production dagster.yaml, with its webserver
and daemon running as the README's Production section runs them (the fleet benchmark's)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg
import httpx2
import yaml

import goldsphere_pipelines
from goldsphere_pipelines.admin_api.dagster_launcher import CODE_LOCATION_NAME
from goldsphere_pipelines.errors import GoldsphereError

PROJECT_ROOT = Path(goldsphere_pipelines.__file__).resolve().parent.parent
PRODUCTION_INSTANCE_YAML = PROJECT_ROOT / "dagster.yaml"
DAGSTER_PG_URL_ENV = "GOLDSPHERE_BENCH_DAGSTER_PG_URL"
"""The scratch instance's storage URL: dagster.yaml names the variable, never the URL."""
STARTUP_DEADLINE_SECONDS = 300


def instance_yaml(max_runs: int, dequeue_interval_seconds: int | None = None) -> str:
    """The production dagster.yaml with the fleet's global limit and its scratch storage."""
    if not PRODUCTION_INSTANCE_YAML.is_file():
        raise GoldsphereError(
            f"The fleet benchmark builds its Dagster instance from the repository's "
            f"dagster.yaml, which is not at {PRODUCTION_INSTANCE_YAML}: run it from a "
            "checkout of the repository (pip install -e .)."
        )
    config: dict[str, Any] = yaml.safe_load(PRODUCTION_INSTANCE_YAML.read_text(encoding="utf-8"))
    config["storage"] = {"postgres": {"postgres_url": {"env": DAGSTER_PG_URL_ENV}}}
    coordinator = config["run_coordinator"]["config"]
    coordinator["max_concurrent_runs"] = max_runs
    if dequeue_interval_seconds is not None:
        coordinator["dequeue_interval_seconds"] = dequeue_interval_seconds
    return str(yaml.safe_dump(config, sort_keys=False))


WORKSPACE_YAML = f"""load_from:
  - python_module:
      module_name: goldsphere_pipelines.definitions
      location_name: {CODE_LOCATION_NAME}
"""


@dataclass
class DagsterServices:
    """A scratch instance with its webserver and daemon running."""

    home: Path
    url: str
    instance: dg.DagsterInstance
    logs: list[Path]
    pids: dict[str, int]
    """The webserver's and the daemon's; their code servers and runs are their children."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def _service(command: list[str], env: dict[str, str], log_path: Path) -> Iterator[Any]:
    """A Dagster service in its own session; it, its code server and its runs are stopped
    together (SIGTERM to the group, SIGKILL for what outlives it)."""
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - Dagster's own executables, no shell
            command,
            cwd=log_path.parent,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield process
    finally:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        with suppress(subprocess.TimeoutExpired):
            process.wait(timeout=20)
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def _wait_until(
    ready: Callable[[], bool], processes: Sequence[Any], logs: Sequence[Path], what: str
) -> None:
    deadline = time.monotonic() + STARTUP_DEADLINE_SECONDS
    while time.monotonic() < deadline:
        for process, log in zip(processes, logs, strict=True):
            if process.poll() is not None:
                tail = log.read_text(errors="replace")[-4000:]
                raise RuntimeError(f"{log.stem} exited ({process.returncode}):\n{tail}")
        if ready():
            return
        time.sleep(0.5)
    raise RuntimeError(f"{what} did not come up in {STARTUP_DEADLINE_SECONDS} s")


def _webserver_loaded(url: str) -> bool:
    query = "{ workspaceOrError { ... on Workspace { locationEntries { locationOrLoadError { __typename } } } } }"  # noqa: E501
    try:
        response = httpx2.post(f"{url}/graphql", json={"query": query}, timeout=5)
        entries = response.json()["data"]["workspaceOrError"]["locationEntries"]
    except (httpx2.HTTPError, ValueError, KeyError, TypeError):
        return False
    kinds = [entry["locationOrLoadError"]["__typename"] for entry in entries]
    if "PythonError" in kinds:
        raise RuntimeError("the code location failed to load in dagster-webserver")
    return kinds == ["RepositoryLocation"]


@contextmanager
def dagster_services(
    workdir: Path, instance_yaml_text: str, env: dict[str, str]
) -> Iterator[DagsterServices]:
    """Scratch DAGSTER_HOME under `workdir`, then `dagster-webserver` and `dagster-daemon`
    on it as the README's Production section runs them, until the block ends."""
    home = workdir / "dagster-home"
    home.mkdir()
    (home / "dagster.yaml").write_text(instance_yaml_text, encoding="utf-8")
    workspace = workdir / "workspace.yaml"
    workspace.write_text(WORKSPACE_YAML, encoding="utf-8")
    service_env = {k: v for k, v in os.environ.items() if not k.startswith("DAGSTER_")}
    service_env.update(env, DAGSTER_HOME=str(home))
    bin_dir = Path(sys.executable).parent
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    logs = [workdir / "dagster-webserver.log", workdir / "dagster-daemon.log"]
    commands = [
        [str(bin_dir / "dagster-webserver"), "-h", "127.0.0.1", "-p", str(port)],
        [str(bin_dir / "dagster-daemon"), "run"],
    ]
    with ExitStack() as stack:
        processes = [
            stack.enter_context(_service([*c, "-w", str(workspace)], service_env, log))
            for c, log in zip(commands, logs, strict=True)
        ]
        instance = dg.DagsterInstance.from_config(str(home))
        stack.callback(instance.dispose)
        _wait_until(lambda: _webserver_loaded(url), processes, logs, "dagster-webserver")
        _wait_until(
            lambda: "QUEUED_RUN_COORDINATOR" in instance.get_daemon_heartbeats(),
            processes,
            logs,
            "dagster-daemon",
        )
        pids = {"webserver": processes[0].pid, "daemon": processes[1].pid}
        yield DagsterServices(home=home, url=url, instance=instance, logs=logs, pids=pids)
