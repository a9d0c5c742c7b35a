"""A store that echoes the request back (URL, headers) in its error pages must not make the
client repeat the credentials in a log line, an exception or an excerpt."""

from __future__ import annotations

import base64
import logging

import httpx2
import pytest

from goldsphere_pipelines.woocommerce import AuthMode, WooCommerceError
from goldsphere_pipelines_tests.woocommerce.helpers import KEY, SECRET, odd_client

NEEDLES = [KEY, SECRET, base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()]


def echo(request: httpx2.Request) -> str:
    return f"{request.method} {request.url}\n" + "\n".join(
        f"{name}: {value}" for name, value in request.headers.items()
    )


def echoing_store(request: httpx2.Request) -> httpx2.Response:
    """Fails every way it can, each time quoting what it was sent."""
    path = request.url.path
    if path.endswith("/orders"):
        return httpx2.Response(
            500, text=f"<pre>{echo(request)}</pre>", headers={"Link": f"<{request.url}>; rel=next"}
        )
    if path.endswith("/products"):
        return httpx2.Response(200, text=f"<html>{echo(request)}")
    if path.endswith("/products/1"):
        message = f"Consumer key {KEY} with secret {SECRET} is invalid: {echo(request)}"
        return httpx2.Response(
            401, json={"code": "woocommerce_rest_authentication_error", "message": message}
        )
    return httpx2.Response(
        302, headers={"Location": f"https://elsewhere.example.net/?{request.url.query.decode()}"}
    )


@pytest.mark.parametrize("mode", list(AuthMode))
def test_echoed_credentials_are_redacted_everywhere(
    mode: AuthMode, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    base_url = "http://shop.example.com" if mode is AuthMode.OAUTH1 else "https://shop.example.com"
    errors: list[WooCommerceError] = []
    with odd_client(echoing_store, auth_mode=mode, base_url=base_url) as client:
        for action in (
            lambda: list(client.iter_orders()),
            lambda: list(client.iter_products()),
            lambda: client.get_product(1),
            lambda: client.get_order(1),
        ):
            with pytest.raises(WooCommerceError) as caught:
                action()
            errors.append(caught.value)
        connection = client.test_connection()

    texts = [caplog.text, connection.message, connection.model_dump_json()]
    texts += [record.getMessage() for record in caplog.records]
    for error in errors:
        texts += [str(error), repr(error), *map(str, vars(error).values())]
    assert len(errors) == 4
    assert "[redacted]" in caplog.text, "the echo did reach the client"
    for text in texts:
        for needle in NEEDLES:
            assert needle not in text
