"""Test Connection: can this store be read with these settings, and what is it?"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict

from goldsphere_pipelines.woocommerce.errors import (
    InvalidResponseError,
    NotFoundError,
    PermissionDeniedError,
    WooCommerceError,
)
from goldsphere_pipelines.woocommerce.fetching import Fetched
from goldsphere_pipelines.woocommerce.parsing import parse_count_header

# `modified_after`/`modified_before` arrived in WooCommerce 5.8; older stores ignore them.
MODIFIED_FILTERS_SINCE = (5, 8)

GetJSON = Callable[[str, Mapping[str, str | int] | None], Fetched]


class ConnectionTestResult(BaseModel):
    """The outcome of `WooCommerceClient.test_connection()`; `message` is for the admin."""

    model_config = ConfigDict(frozen=True)

    success: bool
    message: str
    woocommerce_version: str | None = None
    currency: str | None = None
    supports_modified_filters: bool | None = None
    """From the WooCommerce version (>= 5.8); None when the version could not be read."""


def supports_modified_filters(version: str | None) -> bool | None:
    """Whether a store of this WooCommerce version honours `modified_after`; None if unknown."""
    match = re.match(r"\s*(\d+)\.(\d+)", version or "")
    if match is None:
        return None
    return (int(match.group(1)), int(match.group(2))) >= MODIFIED_FILTERS_SINCE


def run_connection_test(get: GetJSON, *, base_url: str) -> ConnectionTestResult:
    """Ask `/system_status` (version, currency), falling back to `/settings/general` when
    the key may not read it, then count products and orders to prove read access."""
    try:
        version, currency = _system_status(get)
    except PermissionDeniedError:
        version, currency = None, _currency_from_settings(get)
    except InvalidResponseError as error:
        return _failed(
            f"{base_url} does not answer like a WooCommerce shop (its REST API sent no "
            f"JSON): check the address, and that no plugin breaks the REST API. {error}"
        )
    except WooCommerceError as error:
        return _failed(str(error))
    try:
        products = _count(get, "/products")
        orders = _count(get, "/orders")
    except WooCommerceError as error:
        return _failed(str(error))
    what = f"WooCommerce {version}" if version else "WooCommerce (version not readable)"
    counts = f"{_n(products, 'product')}, {_n(orders, 'order')}"
    message = f"Connected to {what} at {base_url}: {counts}"
    message += f", currency {currency}." if currency else "."
    if version is None:
        message += (
            " The key may not read the system status, so whether the store supports "
            "modified-date filters (WooCommerce 5.8+) is unknown."
        )
    elif not supports_modified_filters(version):
        message += (
            f" WooCommerce {version} ignores modified-date filters (5.8+): every sync "
            "reads the store whole."
        )
    return ConnectionTestResult(
        success=True,
        message=message,
        woocommerce_version=version,
        currency=currency,
        supports_modified_filters=supports_modified_filters(version),
    )


def _failed(message: str) -> ConnectionTestResult:
    return ConnectionTestResult(success=False, message=message)


def _system_status(get: GetJSON) -> tuple[str | None, str | None]:
    value = get("/system_status", None).value
    if not isinstance(value, dict):
        raise InvalidResponseError("The store's /system_status is not a JSON object.")
    environment = value.get("environment")
    settings = value.get("settings")
    version = environment.get("version") if isinstance(environment, dict) else None
    currency = settings.get("currency") if isinstance(settings, dict) else None
    return _text(version), _text(currency)


def _currency_from_settings(get: GetJSON) -> str | None:
    try:
        value = get("/settings/general", None).value
    except (PermissionDeniedError, NotFoundError):
        return None
    if not isinstance(value, list):
        return None
    for setting in value:
        if isinstance(setting, dict) and setting.get("id") == "woocommerce_currency":
            return _text(setting.get("value"))
    return None


def _count(get: GetJSON, path: str) -> int | None:
    fetched = get(path, {"per_page": 1})
    if not isinstance(fetched.value, list):
        raise InvalidResponseError(
            f"The store answered {fetched.url} with something other than a list of records; "
            "a plugin may be rewriting REST API responses."
        )
    return parse_count_header(fetched.headers.get("X-WP-Total"))


def _text(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    return value.strip() or None


def _n(count: int | None, noun: str) -> str:
    if count is None:
        return f"{noun}s readable"
    return f"{count:,} {noun}" + ("" if count == 1 else "s")
