"""The WooCommerce REST API v3 client. Knows nothing of the database or Dagster.

Use: `with WooCommerceClient(base_url, credentials) as client:` then iterate
`client.iter_orders(modified_after=since)` page by page.
"""

from goldsphere_pipelines.woocommerce.client import WooCommerceClient
from goldsphere_pipelines.woocommerce.connection_test import ConnectionTestResult
from goldsphere_pipelines.woocommerce.credentials import AuthMode, WooCredentials
from goldsphere_pipelines.woocommerce.errors import (
    AuthenticationError,
    BadRequestError,
    InvalidResponseError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    RedirectError,
    ResponseTooLargeError,
    StoreChangedError,
    TLSError,
    TransientError,
    WooCommerceError,
)
from goldsphere_pipelines.woocommerce.pagination import Page
from goldsphere_pipelines.woocommerce.stats import ClientStats

__all__ = [
    "AuthMode",
    "AuthenticationError",
    "BadRequestError",
    "ClientStats",
    "ConnectionTestResult",
    "InvalidResponseError",
    "NotFoundError",
    "Page",
    "PermissionDeniedError",
    "RateLimitedError",
    "RedirectError",
    "ResponseTooLargeError",
    "StoreChangedError",
    "TLSError",
    "TransientError",
    "WooCommerceClient",
    "WooCommerceError",
    "WooCredentials",
]
