"""No credential in any log line (ours, httpx2's, httpcore2's) or exception text, in every auth
mode, while the store fails in every way it can."""

from __future__ import annotations

import base64
import logging
from urllib.parse import quote

import pytest
from pydantic import SecretStr

from goldsphere_pipelines.sandbox import run_sandbox
from goldsphere_pipelines.woocommerce import AuthMode, WooCommerceError
from goldsphere_pipelines_tests.woocommerce.conftest import SMALL_SHOP, connect
from goldsphere_pipelines_tests.woocommerce.test_sandbox_faults import FAULTS

# Not shaped like WooCommerce keys, so that only real redaction (not the ck_/cs_ pattern
# that guards third-party loggers) can keep them out.
KEY = "goldsphere-test-key-4f1a9c"
SECRET = "s3cret+with/odd=chars&more"


def needles() -> list[str]:
    pair = base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()
    return [KEY, SECRET, quote(SECRET, safe=""), pair]


@pytest.mark.parametrize(
    ("mode", "tls", "signature_in"),
    [
        (AuthMode.BASIC, True, "query"),
        (AuthMode.QUERY, True, "query"),
        (AuthMode.OAUTH1, False, "query"),
        (AuthMode.OAUTH1, False, "header"),
    ],
)
def test_no_credential_in_logs_or_errors(
    mode: AuthMode, tls: bool, signature_in: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    config = SMALL_SHOP.with_changes(
        **FAULTS, consumer_key=SecretStr(KEY), consumer_secret=SecretStr(SECRET)
    )
    texts: list[str] = []
    with (
        run_sandbox(config, tls=tls) as sandbox,
        connect(sandbox, mode, max_attempts=8, oauth_signature_in=signature_in) as client,
    ):
        records = sum(len(page.records) for page in client.iter_orders())
        texts.append(client.test_connection().message)
        sandbox.set_faults(key_revoked=True)
        for action in (client.iter_products, lambda: iter([client.get_order(1)])):
            with pytest.raises(WooCommerceError) as caught:
                list(action())
            texts += [str(caught.value), repr(caught.value), str(vars(caught.value))]
        texts.append(client.test_connection().message)
        texts.append(repr(client))
        retries = client.stats.retries

    assert records == len(sandbox.store.order_ids())
    assert retries > 0, "failures were logged"
    assert any(r.name == "httpx2" for r in caplog.records), "httpx2 logged its requests"
    texts += [caplog.text] + [r.getMessage() for r in caplog.records]
    for text in texts:
        for needle in needles():
            assert needle not in text
