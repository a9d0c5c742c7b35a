from __future__ import annotations

import logging
import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from goldsphere_pipelines.storage.credentials import (
    CredentialCipher,
    CredentialKeyError,
    CredentialsKeyMissingError,
    generate_key,
    load_cipher,
    local_key_path,
)
from goldsphere_pipelines_tests.storage.connector_factories import consumer_secret


def test_encrypt_then_decrypt_returns_the_plain_text_and_the_token_hides_it() -> None:
    cipher = CredentialCipher([generate_key()], source="test")
    secret = consumer_secret()

    token = cipher.encrypt(secret)

    assert secret not in token
    assert cipher.decrypt(token, connector_name="shop") == secret


def test_every_key_decrypts_but_only_the_first_encrypts() -> None:
    old, new = generate_key(), generate_key()
    token_from_old = CredentialCipher([old], source="test").encrypt("value")
    both = CredentialCipher([new, old], source="test")

    assert both.decrypt(token_from_old, connector_name="shop") == "value"
    fresh = both.encrypt("value")
    assert CredentialCipher([new], source="test").decrypt(fresh, connector_name="shop") == "value"
    with pytest.raises(CredentialKeyError):
        CredentialCipher([old], source="test").decrypt(fresh, connector_name="shop")


def test_rotate_makes_a_token_readable_with_the_first_key_alone() -> None:
    old, new = generate_key(), generate_key()
    token = CredentialCipher([old], source="test").encrypt("value")

    rotated = CredentialCipher([new, old], source="test").rotate(token, connector_name="shop")

    assert CredentialCipher([new], source="test").decrypt(rotated, connector_name="shop") == "value"


def test_a_wrong_key_gives_one_line_naming_the_connector_and_no_key() -> None:
    right, wrong = generate_key(), generate_key()
    token = CredentialCipher([right], source="test").encrypt(consumer_secret())

    with pytest.raises(CredentialKeyError) as caught:
        CredentialCipher([wrong], source="GOLDSPHERE_CREDENTIALS_KEY").decrypt(
            token, connector_name="shop-example-com"
        )

    message = str(caught.value)
    assert "\n" not in message
    assert "'shop-example-com'" in message
    assert "GOLDSPHERE_CREDENTIALS_KEY" in message
    assert right not in message
    assert wrong not in message


def test_repr_shows_no_key() -> None:
    key = generate_key()
    cipher = CredentialCipher([key, generate_key()], source="GOLDSPHERE_CREDENTIALS_KEY")

    assert key not in repr(cipher)
    assert "keys=2" in repr(cipher)


def test_generate_key_gives_a_usable_fernet_key() -> None:
    Fernet(generate_key().encode())


def test_keys_come_from_the_environment_comma_separated(monkeypatch: pytest.MonkeyPatch) -> None:
    old, new = generate_key(), generate_key()
    token = CredentialCipher([old], source="test").encrypt("value")
    monkeypatch.setenv("GOLDSPHERE_CREDENTIALS_KEY", f" {new} , {old} ")

    cipher = load_cipher()

    assert cipher.key_count == 2
    assert cipher.decrypt(token, connector_name="shop") == "value"
    assert not local_key_path().exists()


def test_a_malformed_key_in_the_environment_is_refused_without_echoing_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GOLDSPHERE_CREDENTIALS_KEY", f"{generate_key()},not-a-fernet-key")

    with pytest.raises(CredentialsKeyMissingError) as caught:
        load_cipher()

    assert "Key 2 of 2" in str(caught.value)
    assert "not-a-fernet-key" not in str(caught.value)


def test_a_real_database_without_a_key_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOLDSPHERE_DATABASE_URL", "postgresql://db.example.com/goldsphere")

    with pytest.raises(CredentialsKeyMissingError) as caught:
        load_cipher()

    assert "goldsphere credentials generate-key" in str(caught.value)
    assert not local_key_path().exists()


def test_the_embedded_default_creates_a_private_local_key_and_warns_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="goldsphere_pipelines.storage.credentials")

    first = load_cipher()
    token = first.encrypt("value")
    second = load_cipher()

    path: Path = local_key_path()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert second.decrypt(token, connector_name="shop") == "value"
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "local use only" in warnings[0].getMessage()
    assert path.read_text().strip() not in warnings[0].getMessage()
