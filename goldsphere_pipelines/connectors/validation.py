"""Rules for what an admin may configure: store URL, name, keys, auth mode, CA bundle.

Every check raises `ConnectorValidationError` with one sentence saying what is wrong and
what to do; no message repeats a consumer key or secret. The base-URL rules also guard
the server running the sync: a URL may not point at link-local or cloud metadata
addresses, nor at private networks unless the operator opts in with
`GOLDSPHERE_ALLOW_PRIVATE_STORE_URLS=1`. Loopback is always allowed (the sandbox).
"""

from __future__ import annotations

import ipaddress
import os
import re
import socket
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

from cryptography import x509

from goldsphere_pipelines.errors import GoldsphereError
from goldsphere_pipelines.woocommerce.credentials import AuthMode

ALLOW_PRIVATE_STORE_URLS_ENV = "GOLDSPHERE_ALLOW_PRIVATE_STORE_URLS"
API_ROOT = "/wp-json/wc/v3"
MAX_CA_BUNDLE_BYTES = 1_000_000

NAME_PATTERN = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
"""The same rule as the external_connector_name_slug CHECK constraint."""
NAME_MAX_LENGTH = 63
CONSUMER_KEY_PATTERN = re.compile(r"^ck_[0-9a-f]{40}$")
CONSUMER_SECRET_PATTERN = re.compile(r"^cs_[0-9a-f]{40}$")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
HostResolver = Callable[[str, int], Sequence[IPAddress]]
"""Resolves a host name and port to addresses; an empty result means "does not resolve"."""

_LINK_LOCAL_V4 = ipaddress.ip_network("169.254.0.0/16")
_CLOUD_METADATA_V6 = ipaddress.ip_address("fd00:ec2::254")
_LOOPBACK_NAMES = ("localhost", "localhost.localdomain")


class ConnectorValidationError(GoldsphereError):
    """An admin's input was refused; the message says what to change."""

    code = "invalid_connector_input"
    field: str | None = None
    """The input it is about (`base_url`, `consumer_key`, ...), for forms that show the
    message beside that field; None when it is about several."""


@contextmanager
def about_field(name: str) -> Iterator[None]:
    """Tag a `ConnectorValidationError` raised inside with the input field `name`."""
    try:
        yield
    except ConnectorValidationError as exc:
        if exc.field is None:
            exc.field = name
        raise


@dataclass(frozen=True)
class StoreUrl:
    """A normalized store base URL: scheme, lowercase host, port only when not the default."""

    url: str
    scheme: str
    host: str
    port: int
    explicit_port: bool

    @property
    def is_https(self) -> bool:
        return self.scheme == "https"

    @property
    def is_loopback(self) -> bool:
        return is_loopback_host(self.host)


def system_resolver(host: str, port: int) -> list[IPAddress]:
    """The addresses the operating system resolves `host` to; empty when it does not resolve."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return []
    addresses: list[IPAddress] = []
    for info in infos:
        # The scope of an IPv6 link-local address ("fe80::1%eth0") is not part of it.
        raw = str(info[4][0]).split("%", 1)[0]
        addresses.append(ipaddress.ip_address(raw))
    return addresses


def is_loopback_host(host: str) -> bool:
    """True for `localhost` and loopback IP literals. DNS is not trusted for this."""
    if host in _LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    literal = _ip_literal(host)
    return literal is not None and _unmapped(literal).is_loopback


def parse_store_url(raw: str) -> StoreUrl:
    """Check and normalize a base URL as typed or pasted by an admin (no DNS lookup).

    https only, plain http only for loopback hosts; no user info, query or fragment;
    host lowercased, default port, trailing slash and a pasted `/wp-json/wc/v3` dropped.
    """
    text = raw.strip()
    if not text:
        raise ConnectorValidationError(
            "The base URL is empty; give the store's address, e.g. https://shop.example.com."
        )
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in text):
        raise ConnectorValidationError(
            "The base URL contains spaces or control characters; give it as "
            "https://shop.example.com."
        )
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise ConnectorValidationError(
            "The base URL is not a valid URL (check the host and port); "
            "give it as https://shop.example.com."
        ) from None
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http") or not parts.netloc:
        raise ConnectorValidationError(
            "The base URL must start with https:// (plain http:// only for a store on this "
            "machine), e.g. https://shop.example.com."
        )
    if "@" in parts.netloc:
        raise ConnectorValidationError(
            "The base URL must not contain a user name or password; give the consumer key "
            "and secret separately (environment variables or the prompt)."
        )
    if "?" in text or "#" in text:
        raise ConnectorValidationError(
            "The base URL must not contain a query (?...) or fragment (#...); give only the "
            "store's address, e.g. https://shop.example.com."
        )
    host = (parts.hostname or "").rstrip(".").lower()
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            host = ""
    if not host or not _valid_host(host):
        raise ConnectorValidationError(
            "The base URL has no valid host name; give it as https://shop.example.com."
        )
    if scheme == "http" and not is_loopback_host(host):
        raise ConnectorValidationError(
            f"The base URL must use https:// for {host}: plain http:// would send the "
            "credentials unencrypted and is allowed only for stores on this machine "
            "(localhost, 127.0.0.1)."
        )
    default_port = 443 if scheme == "https" else 80
    effective_port = port if port is not None else default_port
    explicit_port = effective_port != default_port
    netloc = f"[{host}]" if ":" in host else host
    if explicit_port:
        netloc = f"{netloc}:{effective_port}"
    path = _store_path(parts.path)
    return StoreUrl(
        url=f"{scheme}://{netloc}{path}",
        scheme=scheme,
        host=host,
        port=effective_port,
        explicit_port=explicit_port,
    )


def check_store_address(host: str, port: int, *, resolver: HostResolver = system_resolver) -> None:
    """Refuse a host resolving to link-local, cloud metadata or (unless allowed) private
    addresses. A host that does not resolve (yet) passes: the check is repeated by
    whoever connects. Loopback is always allowed."""
    literal = _ip_literal(host)
    addresses: Sequence[IPAddress] = [literal] if literal is not None else resolver(host, port)
    allow_private = os.environ.get(ALLOW_PRIVATE_STORE_URLS_ENV, "").strip() == "1"
    for address in addresses:
        problem = address_problem(address, allow_private=allow_private)
        if problem is not None:
            raise ConnectorValidationError(
                f"The store host {host} resolves to {address}, {problem}."
            )


def address_problem(address: IPAddress, *, allow_private: bool) -> str | None:
    """Why the connector may not connect to `address`, or None when it may."""
    plain = _unmapped(address)
    if plain.is_loopback:
        return None
    if plain in _LINK_LOCAL_V4 or plain == _CLOUD_METADATA_V6 or plain.is_link_local:
        return (
            "a link-local or cloud metadata address, which a store URL may never point at; "
            "give the store's public address"
        )
    if plain.is_unspecified or plain.is_multicast or plain.is_reserved:
        return "an address no store can have; give the store's public address"
    if not plain.is_global and not allow_private:
        return (
            "a private network address; if the store really is on your private network, "
            f"set {ALLOW_PRIVATE_STORE_URLS_ENV}=1 where goldsphere runs"
        )
    return None


def validate_store_url(raw: str, *, resolver: HostResolver = system_resolver) -> StoreUrl:
    """`parse_store_url` followed by `check_store_address`."""
    store_url = parse_store_url(raw)
    check_store_address(store_url.host, store_url.port, resolver=resolver)
    return store_url


def validate_name(name: str) -> str:
    """A connector name as given (after trimming), if it is a valid slug."""
    candidate = name.strip()
    if not NAME_PATTERN.fullmatch(candidate):
        raise ConnectorValidationError(
            f"The connector name {candidate[:80]!r} is not a valid name: use 1 to 63 lowercase "
            "letters, digits and hyphens, not starting or ending with a hyphen "
            "(e.g. shop-example-com)."
        )
    return candidate


def default_name(store_url: StoreUrl) -> str:
    """A slug of the store's host, e.g. shop-example-com; with the port when one is given
    (127-0-0-1-8099), so two sandboxes on one machine get different names."""
    slug = _slug(store_url.host)
    if store_url.explicit_port:
        suffix = f"-{store_url.port}"
        slug = slug[: NAME_MAX_LENGTH - len(suffix)].rstrip("-") + suffix
    slug = slug[:NAME_MAX_LENGTH].rstrip("-")
    return slug or "store"


def validate_consumer_key(value: str) -> str:
    """The key, trimmed, if it has WooCommerce's shape (ck_ + 40 hex characters)."""
    key = value.strip()
    if CONSUMER_KEY_PATTERN.fullmatch(key):
        return key
    hint = " (this looks like the consumer secret)" if key.startswith("cs_") else ""
    raise ConnectorValidationError(
        f"The consumer key is not a WooCommerce consumer key{hint}: it must be ck_ followed "
        "by 40 hex characters. Copy it again from WooCommerce → Settings → Advanced → REST API."
    )


def validate_consumer_secret(value: str) -> str:
    """The secret, trimmed, if it has WooCommerce's shape (cs_ + 40 hex characters)."""
    secret = value.strip()
    if CONSUMER_SECRET_PATTERN.fullmatch(secret):
        return secret
    hint = " (this looks like the consumer key)" if secret.startswith("ck_") else ""
    raise ConnectorValidationError(
        f"The consumer secret is not a WooCommerce consumer secret{hint}: it must be cs_ "
        "followed by 40 hex characters. Copy it again from WooCommerce → Settings → "
        "Advanced → REST API."
    )


def choose_auth_mode(store_url: StoreUrl, requested: AuthMode | None) -> AuthMode:
    """The auth mode to store: the requested one, else basic for https, oauth1 for http.

    Over plain http (loopback only) basic and query send the key unencrypted, so they
    are used only when asked for explicitly (a store behind a TLS-terminating proxy).
    """
    if requested is not None:
        return requested
    return AuthMode.BASIC if store_url.is_https else AuthMode.OAUTH1


def validate_ca_bundle(pem: str, store_url: StoreUrl) -> str:
    """The PEM text if it holds at least one certificate and the store uses https."""
    if not store_url.is_https:
        raise ConnectorValidationError(
            "A CA bundle applies only to https:// stores; drop the CA bundle or use https://."
        )
    if len(pem.encode("utf-8", errors="replace")) > MAX_CA_BUNDLE_BYTES:
        raise ConnectorValidationError(
            "The CA bundle is larger than 1 MB; give only the certificates the store needs."
        )
    try:
        certificates = x509.load_pem_x509_certificates(pem.encode("utf-8"))
    except ValueError:
        certificates = []
    if not certificates:
        raise ConnectorValidationError(
            "The CA bundle holds no PEM certificate (-----BEGIN CERTIFICATE-----); give the "
            "PEM file of the certificate authority that signed the store's certificate."
        )
    return pem


def _store_path(path: str) -> str:
    path = path.rstrip("/")
    # Admins often paste the API root itself (or part of it) from the WooCommerce docs.
    for suffix in (API_ROOT, "/wp-json/wc", "/wp-json"):
        if path.lower().endswith(suffix):
            path = path[: -len(suffix)].rstrip("/")
            break
    return path


def _valid_host(host: str) -> bool:
    if _ip_literal(host) is not None:
        return True
    labels = host.split(".")
    return len(host) <= 253 and all(
        re.fullmatch(r"[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?", label) for label in labels
    )


def _ip_literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _unmapped(address: IPAddress) -> IPAddress:
    # ::ffff:169.254.169.254 reaches the same host as 169.254.169.254.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _slug(text: str) -> str:
    return re.sub(r"-{2,}", "-", re.sub(r"[^a-z0-9]", "-", text.lower())).strip("-")
