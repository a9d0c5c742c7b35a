"""A real Chromium for the browser tests, and the admin API served over real HTTP for it.

Playwright drives Debian's `chromium` (its own browser download is not reachable from CI);
`make browser-deps` installs it. Without it the browser tests fail under CI (`CI` set) and
are skipped, saying why, elsewhere.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI

from goldsphere_pipelines_tests.admin_api.support import free_port

CHROMIUM_ENV = "GOLDSPHERE_CHROMIUM"
SCREENSHOTS_ENV = "GOLDSPHERE_SCREENSHOTS"
"""Where the journeys save their screenshots; `make screenshots` points it at docs/."""
CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def chromium_path() -> str | None:
    configured = os.environ.get(CHROMIUM_ENV, "").strip()
    if configured:
        return configured if Path(configured).exists() else None
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def no_browser(reason: str) -> None:
    """Fail under CI (the install step should have provided one), skip elsewhere."""
    message = f"{reason}; install it with `make browser-deps` (apt-get install chromium)"
    if os.environ.get("CI"):
        pytest.fail(f"CI has no usable browser: {message}", pytrace=False)
    pytest.skip(message)


def launch_args() -> list[str]:
    # Chromium refuses its sandbox to root (CI containers run as root).
    return ["--no-sandbox"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []


def screenshot_dir(tmp_path: Path) -> Path:
    configured = os.environ.get(SCREENSHOTS_ENV, "").strip()
    target = Path(configured) if configured else tmp_path / "screenshots"
    target.mkdir(parents=True, exist_ok=True)
    return target


@dataclass(frozen=True)
class LiveServer:
    url: str


@contextmanager
def serve_app(app: FastAPI) -> Iterator[LiveServer]:
    """`app` on a free loopback port, in a thread of this process, until the block ends."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, name="admin-api-for-browser", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the admin API did not start for the browser test")
        time.sleep(0.05)
    try:
        yield LiveServer(url=f"http://127.0.0.1:{port}")
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def har_responses(har_path: Path) -> list[str]:
    """Every response of a recorded HAR (status, headers, body), without the requests:
    what the browser was sent, which must never hold a secret."""
    har: dict[str, Any] = json.loads(har_path.read_text())
    texts = []
    for entry in har["log"]["entries"]:
        response = entry["response"]
        headers = "\n".join(f"{h['name']}: {h['value']}" for h in response.get("headers", []))
        body = response.get("content", {}).get("text", "")
        texts.append(f"{entry['request']['url']} {response['status']}\n{headers}\n\n{body}")
    return texts
