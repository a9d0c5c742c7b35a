"""Webhooks as WooCommerce delivers them: subscriptions, the ping, signed deliveries.

Calibrated on WooCommerce 8.9 (`WC_Webhook::deliver`, `deliver_ping`):

- a subscription has a topic (`product.updated`, ...), a delivery URL and a secret; saving
  an active one first pings the URL with the form-encoded body `webhook_id=N`, unsigned,
  and is refused unless the answer is 2xx;
- each change of a subscribed resource is POSTed as the REST API's JSON of the resource
  (`{"id": N}` for `*.deleted`) with the headers `X-WC-Webhook-Source` (the shop URL with a
  trailing slash), `-Topic`, `-Resource`, `-Event`, `-Signature` (base64 HMAC-SHA256 of the
  body with the secret), `-ID` and `-Delivery-ID` (32 hex characters), and the user agent
  `WooCommerce/<version> Hookshot (WordPress/<version>)`;
- a delivery is tried once (no retries), waits 5 s at most, and five failures in a row
  disable the subscription.

Fault knobs (`webhook_rate_*`) repeat a delivery with its delivery id, hold one back until
the next has gone (out of order), or drop it. Every delivery made is kept in `sent()`, so a
test or the bench can tell what the receiver should have.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import queue
import random
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx2

WORDPRESS_VERSION = "6.5.3"
DELIVERY_TIMEOUT_S = 5.0
FAILURES_BEFORE_DISABLED = 5
_WORKERS = 4
_MAX_SENT_KEPT = 200_000

WEBHOOK_TOPICS = frozenset(
    f"{resource}.{event}"
    for resource in ("product", "order", "customer", "coupon")
    for event in ("created", "updated", "deleted", "restored")
)
"""The resource topics WooCommerce accepts (customers and coupons are never emitted here)."""

Render = Callable[[], dict[str, Any]]


class PingFailedError(Exception):
    """The delivery URL did not answer the ping with 2xx; the webhook is not saved."""


@dataclass
class Subscription:
    id: int
    name: str
    topic: str
    delivery_url: str
    secret: str = field(repr=False)
    status: str = "active"
    failure_count: int = 0
    created: str = ""

    def payload(self) -> dict[str, Any]:
        """As `GET /wc/v3/webhooks/{id}` shows it (the secret is never shown)."""
        resource, _, event = self.topic.partition(".")
        return {
            "id": self.id,
            "name": self.name,
            "status": self.status,
            "topic": self.topic,
            "resource": resource,
            "event": event,
            "hooks": [],
            "delivery_url": self.delivery_url,
            "date_created": self.created,
            "date_created_gmt": self.created,
            "date_modified": self.created,
            "date_modified_gmt": self.created,
        }


@dataclass
class SentDelivery:
    """One delivery the shop made (or dropped): what the receiver should have seen."""

    delivery_id: str
    webhook_id: int
    topic: str
    record_id: int
    modified_gmt: str | None
    sent_at: float
    """`time.time()` when the POST started."""
    status_code: int | None = None
    answer_seconds: float | None = None
    dropped: bool = False
    repeat: bool = False
    error: str | None = None


@dataclass
class _Job:
    subscription: Subscription
    delivery_id: str
    body: bytes
    topic: str
    record_id: int
    modified_gmt: str | None
    repeat: bool = False


class WebhookHub:
    """A store's webhooks; `emit` is called by the store for each change, under its lock."""

    def __init__(self, *, woocommerce_version: str, seed: int, knobs: Callable[[], Any]) -> None:
        self.source_url = "http://127.0.0.1/"
        self._version = woocommerce_version
        self._knobs = knobs
        self._lock = threading.Lock()
        self._random = random.Random(f"{seed}:webhooks")
        self._subscriptions: dict[int, Subscription] = {}
        self._next_id = 1
        self._queue: queue.Queue[_Job | None] = queue.Queue()
        self._held: _Job | None = None
        self._sent: list[SentDelivery] = []
        self._workers: list[threading.Thread] = []
        self._in_flight = 0
        self._idle = threading.Condition(self._lock)

    # --- subscriptions --------------------------------------------------------------

    def subscribe(
        self, *, name: str, topic: str, delivery_url: str, secret: str, status: str = "active"
    ) -> Subscription:
        """Save a webhook; an active one is pinged first (PingFailedError unless 2xx)."""
        with self._lock:
            webhook_id = self._next_id
            self._next_id += 1
        if status == "active":
            self._ping(webhook_id, delivery_url)
        created = datetime.now(UTC).replace(tzinfo=None, microsecond=0).isoformat()
        subscription = Subscription(
            webhook_id, name, topic, delivery_url, secret, status, created=created
        )
        with self._lock:
            self._subscriptions[webhook_id] = subscription
            self._start_workers()
        return subscription

    def subscriptions(self) -> list[Subscription]:
        with self._lock:
            return list(self._subscriptions.values())

    def get(self, webhook_id: int) -> Subscription | None:
        with self._lock:
            return self._subscriptions.get(webhook_id)

    def delete(self, webhook_id: int) -> Subscription | None:
        with self._lock:
            return self._subscriptions.pop(webhook_id, None)

    def _ping(self, webhook_id: int, delivery_url: str) -> None:
        try:
            response = httpx2.post(
                delivery_url,
                content=f"webhook_id={webhook_id}".encode(),
                headers={
                    "Content-Type": "application/x-www-form-urlencoded",
                    "User-Agent": f"WordPress/{WORDPRESS_VERSION}; {self.source_url}",
                },
                timeout=DELIVERY_TIMEOUT_S,
            )
        except httpx2.HTTPError as exc:
            raise PingFailedError(f"Error: Delivery URL cannot be reached: {exc}") from exc
        if not 200 <= response.status_code < 300:
            raise PingFailedError(
                f"Error: Delivery URL returned response code: {response.status_code}"
            )

    # --- deliveries -----------------------------------------------------------------

    def emit(self, topic: str, record_id: int, render: Render) -> None:
        """A change of the store: one delivery per active subscription of `topic`."""
        with self._lock:
            targets = [
                s for s in self._subscriptions.values() if s.topic == topic and s.status == "active"
            ]
        if not targets:
            return
        payload = {"id": record_id} if topic.endswith(".deleted") else render()
        modified_value = payload.get("date_modified_gmt")
        modified = modified_value if isinstance(modified_value, str) else None
        # wp_json_encode: compact, ASCII only, slashes escaped.
        body = json.dumps(payload, separators=(",", ":")).replace("/", "\\/").encode()
        knobs = self._knobs()
        for subscription in targets:
            job = _Job(subscription, uuid.uuid4().hex, body, topic, record_id, modified)
            self._schedule(job, knobs)

    def _schedule(self, job: _Job, knobs: Any) -> None:
        with self._lock:
            roll = self._random.random
            if roll() < knobs.webhook_rate_drop:
                self._keep(self._record(job, dropped=True))
                return
            held, self._held = self._held, None
            if held is None and roll() < knobs.webhook_rate_out_of_order:
                self._held = job
                return
            self._put(job)
            if held is not None:
                self._put(held)
            if roll() < knobs.webhook_rate_duplicate:
                self._put(_Job(**{**job.__dict__, "repeat": True}))

    def _put(self, job: _Job) -> None:
        self._in_flight += 1
        self._queue.put(job)

    def flush(self) -> None:
        """Send a delivery held back for out-of-order, now."""
        with self._lock:
            held, self._held = self._held, None
            if held is not None:
                self._put(held)

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Block until every queued delivery has been answered (or failed)."""
        self.flush()
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._in_flight:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(left)
        return True

    def sent(self) -> list[SentDelivery]:
        with self._lock:
            return list(self._sent)

    def clear_sent(self) -> None:
        with self._lock:
            self._sent.clear()

    def _record(self, job: _Job, **facts: Any) -> SentDelivery:
        return SentDelivery(
            delivery_id=job.delivery_id,
            webhook_id=job.subscription.id,
            topic=job.topic,
            record_id=job.record_id,
            modified_gmt=job.modified_gmt,
            sent_at=time.time(),
            repeat=job.repeat,
            **facts,
        )

    def _keep(self, sent: SentDelivery) -> None:
        if len(self._sent) < _MAX_SENT_KEPT:
            self._sent.append(sent)

    def _start_workers(self) -> None:
        while len(self._workers) < _WORKERS:
            worker = threading.Thread(target=self._work, name="sandbox-webhooks", daemon=True)
            worker.start()
            self._workers.append(worker)

    def _work(self) -> None:
        with httpx2.Client(timeout=DELIVERY_TIMEOUT_S) as client:
            while True:
                job = self._queue.get()
                if job is None:
                    return
                try:
                    self._deliver(client, job)
                finally:
                    with self._idle:
                        self._in_flight -= 1
                        self._idle.notify_all()

    def _deliver(self, client: httpx2.Client, job: _Job) -> None:
        subscription = job.subscription
        resource, _, event = job.topic.partition(".")
        digest = hmac.new(subscription.secret.encode(), job.body, hashlib.sha256).digest()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": f"WooCommerce/{self._version} Hookshot (WordPress/{WORDPRESS_VERSION})",
            "X-WC-Webhook-Source": self.source_url,
            "X-WC-Webhook-Topic": job.topic,
            "X-WC-Webhook-Resource": resource,
            "X-WC-Webhook-Event": event,
            "X-WC-Webhook-Signature": base64.b64encode(digest).decode(),
            "X-WC-Webhook-ID": str(subscription.id),
            "X-WC-Webhook-Delivery-ID": job.delivery_id,
        }
        sent = self._record(job)
        started = time.perf_counter()
        try:
            response = client.post(subscription.delivery_url, content=job.body, headers=headers)
            sent.status_code = response.status_code
            ok = 200 <= response.status_code < 300
        except httpx2.HTTPError as exc:
            sent.error = type(exc).__name__
            ok = False
        sent.answer_seconds = time.perf_counter() - started
        with self._lock:
            self._keep(sent)
            if ok:
                subscription.failure_count = 0
            else:
                subscription.failure_count += 1
                if subscription.failure_count >= FAILURES_BEFORE_DISABLED:
                    subscription.status = "disabled"
