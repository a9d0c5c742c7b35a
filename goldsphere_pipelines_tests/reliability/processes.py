"""Syncs in processes of their own (`sync_child`), for tests that kill or race them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator

import pytest

REPOSITORY = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CHILD_MODULE = "goldsphere_pipelines_tests.reliability.sync_child"
CHILD_BATCH_SIZE = 25
"""The child's mapping_batch_size."""


class Child:
    """`sync_child` for one connector, with the test's environment (database URL and
    credentials key). Its stderr (Dagster's console log) goes to a file, never a pipe that
    could fill up and stall it."""

    def __init__(self, connector_name: str, *pause: str) -> None:
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - closed in close()
        self.process = subprocess.Popen(
            [sys.executable, "-m", CHILD_MODULE, connector_name, *pause],
            cwd=REPOSITORY,
            env=dict(os.environ),
            stdout=subprocess.DEVNULL,
            stderr=self._stderr,
        )

    @property
    def stderr(self) -> str:
        self._stderr.seek(0)
        return self._stderr.read().decode("utf-8", errors="replace")

    def wait_for(self, condition: Callable[[], bool], what: str, timeout_s: float = 90) -> None:
        deadline = time.monotonic() + timeout_s
        while not condition():
            if self.process.poll() is not None:
                raise AssertionError(f"the sync ended before {what}:\n{self.stderr[-3000:]}")
            if time.monotonic() > deadline:
                self.kill()
                raise AssertionError(f"timed out waiting for {what}")
            time.sleep(0.01)

    def wait(self, timeout_s: float = 120) -> int:
        return self.process.wait(timeout=timeout_s)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def close(self) -> None:
        self.kill()
        self._stderr.close()


@pytest.fixture
def children() -> Iterator[list[Child]]:
    """Children a test starts; any still running at the end are killed."""
    started: list[Child] = []
    yield started
    for child in started:
        child.close()
