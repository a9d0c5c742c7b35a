"""`/_sandbox/...`: how tests in another process steer the store. Never faulty, no auth.

- `GET  /_sandbox/health` → `{"ok": true}`
- `GET  /_sandbox/faults`, `POST /_sandbox/faults` (JSON knobs) → all knobs;
  `POST /_sandbox/faults/clear`
- `GET  /_sandbox/stats`, `POST /_sandbox/stats/reset`
- `POST /_sandbox/mutate` `{"action": "modify_order", "id": 1234, "status": "completed"}`
  → `{"result": ...}`; actions: add_product, modify_product, delete_product,
  modify_variation, delete_variation, add_order, modify_order, delete_order, modify_random
- `GET  /_sandbox/ids/{products|variations|variable_products|orders}` → `{"ids": [...]}`
- `GET  /_sandbox/customers` → `{"emails": [...]}`; `GET /_sandbox/counts`
- `GET  /_sandbox/webhooks` → `{"subscriptions": [...], "sent": [...]}` (every delivery
  made or dropped); `POST /_sandbox/webhooks/wait` `{"timeout": 30}` → `{"idle": bool}`
  once every queued delivery was answered; `POST /_sandbox/webhooks/clear` forgets `sent`
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from goldsphere_pipelines.sandbox.store import SandboxStore

MUTATIONS = (
    "add_product",
    "modify_product",
    "delete_product",
    "trash_product",
    "restore_product",
    "modify_variation",
    "delete_variation",
    "add_order",
    "modify_order",
    "delete_order",
    "trash_order",
    "restore_order",
    "modify_random",
)


def _problem(message: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def _json_object(request: Request) -> dict[str, Any] | None:
    try:
        body = await request.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def admin_routes(store: SandboxStore) -> list[BaseRoute]:
    """The admin endpoints of `store`, to mount under `/_sandbox`."""

    async def health(request: Request) -> Response:
        return JSONResponse({"ok": True})

    async def faults(request: Request) -> Response:
        if request.method == "POST":
            knobs = await _json_object(request)
            if knobs is None:
                return _problem("send the knobs as a JSON object")
            try:
                return JSONResponse(store.set_faults(**knobs).model_dump())
            except (ValueError, ValidationError) as error:
                return _problem(str(error))
        return JSONResponse(store.fault_knobs.model_dump())

    async def clear_faults(request: Request) -> Response:
        return JSONResponse(store.clear_faults().model_dump())

    async def stats(request: Request) -> Response:
        return JSONResponse(store.stats.model_dump())

    async def reset_stats(request: Request) -> Response:
        store.reset_stats()
        return JSONResponse(store.stats.model_dump())

    async def mutate(request: Request) -> Response:
        body = await _json_object(request)
        if body is None or body.get("action") not in MUTATIONS:
            return _problem(f"send {{'action': one of {', '.join(MUTATIONS)}, ...arguments}}")
        action: Callable[..., Any] = getattr(store, body.pop("action"))
        args = [body.pop("id")] if "id" in body else []
        if "items" in body and body["items"] is not None:
            body["items"] = [tuple(item) for item in body["items"]]
        try:
            result = action(*args, **body)
        except KeyError as error:
            return _problem(f"no such record: {error}", 404)
        except (TypeError, ValueError) as error:
            return _problem(str(error))
        return JSONResponse({"result": result})

    async def ids(request: Request) -> Response:
        listers: dict[str, Callable[[], list[int]]] = {
            "products": store.product_ids,
            "variations": store.variation_ids,
            "variable_products": store.variable_product_ids,
            "orders": store.order_ids,
        }
        kind = request.path_params["kind"]
        if kind not in listers:
            return _problem(f"kind must be one of {', '.join(listers)}", 404)
        return JSONResponse({"ids": listers[kind]()})

    async def customers(request: Request) -> Response:
        return JSONResponse({"emails": store.customer_emails()})

    async def counts(request: Request) -> Response:
        return JSONResponse(store.counts())

    async def webhooks(request: Request) -> Response:
        hub = store.webhooks
        return JSONResponse(
            {
                "subscriptions": [s.payload() for s in hub.subscriptions()],
                "sent": [asdict(sent) for sent in hub.sent()],
            }
        )

    async def wait_webhooks(request: Request) -> Response:
        body = await _json_object(request) or {}
        timeout = float(body.get("timeout", 30))
        idle = await asyncio.to_thread(store.webhooks.wait_idle, timeout)
        return JSONResponse({"idle": idle})

    async def clear_webhooks(request: Request) -> Response:
        store.webhooks.clear_sent()
        return JSONResponse({"ok": True})

    return [
        Route("/webhooks", webhooks),
        Route("/webhooks/wait", wait_webhooks, methods=["POST"]),
        Route("/webhooks/clear", clear_webhooks, methods=["POST"]),
        Route("/health", health),
        Route("/faults", faults, methods=["GET", "POST"]),
        Route("/faults/clear", clear_faults, methods=["POST"]),
        Route("/stats", stats),
        Route("/stats/reset", reset_stats, methods=["POST"]),
        Route("/mutate", mutate, methods=["POST"]),
        Route("/ids/{kind}", ids),
        Route("/customers", customers),
        Route("/counts", counts),
    ]
