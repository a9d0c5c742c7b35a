"""`POST /webhooks/woocommerce/{connector}`: where a shop pushes its changes.

No admin token here: a delivery proves itself by its signature (see
`connectors.webhook_receiver`). The body is read raw, up to `MAX_WEBHOOK_BODY_BYTES`
(413 above, enforced by `BodySizeLimit` before it is buffered), and the database work runs
in a worker thread so the event loop keeps answering.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from goldsphere_pipelines.admin_api.context import api_context
from goldsphere_pipelines.admin_api.errors import error_response
from goldsphere_pipelines.connectors.webhook_receiver import receive_delivery

WEBHOOK_PATH_PREFIX = "/webhooks/"

router = APIRouter(prefix="/webhooks/woocommerce", tags=["webhooks"])


@router.post(
    "/{connector}",
    responses={
        200: {"description": "Stored (or a repeat of a stored delivery), or the ping."},
        202: {"description": "A topic goldsphere does not sync; ignored."},
        400: {"description": "A signed delivery without its delivery id or topic."},
        401: {"description": "Missing or wrong X-WC-Webhook-Signature."},
        404: {"description": "No connector of that name."},
        413: {"description": "The body is larger than the documented limit."},
        422: {"description": "The connector name in the path is not a connector name."},
    },
)
async def receive(
    request: Request,
    connector: Annotated[str, Path(pattern=r"^[a-z0-9-]{1,63}$", description="Connector name.")],
) -> JSONResponse:
    """Verify a WooCommerce delivery's signature and store it; applied within seconds."""
    body = await request.body()
    context = api_context(request)
    headers = {name.lower(): value for name, value in request.headers.items()}
    receipt = await run_in_threadpool(
        receive_delivery, context.engine, context.cipher, connector, headers, body
    )
    if receipt.status >= 400:
        return error_response(receipt.status, receipt.code, receipt.message)
    return JSONResponse(receipt.body(), status_code=receipt.status)
