"""What Test Connection reads: `/system_status`, `/settings`, `/settings/general`, the index.

Trimmed to the parts a connector reads, in WooCommerce's shapes.
"""

from __future__ import annotations

from typing import Any

from goldsphere_pipelines.sandbox.bullion import CURRENCY_SYMBOLS
from goldsphere_pipelines.sandbox.config import SandboxConfig

STORE_NAME = "Goldsphere Sandbox Bullion"


def wp_index(config: SandboxConfig, base: str) -> dict[str, Any]:
    """`GET /wp-json/`: how a client can tell a WordPress site with WooCommerce."""
    return {
        "name": STORE_NAME,
        "description": "Coins and bars of gold, silver, platinum and palladium",
        "url": base,
        "home": base,
        "gmt_offset": f"{config.utc_offset_minutes / 60:g}",
        "timezone_string": "",
        "namespaces": ["oembed/1.0", "wc/store/v1", "wc/v1", "wc/v2", "wc/v3", "wp/v2"],
        "authentication": [],
        "routes": {},
        "_links": {"help": [{"href": "https://developer.wordpress.org/rest-api/"}]},
    }


def namespace_index(base: str) -> dict[str, Any]:
    """`GET /wp-json/wc/v3`."""
    routes = [
        "/wc/v3",
        "/wc/v3/products",
        "/wc/v3/products/(?P<id>[\\d]+)",
        "/wc/v3/products/(?P<product_id>[\\d]+)/variations",
        "/wc/v3/products/(?P<product_id>[\\d]+)/variations/(?P<id>[\\d]+)",
        "/wc/v3/orders",
        "/wc/v3/orders/(?P<id>[\\d]+)",
        "/wc/v3/system_status",
        "/wc/v3/settings",
        "/wc/v3/settings/(?P<group_id>[\\w-]+)",
    ]
    return {
        "namespace": "wc/v3",
        "routes": {
            route: {
                "namespace": "wc/v3",
                "methods": ["GET"],
                "endpoints": [{"methods": ["GET"], "args": {}}],
                "_links": {"self": [{"href": f"{base}/wp-json{route}"}]},
            }
            for route in routes
        },
    }


def system_status(config: SandboxConfig, base: str) -> dict[str, Any]:
    """`GET /wc/v3/system_status`, the parts a connector reads."""
    return {
        "environment": {
            "home_url": base,
            "site_url": base,
            "store_id": "5d7c2e1a-3b4f-4e6a-9c8d-2f1e0a9b8c7d",
            "version": config.woocommerce_version,
            "log_directory": "/var/www/html/wp-content/uploads/wc-logs/",
            "log_directory_writable": True,
            "wp_version": "6.5.3",
            "wp_multisite": False,
            "wp_memory_limit": 268435456,
            "wp_debug_mode": False,
            "wp_cron": True,
            "language": "en_US",
            "external_object_cache": None,
            "server_info": "nginx/1.24.0",
            "php_version": "8.2.18",
            "php_post_max_size": 67108864,
            "php_max_execution_time": 120,
            "php_max_input_vars": 1000,
            "curl_version": "8.5.0, OpenSSL/3.0.13",
            "suhosin_installed": False,
            "max_upload_size": 67108864,
            "mysql_version": "8.0.36",
            "mysql_version_string": "8.0.36",
            "default_timezone": "UTC",
            "fsockopen_or_curl_enabled": True,
            "soapclient_enabled": True,
            "domdocument_enabled": True,
            "gzip_enabled": True,
            "mbstring_enabled": True,
            "remote_post_successful": True,
            "remote_post_response": 200,
            "remote_get_successful": True,
            "remote_get_response": 200,
        },
        "database": {
            "wc_database_version": config.woocommerce_version,
            "database_prefix": "wp_",
        },
        "active_plugins": [
            {
                "plugin": "woocommerce/woocommerce.php",
                "name": "WooCommerce",
                "version": config.woocommerce_version,
                "version_latest": config.woocommerce_version,
                "url": "https://woocommerce.com/",
                "author_name": "Automattic",
                "author_url": "https://woocommerce.com",
                "network_activated": False,
            }
        ],
        "inactive_plugins": [],
        "dropins_mu_plugins": {"dropins": [], "mu_plugins": []},
        "theme": {"name": "Storefront", "version": "4.5.5", "is_child_theme": False},
        "settings": {
            "api_enabled": True,
            "force_ssl": False,
            "currency": config.currency,
            "currency_symbol": CURRENCY_SYMBOLS.get(config.currency, config.currency),
            "currency_position": "left",
            "thousand_separator": ",",
            "decimal_separator": ".",
            "number_of_decimals": 2,
            "geolocation_enabled": False,
            "taxonomies": {
                "external": "external",
                "grouped": "grouped",
                "simple": "simple",
                "variable": "variable",
            },
            "woocommerce_com_connected": "no",
            "enforce_approved_download_dirs": False,
            "order_datastore": "Automattic\\WooCommerce\\Internal\\DataStores\\Orders\\"
            "OrdersTableDataStore",
            "HPOS_enabled": True,
        },
        "security": {"secure_connection": base.startswith("https"), "hide_errors": False},
        "pages": [],
        "post_type_counts": [],
    }


def settings_groups(base: str) -> list[dict[str, Any]]:
    """`GET /wc/v3/settings`."""
    return [
        {
            "id": group,
            "label": label,
            "description": "",
            "parent_id": "",
            "sub_groups": [],
            "_links": {"options": [{"href": f"{base}/wp-json/wc/v3/settings/{group}"}]},
        }
        for group, label in (("general", "General"), ("products", "Products"), ("tax", "Tax"))
    ]


def settings_general(config: SandboxConfig, base: str) -> list[dict[str, Any]]:
    """`GET /wc/v3/settings/general`: a list of settings, `woocommerce_currency` among them."""

    def setting(
        setting_id: str, label: str, value: Any, setting_type: str = "text"
    ) -> dict[str, Any]:
        return {
            "id": setting_id,
            "label": label,
            "description": "",
            "type": setting_type,
            "default": "",
            "tip": "",
            "value": value,
            "_links": {
                "self": [{"href": f"{base}/wp-json/wc/v3/settings/general/{setting_id}"}],
                "collection": [{"href": f"{base}/wp-json/wc/v3/settings/general"}],
            },
        }

    return [
        setting("woocommerce_store_address", "Address line 1", "1 Bullion Plaza"),
        setting("woocommerce_store_city", "City", "New York"),
        setting("woocommerce_default_country", "Country / State", "US:NY", "select"),
        setting("woocommerce_store_postcode", "Postcode / ZIP", "10005"),
        setting("woocommerce_calc_taxes", "Enable taxes", "yes", "checkbox"),
        setting("woocommerce_currency", "Currency", config.currency, "select"),
        setting("woocommerce_currency_pos", "Currency position", "left", "select"),
        setting("woocommerce_price_thousand_sep", "Thousand separator", ","),
        setting("woocommerce_price_decimal_sep", "Decimal separator", "."),
        setting("woocommerce_price_num_decimals", "Number of decimals", "2", "number"),
    ]
