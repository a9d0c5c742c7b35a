"""Encryption at rest for connector credentials (Fernet keys rotated through MultiFernet).

`GOLDSPHERE_CREDENTIALS_KEY` holds one or more comma-separated Fernet keys: the first
encrypts, every one decrypts, so an operator rotates by putting a new key first, running
`goldsphere credentials rotate-key`, then dropping the old keys. With the embedded database
and no key set, a local key file under `.goldsphere/` stands in, for local use only.
No key and no plain text ever reaches a log line, an exception message or a `repr()`.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from goldsphere_pipelines import settings
from goldsphere_pipelines.errors import GoldsphereError

logger = logging.getLogger(__name__)

LOCAL_KEY_FILENAME = "credentials.key"


class CredentialsKeyMissingError(GoldsphereError):
    """No usable credentials key is configured; the message says how to set one."""

    code = "credentials_key_missing"


class CredentialKeyError(GoldsphereError):
    """Stored credentials cannot be decrypted with the configured keys."""

    code = "credentials_key_wrong"


class CredentialCipher:
    """Encrypts and decrypts credential strings; the keys stay private to this object."""

    def __init__(self, keys: list[str], *, source: str) -> None:
        """`keys`: Fernet keys, the first encrypts; `source` says where they came from
        (shown in error messages, e.g. "GOLDSPHERE_CREDENTIALS_KEY")."""
        if not keys:
            raise CredentialsKeyMissingError(
                f"{source} holds no key; create one with `goldsphere credentials generate-key`."
            )
        fernets: list[Fernet] = []
        for position, key in enumerate(keys, start=1):
            try:
                fernets.append(Fernet(key.encode("ascii")))
            except (ValueError, UnicodeEncodeError) as exc:
                # The key itself is never repeated in the message.
                raise CredentialsKeyMissingError(
                    f"Key {position} of {len(keys)} in {source} is not a Fernet key; "
                    "create one with `goldsphere credentials generate-key`."
                ) from exc
        self._fernet = MultiFernet(fernets)
        self._key_count = len(fernets)
        self._source = source

    @property
    def source(self) -> str:
        """Where the keys came from, for messages (never the keys themselves)."""
        return self._source

    @property
    def key_count(self) -> int:
        return self._key_count

    def encrypt(self, plain: str) -> str:
        """A Fernet token for `plain`, made with the first key."""
        return self._fernet.encrypt(plain.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str, *, connector_name: str) -> str:
        """The plain text of `token`; `CredentialKeyError` naming the connector when no key fits."""
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError) as exc:
            raise self._wrong_key(connector_name) from exc

    def rotate(self, token: str, *, connector_name: str = "(unknown)") -> str:
        """`token` re-encrypted with the first key (decryptable by that key alone)."""
        try:
            return self._fernet.rotate(token.encode("ascii")).decode("ascii")
        except (InvalidToken, UnicodeError) as exc:
            raise self._wrong_key(connector_name) from exc

    @staticmethod
    def generate_key() -> str:
        """A new random Fernet key (url-safe base64, 44 characters)."""
        return Fernet.generate_key().decode("ascii")

    def _wrong_key(self, connector_name: str) -> CredentialKeyError:
        return CredentialKeyError(
            f"The credentials of connector '{connector_name}' cannot be decrypted with the keys "
            f"in {self._source}. Add the key they were encrypted with (comma-separated, after "
            "the current one), or store new ones with "
            f"`goldsphere connectors update {connector_name} --rotate-credentials`."
        )

    def __repr__(self) -> str:
        return f"CredentialCipher(keys={self._key_count}, source={self._source!r})"


def generate_key() -> str:
    """A new random Fernet key, as `goldsphere credentials generate-key` prints it."""
    return CredentialCipher.generate_key()


def load_cipher() -> CredentialCipher:
    """The cipher for this process's configuration.

    `GOLDSPHERE_CREDENTIALS_KEY` when set. Else, with the embedded database (no
    `GOLDSPHERE_DATABASE_URL`), the local key file `<GOLDSPHERE_HOME>/credentials.key`,
    created with mode 0600 on first use (with a warning that it is for local use only).
    Else `CredentialsKeyMissingError`: a real database needs a real key.
    """
    configured = os.environ.get(settings.CREDENTIALS_KEY_ENV, "").strip()
    if configured:
        keys = [key.strip() for key in configured.split(",") if key.strip()]
        return CredentialCipher(keys, source=settings.CREDENTIALS_KEY_ENV)
    if os.environ.get(settings.DATABASE_URL_ENV, "").strip():
        raise CredentialsKeyMissingError(
            f"{settings.CREDENTIALS_KEY_ENV} is not set. With {settings.DATABASE_URL_ENV} "
            "set, connector credentials need a key you keep safe: create one with "
            "`goldsphere credentials generate-key` and export it as "
            f"{settings.CREDENTIALS_KEY_ENV}."
        )
    path = local_key_path()
    return CredentialCipher([_read_or_create_local_key(path)], source=str(path))


def local_key_path() -> Path:
    return settings.goldsphere_home() / LOCAL_KEY_FILENAME


def _read_or_create_local_key(path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL: when two processes start at once, exactly one writes the key.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_local_key(path)
    key = CredentialCipher.generate_key()
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key + "\n")
    logger.warning(
        "Created the credentials key %s for the embedded database. It is for local use "
        "only: anyone who can read it can decrypt the stored credentials. For a real "
        "database set %s (see `goldsphere credentials generate-key`).",
        path,
        settings.CREDENTIALS_KEY_ENV,
    )
    return key


def _read_local_key(path: Path) -> str:
    key = path.read_text(encoding="ascii").strip()
    if not key:
        # Another process created the file and has not written the key yet.
        for _ in range(50):
            time.sleep(0.02)
            key = path.read_text(encoding="ascii").strip()
            if key:
                break
    return key
