"""Test material for the admin API: secrets to hunt for, tokens, users, a recording client."""

from __future__ import annotations

import logging
import re
import secrets
import socket
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bcrypt
import httpx2
import jwt
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from goldsphere_pipelines.storage.credentials import generate_key

UI = "/admin/ui"
UI_PASSWORD = "correct horse battery staple"
"""The password of the admins the page tests sign in with (`insert_user(password=...)`)."""


@dataclass(frozen=True)
class SuiteSecrets:
    """Secrets used across the suite; none may ever come back in a response or a log."""

    consumer_key: str = field(default_factory=lambda: "ck_" + secrets.token_hex(20))
    consumer_secret: str = field(default_factory=lambda: "cs_" + secrets.token_hex(20))
    other_key: str = field(default_factory=lambda: "ck_" + secrets.token_hex(20))
    other_secret: str = field(default_factory=lambda: "cs_" + secrets.token_hex(20))
    jwt_secret: str = field(default_factory=lambda: secrets.token_urlsafe(48))
    credentials_key: str = field(default_factory=generate_key)

    def needles(self) -> dict[str, str]:
        """Each secret, and its 40 random hex characters alone (a redaction that kept
        the value but dropped the prefix would still leak)."""
        found: dict[str, str] = {}
        for name in ("consumer_key", "consumer_secret", "other_key", "other_secret"):
            value: str = getattr(self, name)
            found[name] = value
            found[f"{name} (hex)"] = value[3:]
        found["jwt_secret"] = self.jwt_secret
        found["credentials_key"] = self.credentials_key
        return found


class Ledger:
    """Everything the suite saw: response bodies and headers, log lines, files."""

    def __init__(self) -> None:
        self.responses: list[str] = []
        self.requests_with_secrets = 0
        self.logs: list[str] = []
        self.files: list[str] = []

    def leaks(self, suite_secrets: SuiteSecrets) -> list[str]:
        """`"<secret name> in <where>"` for each secret found anywhere."""
        places = {
            "responses": self.responses,
            "logs": self.logs,
            "files": self.files,
        }
        return [
            f"{name} in {where}"
            for name, needle in suite_secrets.needles().items()
            for where, texts in places.items()
            if any(needle in text for text in texts)
        ]


class LedgerHandler(logging.Handler):
    def __init__(self, ledger: Ledger) -> None:
        super().__init__(level=logging.DEBUG)
        self.ledger = ledger
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.ledger.logs.append(self.format(record))
        except Exception:  # a record that cannot format is the logging module's concern
            self.ledger.logs.append(repr(record.msg))


def recording_client(app: FastAPI, ledger: Ledger, suite_secrets: SuiteSecrets) -> TestClient:
    """A TestClient that writes every response (status line, headers, body) to `ledger`."""
    client = TestClient(app)
    needles = tuple(suite_secrets.needles().values())

    def on_request(request: httpx2.Request) -> None:
        body = request.read().decode("utf-8", errors="replace")
        if any(needle in body for needle in needles):
            ledger.requests_with_secrets += 1

    def on_response(response: httpx2.Response) -> None:
        response.read()
        headers = "\n".join(f"{k}: {v}" for k, v in response.headers.items())
        ledger.responses.append(f"{response.status_code}\n{headers}\n\n{response.text}")

    client.event_hooks = {"request": [on_request], "response": [on_response]}
    return client


def make_token(
    suite_secrets: SuiteSecrets,
    user_id: uuid.UUID | str,
    *,
    role: str = "admin",
    email: str = "admin@goldsphere.test",
    secret: str | None = None,
    algorithm: str = "HS256",
    expires_in: int = 3600,
    **claims: Any,
) -> str:
    now = int(time.time())
    payload = {
        "id": str(user_id),
        "email": email,
        "role": role,
        "iat": now,
        "exp": now + expires_in,
        **claims,
    }
    return jwt.encode(payload, secret or suite_secrets.jwt_secret, algorithm=algorithm)


def insert_user(
    engine: sa.Engine,
    *,
    email: str | None = None,
    role: str = "admin",
    account_status: str = "active",
    password: str | None = None,
) -> uuid.UUID:
    """A goldsphere user; with `password`, its bcrypt hash as the goldsphere server
    stores it (cost 4: the test needs the format, not the strength)."""
    password_hash = (
        bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=4)).decode()
        if password is not None
        else "not-a-real-hash"
    )
    with engine.begin() as conn:
        user_id = conn.execute(
            sa.text(
                "INSERT INTO users (email, username, passwordhash, role, account_status) "
                "VALUES (:email, :email, :hash, :role, :status) RETURNING id"
            ),
            {
                "email": email or f"{uuid.uuid4().hex[:8]}@goldsphere.test",
                "hash": password_hash,
                "role": role,
                "status": account_status,
            },
        ).scalar_one()
    return uuid.UUID(str(user_id))


def csrf_of(html: str) -> str:
    """The CSRF token a page of the Connectivity section puts in its forms."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


def sign_in(client: TestClient, email: str, password: str = UI_PASSWORD) -> Any:
    """Sign in on the Connectivity page over HTTP, as its form does (the 303, unfollowed)."""
    form = client.get(f"{UI}/sign-in")
    return client.post(
        f"{UI}/sign-in",
        data={"email": email, "password": password, "csrf_token": csrf_of(form.text)},
        follow_redirects=False,
    )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class RefusingPort:
    """A loopback port that refuses connections (bound, never listening)."""

    port: int
    sock: socket.socket

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def refusing_port() -> Iterator[RefusingPort]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    try:
        yield RefusingPort(sock.getsockname()[1], sock)
    finally:
        sock.close()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def text_of_files(root: Path) -> list[str]:
    """Every file under `root`, decoded leniently (SQLite databases included)."""
    return [
        path.read_bytes().decode("utf-8", errors="replace")
        for path in sorted(root.rglob("*"))
        if path.is_file()
    ]
