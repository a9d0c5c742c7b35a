"""A real Dagster webserver on loopback, loading the project's workspace.yaml, for tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import httpx2

import goldsphere_pipelines
from goldsphere_pipelines_tests.admin_api.support import free_port

PROJECT_ROOT = Path(goldsphere_pipelines.__file__).resolve().parent.parent
STARTUP_DEADLINE_SECONDS = 120

# Runs start at once (no daemon needed to dequeue them); telemetry stays on this machine.
INSTANCE_YAML = """\
run_coordinator:
  module: dagster._core.run_coordinator
  class: DefaultRunCoordinator
telemetry:
  enabled: false
"""

_LOCATIONS_QUERY = """
{ workspaceOrError { __typename ... on Workspace { locationEntries {
    name locationOrLoadError { __typename } } } } }
"""


@dataclass(frozen=True)
class RunningDagster:
    url: str
    home: Path
    log_path: Path

    def graphql(self, query: str, variables: dict[str, object] | None = None) -> dict[str, object]:
        response = httpx2.post(
            f"{self.url}/graphql", json={"query": query, "variables": variables or {}}, timeout=30
        )
        response.raise_for_status()
        body = response.json()
        assert "errors" not in body, body
        data: dict[str, object] = body["data"]
        return data


@contextmanager
def dagster_webserver(workdir: Path, env: dict[str, str]) -> Iterator[RunningDagster]:
    """Start `dagster-webserver -w workspace.yaml` with DAGSTER_HOME under `workdir` and
    `env` added to this process's environment; stop it and its children afterwards."""
    home = workdir / "dagster-home"
    home.mkdir(parents=True)
    (home / "dagster.yaml").write_text(INSTANCE_YAML)
    log_path = workdir / "dagster-webserver.log"
    port = free_port()
    executable = Path(sys.executable).parent / "dagster-webserver"
    command = [
        str(executable),
        "-h",
        "127.0.0.1",
        "-p",
        str(port),
        "-w",
        str(PROJECT_ROOT / "workspace.yaml"),
    ]
    full_env = {
        key: value for key, value in os.environ.items() if not key.startswith("GOLDSPHERE_")
    }
    full_env.update(env)
    full_env["DAGSTER_HOME"] = str(home)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            env=full_env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    running = RunningDagster(url=f"http://127.0.0.1:{port}", home=home, log_path=log_path)
    try:
        _wait_until_loaded(running, process)
        yield running
    finally:
        _stop(process)


def _wait_until_loaded(running: RunningDagster, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_DEADLINE_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"dagster-webserver exited ({process.returncode}):\n"
                + running.log_path.read_text(errors="replace")[-4000:]
            )
        try:
            if httpx2.get(f"{running.url}/server_info", timeout=2).status_code == 200:
                data = running.graphql(_LOCATIONS_QUERY)
                entries = data["workspaceOrError"]["locationEntries"]  # type: ignore[index]
                kinds = [entry["locationOrLoadError"]["__typename"] for entry in entries]
                if "PythonError" in kinds:
                    raise RuntimeError(f"the code location failed to load: {entries}")
                if kinds == ["RepositoryLocation"]:
                    return
        except httpx2.TransportError:
            pass
        time.sleep(0.5)
    raise RuntimeError("dagster-webserver did not load the workspace in time")


def _stop(process: subprocess.Popen[bytes]) -> None:
    # The webserver's code server and run processes share its session's process group.
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    with suppress(subprocess.TimeoutExpired):
        process.wait(timeout=20)
    # Whatever of the group outlived the webserver (a run still going) goes too.
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
