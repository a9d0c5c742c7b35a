"""One GET against the store, done properly: retried, bounded, redacted, counted.

`Fetcher` owns the `httpx2.Client`. Each attempt takes one of `concurrency` slots, so that
however many iterators run at once the store never sees more parallel requests than the
connector allows. Bodies are streamed and refused past `max_response_bytes`. Redirects are
followed only to the same host (or from http to https on it), re-signed at every hop.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import httpx2

from goldsphere_pipelines.woocommerce.credentials import AuthMode
from goldsphere_pipelines.woocommerce.errors import TLSError, WooCommerceError
from goldsphere_pipelines.woocommerce.failures import (
    FailedResponse,
    error_for_body,
    error_for_status,
    error_for_transport,
    redirect_refused,
    too_large,
)
from goldsphere_pipelines.woocommerce.parsing import (
    ParsedBody,
    UnexpectedBody,
    excerpt,
    looks_like_html,
    parse_error_payload,
    parse_json,
    parse_list,
    parse_object,
)
from goldsphere_pipelines.woocommerce.redaction import Redactor, url_without_secrets
from goldsphere_pipelines.woocommerce.retry import (
    RETRYABLE_STATUSES,
    RetryPolicy,
    parse_retry_after,
)
from goldsphere_pipelines.woocommerce.stats import ClientStats

logger = logging.getLogger("goldsphere_pipelines.woocommerce")

Expect = Literal["list", "object", "any"]

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_MAX_REDIRECTS = 5


@dataclass(frozen=True, slots=True)
class Fetched:
    """A successful answer: the parsed JSON and the response headers."""

    value: Any
    headers: httpx2.Headers
    url: str


class _Retry(Exception):
    """An attempt failed in a way worth repeating; `error` is raised if none is left."""

    def __init__(
        self, error: WooCommerceError, summary: str, retry_after_s: float | None = None
    ) -> None:
        super().__init__(summary)
        self.error = error
        self.summary = summary
        self.retry_after_s = retry_after_s


class Fetcher:
    """GETs JSON from one store. Thread-safe; close it (or use it as a context manager)."""

    def __init__(
        self,
        *,
        auth: httpx2.Auth,
        auth_mode: AuthMode,
        verify: Any,
        timeout: float,
        retry: RetryPolicy,
        concurrency: int,
        max_response_bytes: int,
        transport: httpx2.BaseTransport | None,
        redactor: Redactor,
        stats: ClientStats,
        user_agent: str,
    ) -> None:
        self._auth_mode = auth_mode
        self._timeout = timeout
        self._retry = retry
        self._max_bytes = max_response_bytes
        self._redact = redactor
        self._stats = stats
        self._slots = threading.BoundedSemaphore(concurrency)
        self._sleep: Callable[[float], None] = time.sleep
        self._http = httpx2.Client(
            auth=auth,
            verify=verify,
            timeout=httpx2.Timeout(timeout, connect=min(timeout, 10.0)),
            limits=httpx2.Limits(
                max_connections=concurrency, max_keepalive_connections=concurrency
            ),
            headers={"User-Agent": user_agent, "Accept": "application/json"},
            # Redirects are followed by hand, only to the same host (see `_redirected`).
            follow_redirects=False,
            transport=transport,
        )

    def close(self) -> None:
        self._http.close()

    def get(
        self,
        url: str,
        params: Mapping[str, str | int] | None = None,
        *,
        expect: Expect,
        max_attempts: int | None = None,
    ) -> Fetched:
        """GET `url` (absolute, under the base URL) and parse its JSON body.

        Retries 429, 500, 502, 503, 504, timeouts, dropped connections and 200 bodies that
        are not the expected JSON; raises the matching `WooCommerceError` at once for
        anything else, and when the attempts run out.
        """
        attempts = max_attempts or self._retry.max_attempts
        for attempt in range(1, attempts + 1):
            # A fresh request per attempt: auth flows sign (and may modify) what they get.
            request = self._http.build_request("GET", url, params=params)
            try:
                return self._attempt(request, expect, attempt, attempts)
            except _Retry as failure:
                if attempt == attempts:
                    self._log(request, failure.summary, attempt, attempts, "giving up")
                    raise failure.error from None
                delay = self._retry.delay(attempt, failure.retry_after_s)
                self._log(request, failure.summary, attempt, attempts, f"retrying in {delay:.2f} s")
                self._stats.add(retries=1, backoff_seconds=delay)
                if delay > 0:
                    self._sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _log(
        self, request: httpx2.Request, summary: str, attempt: int, attempts: int, decision: str
    ) -> None:
        logger.warning(
            "GET %s failed: %s (attempt %d of %d, %s)",
            self._safe_url(request.url),
            summary,
            attempt,
            attempts,
            decision,
        )

    def _safe_url(self, url: httpx2.URL | str) -> str:
        return self._redact(url_without_secrets(str(url)))

    def _attempt(
        self, request: httpx2.Request, expect: Expect, attempt: int, attempts: int
    ) -> Fetched:
        try:
            with self._slots:
                status, headers, body, final_url = self._exchange(request)
        except httpx2.TransportError as exc:
            self._stats.add(transport_errors=1)
            reason = self._redact(f"{type(exc).__name__}: {exc}".rstrip(": "))
            error = error_for_transport(
                exc,
                reason=reason,
                url=self._safe_url(request.url),
                timeout=self._timeout,
                attempts=attempt,
            )
            if isinstance(error, TLSError):
                self._log(request, reason, attempt, attempts, "not retried")
                raise error from None
            raise _Retry(error, reason) from None
        url = self._safe_url(final_url)
        if 200 <= status < 300:
            try:
                parsed = _parse(body, expect)
            except UnexpectedBody as problem:
                self._stats.add(invalid_bodies=1)
                shown = self._redact(excerpt(body))
                error = error_for_body(
                    problem.problem,
                    problem.detail,
                    status=status,
                    excerpt=shown,
                    url=url,
                    attempts=attempt,
                )
                summary = f"HTTP {status} but {problem.detail}: «{shown[:160]}»"
                if status != 200:
                    self._log(request, summary, attempt, attempts, "not retried")
                    raise error from None
                raise _Retry(error, summary) from None
            if parsed.had_bom:
                self._stats.add(bom_bodies=1)
            return Fetched(parsed.value, headers, url)
        payload = parse_error_payload(body)
        failed = FailedResponse(
            status=status,
            wc_code=self._redact(payload.code) if payload.code else None,
            wc_message=self._redact(payload.message) if payload.message else None,
            excerpt=self._redact(excerpt(body)),
            url=url,
            is_html=looks_like_html(body),
        )
        error = error_for_status(failed, auth_mode=self._auth_mode, attempts=attempt)
        summary = f"HTTP {status} {failed.wc_code or ''} «{failed.excerpt[:200]}»"
        if status in RETRYABLE_STATUSES:
            raise _Retry(error, summary, parse_retry_after(headers.get("Retry-After")))
        self._log(request, summary, attempt, attempts, "not retried")
        raise error from None

    def _exchange(self, request: httpx2.Request) -> tuple[int, httpx2.Headers, bytes, httpx2.URL]:
        """Send `request`, following same-host redirects: status, headers, body, final URL.

        Raises `httpx2.TransportError` when no complete response arrives."""
        for _hop in range(_MAX_REDIRECTS + 1):
            self._stats.add(requests=1)
            response = self._http.send(request, stream=True)
            try:
                self._stats.count_status(response.status_code)
                location = response.headers.get("Location")
                if response.status_code in _REDIRECTS and location:
                    request = self._redirected(request, location)
                    continue
                body = self._read(response, request.url)
                return response.status_code, response.headers, body, request.url
            finally:
                response.close()
        raise WooCommerceError(
            f"The store redirected {self._safe_url(request.url)} more than "
            f"{_MAX_REDIRECTS} times; check its base URL and redirect rules.",
            url=self._safe_url(request.url),
        )

    def _redirected(self, request: httpx2.Request, location: str) -> httpx2.Request:
        here = request.url
        target = here.join(location)
        same_host = target.host == here.host
        same_origin = same_host and target.scheme == here.scheme and target.port == here.port
        upgrade = same_host and here.scheme == "http" and target.scheme == "https"
        if not (same_origin or upgrade):
            raise redirect_refused(self._safe_url(here), self._safe_url(target))
        # WordPress keeps the query string on redirects, credentials included: drop them,
        # the auth flow adds fresh ones.
        return self._http.build_request("GET", url_without_secrets(str(target)))

    def _read(self, response: httpx2.Response, url: httpx2.URL) -> bytes:
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self._max_bytes:
            raise too_large(
                self._safe_url(url), self._max_bytes, f"Content-Length {int(declared):,}"
            )
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > self._max_bytes:
                self._stats.add(bytes=size)
                raise too_large(
                    self._safe_url(url), self._max_bytes, f"over {size:,} bytes read so far"
                )
            chunks.append(chunk)
        self._stats.add(bytes=size)
        return b"".join(chunks)


def _parse(body: bytes, expect: Expect) -> ParsedBody:
    if expect == "list":
        return parse_list(body)
    if expect == "object":
        return parse_object(body)
    return parse_json(body)
