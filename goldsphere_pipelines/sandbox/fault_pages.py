"""The bodies real hosts send when something in front of (or inside) WordPress fails."""

from __future__ import annotations

import orjson
from starlette.responses import Response

BOM = b"\xef\xbb\xbf"

PHP_WARNING = (
    b'<br />\n<b>Warning</b>:  Undefined array key "weight" in '
    b"<b>/var/www/html/wp-content/plugins/bullion-spot-prices/includes/class-spot.php</b> "
    b"on line <b>212</b><br />\n"
)
"""What a plugin's PHP warning prepends to a JSON body (with WP_DEBUG_DISPLAY on)."""

_NGINX = (
    "<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
    "<center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)
_REASONS = {429: "Too Many Requests", 502: "Bad Gateway", 504: "Gateway Time-out"}

_CRITICAL_ERROR = {
    "code": "internal_server_error",
    "message": "<p>There has been a critical error on this website.</p><p><a "
    'href="https://wordpress.org/documentation/article/faq-troubleshooting/">Learn more about '
    "troubleshooting WordPress.</a></p>",
    "data": {"status": 500},
    "additional_errors": [],
}

_MAINTENANCE = (
    '<!DOCTYPE html>\n<html lang="en-US">\n<head>\n<meta charset="utf-8">\n'
    "<title>Maintenance</title>\n</head>\n<body>\n"
    "<p>Briefly unavailable for scheduled maintenance. Check back in a minute.</p>\n"
    "</body>\n</html>\n"
)

_HTML_200 = (
    '<!DOCTYPE html>\n<html lang="en-US">\n<head>\n<meta charset="UTF-8">\n'
    "<title>Goldsphere Sandbox Bullion &#8211; Page not available</title>\n"
    '</head>\n<body class="error">\n<div id="page">\n<h1>Something went wrong.</h1>\n'
    "<p>Please try again later.</p>\n</div>\n</body>\n</html>\n"
)
"""A theme or caching plugin answering instead of the REST API, with HTTP 200."""


def fault_response(kind: str, retry_after_s: int | None) -> Response:
    """The response for a refused request (`RequestFaults.refuse`)."""
    headers = {}
    status = 200
    if kind in ("max_rps", "http_429"):
        status = 429
    elif kind.startswith("http_"):
        status = int(kind.removeprefix("http_"))
    if retry_after_s is not None and status in (429, 503):
        headers["Retry-After"] = str(retry_after_s)
    if status == 500:
        return Response(
            orjson.dumps(_CRITICAL_ERROR),
            status_code=500,
            headers=headers,
            media_type="application/json; charset=UTF-8",
        )
    if status == 503:
        return Response(_MAINTENANCE, 503, headers, media_type="text/html; charset=UTF-8")
    if status == 200:
        return Response(_HTML_200, 200, headers, media_type="text/html; charset=UTF-8")
    page = _NGINX.format(status=status, reason=_REASONS[status])
    return Response(page, status, headers, media_type="text/html")


def spoil_body(body: bytes, kind: str, cut_at: float) -> bytes:
    """A handled response's body after `RequestFaults.body` happened to it."""
    if kind == "bom":
        return BOM + body
    if kind == "php_warning":
        return PHP_WARNING + body
    if kind == "truncated":
        return body[: max(1, min(len(body) - 1, int(len(body) * cut_at)))]
    return body
