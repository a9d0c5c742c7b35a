"""The rules for what an admin may configure, without a database."""

from __future__ import annotations

import datetime as dt
import ipaddress

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from goldsphere_pipelines.connectors.validation import (
    ConnectorValidationError,
    IPAddress,
    check_store_address,
    choose_auth_mode,
    default_name,
    parse_store_url,
    validate_ca_bundle,
    validate_consumer_key,
    validate_consumer_secret,
    validate_name,
    validate_store_url,
)
from goldsphere_pipelines.woocommerce.credentials import AuthMode
from goldsphere_pipelines_tests.storage.connector_factories import consumer_key, consumer_secret


def self_signed_pem() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test CA")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


def resolving_to(*addresses: str):  # type: ignore[no-untyped-def]
    def resolver(host: str, port: int) -> list[IPAddress]:
        return [ipaddress.ip_address(a) for a in addresses]

    return resolver


@pytest.mark.parametrize(
    ("typed", "normalized"),
    [
        ("https://shop.example.com", "https://shop.example.com"),
        ("  https://Shop.Example.COM/  ", "https://shop.example.com"),
        ("HTTPS://shop.example.com:443/", "https://shop.example.com"),
        ("https://shop.example.com/wp-json/wc/v3", "https://shop.example.com"),
        ("https://shop.example.com/wp-json/wc/v3/", "https://shop.example.com"),
        ("https://shop.example.com/store/wp-json/wc/v3", "https://shop.example.com/store"),
        ("https://shop.example.com/wp-json/", "https://shop.example.com"),
        ("https://shop.example.com:8443", "https://shop.example.com:8443"),
        ("http://127.0.0.1:8099/", "http://127.0.0.1:8099"),
        ("http://localhost:8099", "http://localhost:8099"),
        ("http://[::1]:8099", "http://[::1]:8099"),
        ("https://bücher.example", "https://xn--bcher-kva.example"),
    ],
)
def test_base_urls_are_normalized(typed: str, normalized: str) -> None:
    assert parse_store_url(typed).url == normalized


@pytest.mark.parametrize(
    ("typed", "complaint"),
    [
        ("http://shop.example.com", "must use https://"),
        ("http://10.0.0.5", "must use https://"),
        ("ftp://shop.example.com", "must start with https://"),
        ("shop.example.com", "must start with https://"),
        ("https://admin:hunter2@shop.example.com", "user name or password"),
        ("https://ck_abc@shop.example.com", "user name or password"),
        ("https://shop.example.com/?consumer_key=ck_x", "query"),
        ("https://shop.example.com/#top", "fragment"),
        ("https://shop.example.com:99999", "not a valid URL"),
        ("https://shop example.com", "spaces"),
        ("https://", "must start with https://"),
        ("https://exa$mple.com", "no valid host"),
        ("", "empty"),
    ],
)
def test_bad_base_urls_are_refused_with_one_line(typed: str, complaint: str) -> None:
    with pytest.raises(ConnectorValidationError) as caught:
        parse_store_url(typed)

    assert complaint in str(caught.value)
    assert "\n" not in str(caught.value)
    assert "hunter2" not in str(caught.value)


@pytest.mark.parametrize(
    "address",
    ["169.254.169.254", "169.254.0.1", "fd00:ec2::254", "::ffff:169.254.169.254", "fe80::1"],
)
def test_link_local_and_metadata_addresses_are_always_refused(
    monkeypatch: pytest.MonkeyPatch, address: str
) -> None:
    monkeypatch.setenv("GOLDSPHERE_ALLOW_PRIVATE_STORE_URLS", "1")

    with pytest.raises(ConnectorValidationError, match="link-local or cloud metadata"):
        check_store_address(address, 443)
    with pytest.raises(ConnectorValidationError, match="link-local or cloud metadata"):
        validate_store_url("https://metadata.internal", resolver=resolving_to(address))


@pytest.mark.parametrize(
    "address", ["10.1.2.3", "192.168.1.10", "172.16.0.1", "fd12::1", "100.64.0.1"]
)
def test_private_addresses_need_the_operator_s_opt_in(
    monkeypatch: pytest.MonkeyPatch, address: str
) -> None:
    monkeypatch.delenv("GOLDSPHERE_ALLOW_PRIVATE_STORE_URLS", raising=False)
    with pytest.raises(ConnectorValidationError, match="GOLDSPHERE_ALLOW_PRIVATE_STORE_URLS=1"):
        validate_store_url("https://shop.corp", resolver=resolving_to(address))

    monkeypatch.setenv("GOLDSPHERE_ALLOW_PRIVATE_STORE_URLS", "1")
    assert (
        validate_store_url("https://shop.corp", resolver=resolving_to(address)).host == "shop.corp"
    )


def test_any_refused_address_among_several_refuses_the_host() -> None:
    with pytest.raises(ConnectorValidationError):
        validate_store_url(
            "https://shop.example.com", resolver=resolving_to("93.184.216.34", "10.0.0.1")
        )


def test_public_loopback_and_unresolvable_hosts_pass() -> None:
    assert validate_store_url("https://shop.example.com", resolver=resolving_to("93.184.216.34"))
    assert validate_store_url("http://127.0.0.1:8099", resolver=resolving_to())
    assert validate_store_url("https://localhost:8443", resolver=resolving_to("127.0.0.1", "::1"))
    # No DNS answer: accepted here; whoever connects checks the address again.
    assert validate_store_url("https://not-yet-live.example", resolver=resolving_to())


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("https://shop.example.com", "shop-example-com"),
        ("https://Shop.Example.com/store", "shop-example-com"),
        ("http://127.0.0.1:8099", "127-0-0-1-8099"),
        ("http://localhost:8099", "localhost-8099"),
        ("https://shop.example.com:8443", "shop-example-com-8443"),
        ("https://" + "a" * 60 + ".example.com:8443", "a" * 58 + "-8443"),
    ],
)
def test_default_names_are_slugs_of_the_host(url: str, name: str) -> None:
    assert default_name(parse_store_url(url)) == name
    assert validate_name(name) == name


@pytest.mark.parametrize("name", ["Shop", "-shop", "shop-", "shop_1", "a" * 64, "", "shop.com"])
def test_names_must_be_slugs(name: str) -> None:
    with pytest.raises(ConnectorValidationError, match="not a valid name"):
        validate_name(name)


def test_keys_must_look_like_woocommerce_keys_and_are_never_echoed() -> None:
    key, secret = consumer_key(), consumer_secret()
    assert validate_consumer_key(f" {key}\n") == key
    assert validate_consumer_secret(secret) == secret

    for bad_key in ("ck_123", key.upper(), key + "0", "", secret):
        with pytest.raises(ConnectorValidationError) as caught:
            validate_consumer_key(bad_key)
        assert bad_key not in str(caught.value) or bad_key == ""
    with pytest.raises(ConnectorValidationError, match="looks like the consumer secret"):
        validate_consumer_key(secret)
    with pytest.raises(ConnectorValidationError, match="looks like the consumer key"):
        validate_consumer_secret(key)


def test_auth_defaults_to_basic_for_https_and_oauth1_for_plain_http() -> None:
    assert choose_auth_mode(parse_store_url("https://shop.example.com"), None) is AuthMode.BASIC
    assert choose_auth_mode(parse_store_url("http://127.0.0.1:8099"), None) is AuthMode.OAUTH1
    # Plain http behind a TLS-terminating proxy: basic only when asked for.
    assert (
        choose_auth_mode(parse_store_url("http://127.0.0.1:8099"), AuthMode.BASIC) is AuthMode.BASIC
    )


def test_a_ca_bundle_must_hold_a_certificate_and_serve_an_https_store() -> None:
    https_store = parse_store_url("https://shop.example.com")
    pem = self_signed_pem()

    assert validate_ca_bundle(pem, https_store) == pem
    with pytest.raises(ConnectorValidationError, match="no PEM certificate"):
        validate_ca_bundle("not a certificate", https_store)
    with pytest.raises(ConnectorValidationError, match="only to https://"):
        validate_ca_bundle(pem, parse_store_url("http://127.0.0.1:8099"))
