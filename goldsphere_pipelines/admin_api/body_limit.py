"""A bound on request body size, enforced before any handler reads the body.

The declared `Content-Length` is checked first; chunked bodies are counted as they
arrive. Either way a body over the limit is answered with 413 and never buffered whole.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from goldsphere_pipelines.admin_api.errors import error_response


class BodySizeLimit:
    """ASGI middleware answering 413 to request bodies larger than `max_bytes`."""

    def __init__(
        self, app: ASGIApp, *, max_bytes: int, by_path_prefix: Mapping[str, int] | None = None
    ) -> None:
        """`by_path_prefix`: other limits for paths starting with a prefix (webhooks)."""
        self.app = app
        self.max_bytes = max_bytes
        self.by_path_prefix = dict(by_path_prefix or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit(scope.get("path", ""))
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await self._reject(scope, receive, send, limit)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away before sending its body
            body = message.get("body", b"")
            size += len(body)
            if size > limit:
                await self._reject(scope, receive, send, limit)
                return
            chunks.append(body)
            if not message.get("more_body", False):
                break
        await self.app(scope, _replay(b"".join(chunks), receive), send)

    def _limit(self, path: str) -> int:
        for prefix, limit in self.by_path_prefix.items():
            if path.startswith(prefix):
                return limit
        return self.max_bytes

    async def _reject(self, scope: Scope, receive: Receive, send: Send, max_bytes: int) -> None:
        limit = _readable_size(max_bytes)
        response = error_response(
            413,
            "request_too_large",
            f"The request body is larger than {limit}, the most this API accepts; "
            "send only the fields the endpoint takes.",
            headers={"Connection": "close"},
        )
        await response(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            # An unreadable length is left to the server, which refuses it itself.
            return int(text) if text.isdigit() else None
    return None


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _readable_size(size: int) -> str:
    if size % 1024 == 0:
        return f"{size // 1024} KiB"
    return f"{size} bytes"
