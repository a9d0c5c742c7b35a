"""Creating webhooks in a store: `POST /wp-json/wc/v3/webhooks` (the one write we make).

The sync's client only reads; this needs a key with write permission, which many shops do
not hand out. A key without it gets 401 ("does not have write permissions"), which
`create_webhook` reports as `WritePermissionMissingError` so the caller can print the
manual steps instead.
"""

from __future__ import annotations

from typing import Any

import httpx2

from goldsphere_pipelines.woocommerce.auth import build_auth
from goldsphere_pipelines.woocommerce.client import API_ROOT, USER_AGENT, normalize_base_url
from goldsphere_pipelines.woocommerce.credentials import AuthMode, WooCredentials
from goldsphere_pipelines.woocommerce.errors import WooCommerceError
from goldsphere_pipelines.woocommerce.redaction import Redactor


class WritePermissionMissingError(WooCommerceError):
    """The key may read but not write: webhooks must be created in the WooCommerce admin."""


def create_webhook(
    base_url: str,
    credentials: WooCredentials,
    *,
    auth_mode: AuthMode,
    topic: str,
    delivery_url: str,
    secret: str,
    name: str,
    verify: Any = True,
    timeout: float = 30.0,
) -> dict[str, Any]:
    """Create one active webhook; the store pings `delivery_url` before it saves it."""
    url = normalize_base_url(base_url) + API_ROOT + "/webhooks"
    key_redactor = Redactor(
        [
            credentials.consumer_key.get_secret_value(),
            credentials.consumer_secret.get_secret_value(),
        ]
    )

    def redact(text: str) -> str:
        return key_redactor(text.replace(secret, "***") if secret else text)

    body = {
        "name": name,
        "topic": topic,
        "delivery_url": delivery_url,
        "secret": secret,
        "status": "active",
    }
    auth = build_auth(auth_mode, credentials, oauth_signature_in="query")
    try:
        with httpx2.Client(
            auth=auth, verify=verify, timeout=timeout, headers={"User-Agent": USER_AGENT}
        ) as client:
            response = client.post(url, json=body)
    except httpx2.HTTPError as exc:
        raise WooCommerceError(
            redact(f"Creating the {topic} webhook failed: {type(exc).__name__}.")
        ) from None
    try:
        answer: Any = response.json()
    except ValueError:
        answer = {}
    message = str(answer.get("message", "")) if isinstance(answer, dict) else ""
    if response.status_code == 401 and "write permission" in message:
        raise WritePermissionMissingError(redact(message), status=401)
    if response.status_code != 201 or not isinstance(answer, dict):
        raise WooCommerceError(
            redact(
                f"The store refused the {topic} webhook ({response.status_code}): "
                f"{message or response.reason_phrase}"
            ),
            status=response.status_code,
        )
    return answer
