"""Signing in to the Connectivity page: goldsphere's e-mail and password, bcrypt-checked.

The goldsphere server stores `users.passwordhash` as bcrypt (`$2a$`/`$2b$`), so the same
password signs in here. A successful sign-in gets the token the API accepts (HS256,
claims `id`, `email`, `role`); every refusal of an e-mail or password reads the same, so
the page never tells which of the two was wrong, and failures are rate-limited.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field

import bcrypt
import jwt
from pydantic import SecretStr
from sqlalchemy.engine import Engine

from goldsphere_pipelines.admin_api.auth import ALGORITHMS
from goldsphere_pipelines.errors import GoldsphereError
from goldsphere_pipelines.storage.users import GoldsphereUser, find_user_by_email

SESSION_SECONDS = 8 * 3600
"""How long a page session lasts; the token's `exp`."""
MAX_FAILURES = 5
"""Failed sign-ins allowed per e-mail, and per client address x 4, in `WINDOW_SECONDS`."""
WINDOW_SECONDS = 15 * 60
MAX_PASSWORD_BYTES = 72
"""bcrypt reads no further; longer passwords are compared on their first 72 bytes, as
the goldsphere server's bcrypt does."""

WRONG_CREDENTIALS = "The e-mail address or password is not right. Check both and try again."

# Checked when the e-mail is unknown, so an unknown address costs as long as a wrong password.
_DUMMY_HASH = bcrypt.hashpw(b"no such user", bcrypt.gensalt(rounds=10))


class SignInRefusedError(GoldsphereError):
    code = "sign_in_refused"


class SignInThrottledError(GoldsphereError):
    code = "sign_in_throttled"


class NotAnAdminError(GoldsphereError):
    code = "forbidden"


@dataclass
class SignInThrottle:
    """Failed attempts per e-mail and per client address, in a sliding window (in memory:
    one admin API process; a restart forgets them)."""

    max_failures: int = MAX_FAILURES
    window_seconds: float = WINDOW_SECONDS
    _failures: dict[str, deque[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def check(self, email: str, client: str) -> None:
        now = time.monotonic()
        with self._lock:
            waits = [
                self._wait(f"email:{email.lower()}", self.max_failures, now),
                self._wait(f"client:{client}", self.max_failures * 4, now),
            ]
        wait = max(waits)
        if wait > 0:
            minutes = max(1, round(wait / 60))
            raise SignInThrottledError(
                f"Too many failed sign-ins. Wait {minutes} minute{'s' if minutes > 1 else ''} "
                "and try again."
            )

    def record_failure(self, email: str, client: str) -> None:
        now = time.monotonic()
        with self._lock:
            for key in (f"email:{email.lower()}", f"client:{client}"):
                self._failures.setdefault(key, deque()).append(now)

    def _wait(self, key: str, limit: int, now: float) -> float:
        attempts = self._failures.get(key)
        if not attempts:
            return 0.0
        while attempts and attempts[0] <= now - self.window_seconds:
            attempts.popleft()
        if not attempts:
            del self._failures[key]
            return 0.0
        if len(attempts) < limit:
            return 0.0
        return attempts[0] + self.window_seconds - now


def password_matches(password: str, password_hash: str) -> bool:
    """bcrypt's check; a hash that is not bcrypt (or is damaged) never matches."""
    try:
        return bcrypt.checkpw(
            password.encode("utf-8")[:MAX_PASSWORD_BYTES], password_hash.encode("utf-8")
        )
    except ValueError:
        return False


def sign_in(
    engine: Engine, throttle: SignInThrottle, email: str, password: str, client: str
) -> GoldsphereUser:
    """The active admin these credentials prove; a refusal otherwise, rate-limited."""
    email = email.strip()
    throttle.check(email, client)
    found = find_user_by_email(engine, email) if email else None
    if found is None:
        password_matches(password, _DUMMY_HASH.decode())
        throttle.record_failure(email, client)
        raise SignInRefusedError(WRONG_CREDENTIALS)
    if not password_matches(password, found.password_hash):
        throttle.record_failure(email, client)
        raise SignInRefusedError(WRONG_CREDENTIALS)
    if not found.user.is_active_admin:
        raise NotAnAdminError(
            "This account may not manage connectors: only active goldsphere admins may. "
            "Sign in with an admin account."
        )
    return found.user


def issue_token(user: GoldsphereUser, secret: SecretStr, *, now: float | None = None) -> str:
    """The token the admin API accepts, as the goldsphere server issues it."""
    issued = int(now if now is not None else time.time())
    claims = {
        "id": str(user.id),
        "email": user.email,
        "role": user.role,
        "iat": issued,
        "exp": issued + SESSION_SECONDS,
    }
    return jwt.encode(claims, secret.get_secret_value(), algorithm=ALGORITHMS[0])
