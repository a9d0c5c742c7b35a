"""`goldsphere admin-api serve`: refuses to start without JWT_SECRET, serves on loopback."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx2
import pytest
from click.testing import CliRunner

from goldsphere_pipelines.cli import main
from goldsphere_pipelines_tests.admin_api.support import Ledger, SuiteSecrets, free_port


def test_serve_without_a_jwt_secret_says_which_setting_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("JWT_SECRET", raising=False)
    result = CliRunner().invoke(main, ["admin-api", "serve", "--port", "8090"])
    assert result.exit_code == 1
    assert "JWT_SECRET is not set" in result.stderr


def test_serve_answers_on_loopback(
    database_url: str, suite_secrets: SuiteSecrets, ledger: Ledger, tmp_path: Path
) -> None:
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("GOLDSPHERE_")}
    env |= {
        "JWT_SECRET": suite_secrets.jwt_secret,
        "GOLDSPHERE_DATABASE_URL": database_url,
        "GOLDSPHERE_CREDENTIALS_KEY": suite_secrets.credentials_key,
        "GOLDSPHERE_HOME": str(tmp_path),
    }
    command = [str(Path(sys.executable).parent / "goldsphere"), "admin-api", "serve"]
    process = subprocess.Popen(
        [*command, "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        schema = _wait_for_schema(f"http://127.0.0.1:{port}/admin/openapi.json", process)
        assert schema["info"]["title"] == "goldsphere admin API"
        unauthenticated = httpx2.get(f"http://127.0.0.1:{port}/admin/connectors", timeout=5)
        assert unauthenticated.status_code == 401
    finally:
        process.terminate()
        output = process.communicate(timeout=20)[0].decode(errors="replace")
    ledger.logs.append(output)
    assert f"admin API on http://127.0.0.1:{port}/admin" in output


def _wait_for_schema(url: str, process: subprocess.Popen[bytes]) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(process.communicate()[0].decode(errors="replace"))
        try:
            response = httpx2.get(url, timeout=2)
            if response.status_code == 200:
                schema: dict[str, Any] = response.json()
                return schema
        except httpx2.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError("the admin API did not start")
