"""Webhook delivery off the stage's critical path: a small thread pool POSTs each alert with a timeout
and bounded retries with exponential backoff, then records the outcome through a callback (the stage
writes it to policy-alerts). A slow or failing endpoint costs a worker thread, never the stage.

Every body is sent as exact JSON bytes with a timestamp header and, when a secret is configured, an
HMAC signature (`processors.alert.signing`); connections go only to addresses checked at send time
(`processors.alert.guarded`), so a webhook can never reach a loopback, private or link-local service
unless POLICYWATCH_WEBHOOK_ALLOW_PRIVATE is set."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx

from policywatch.core.netpolicy import NON_PUBLIC, AddressRefused
from policywatch.core.redact import redact
from processors.alert.guarded import checked_transport
from processors.alert.signing import body_bytes, signed_headers

logger = logging.getLogger(__name__)

USER_AGENT = "policywatch-alerts/0.1"


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    alert_id: str
    delivered: bool
    attempts: int
    status: int | None
    error: str | None
    elapsed_s: float


Recorder = Callable[[DeliveryResult], None]


def post_with_retries(
    client: httpx.Client,
    url: str,
    body: dict[str, Any],
    *,
    alert_id: str,
    attempts: int = 3,
    backoff_s: float = 0.5,
    sleep: Callable[[float], None] = time.sleep,
    secret: str | None = None,
) -> DeliveryResult:
    """POST `body` as signed JSON; retry on connection errors, timeouts, 429 and 5xx; 4xx other than 429
    and a refused address are final."""
    start = time.monotonic()
    status: int | None = None
    error: str | None = None
    payload = body_bytes(body)
    for attempt in range(1, attempts + 1):
        headers = {"User-Agent": USER_AGENT, "X-Policywatch-Alert": alert_id,
                   "Content-Type": "application/json", **signed_headers(payload, secret)}
        try:
            resp = client.post(url, content=payload, headers=headers)
            status = resp.status_code
            if 200 <= status < 300:
                return DeliveryResult(alert_id, True, attempt, status, None, time.monotonic() - start)
            error = f"HTTP {status}"
            if 400 <= status < 500 and status != 429:
                return DeliveryResult(alert_id, False, attempt, status, error, time.monotonic() - start)
        except httpx.TimeoutException as exc:
            error = f"timeout: {type(exc).__name__}"
        except httpx.HTTPError as exc:
            error = redact(f"{type(exc).__name__}: {exc}")
        except AddressRefused as exc:
            error = f"refused: {exc}"
            if exc.kind != "unresolved":  # DNS trouble may pass; a private address will not
                return DeliveryResult(alert_id, False, attempt, None, error, time.monotonic() - start)
        if attempt < attempts:
            sleep(backoff_s * (2 ** (attempt - 1)))
    return DeliveryResult(alert_id, False, attempts, status, error, time.monotonic() - start)


class InFlight:
    """How many deliveries a background pool has accepted and not finished (webhooks and channels)."""

    def __init__(self) -> None:
        self._count = 0
        self._lock = threading.Lock()

    @property
    def count(self) -> int:
        return self._count

    def take(self, limit: int | None = None) -> bool:
        """Count one more; False (nothing counted) when `limit` are already in flight."""
        with self._lock:
            if limit is not None and self._count >= limit:
                return False
            self._count += 1
            return True

    def done(self) -> None:
        with self._lock:
            self._count -= 1

    def drain(self, timeout_s: float) -> bool:
        """Wait until nothing is in flight (tests, shutdown); False on timeout."""
        deadline = time.monotonic() + timeout_s
        while self._count and time.monotonic() < deadline:
            time.sleep(0.02)
        return not self._count


class WebhookDeliverer:
    """Delivers in the background; `submit` never blocks on the network."""

    def __init__(
        self,
        record: Recorder,
        *,
        timeout_s: float = 5.0,
        attempts: int = 3,
        backoff_s: float = 0.5,
        workers: int = 4,
        max_pending: int = 10_000,
        allow_private: bool = False,
        secret: str | None = None,
    ) -> None:
        """`allow_private` and `secret`: the deployment's POLICYWATCH_WEBHOOK_ALLOW_PRIVATE and _SECRET,
        handed down by the composition root (StageConfig)."""
        self._record = record
        self._attempts = attempts
        self._backoff_s = backoff_s
        self._max_pending = max_pending
        self._secret = secret  # the deployment's; a watch's own secret wins (submit)
        self._client = httpx.Client(timeout=httpx.Timeout(timeout_s), follow_redirects=False,
                                    transport=checked_transport(NON_PUBLIC if allow_private else ()))
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="webhook")
        self._inflight = InFlight()
        self.delivered = 0
        self.failed = 0
        self.dropped = 0

    @property
    def pending(self) -> int:
        return self._inflight.count

    def submit(self, url: str, body: dict[str, Any], alert_id: str,
               secret: str | None = None) -> Future[DeliveryResult] | None:
        if not self._inflight.take(self._max_pending):
            # Left as delivery=pending in policy-alerts; the stage's sweep retries it later.
            self.dropped += 1
            logger.warning("webhook queue full (%d); alert %s left pending", self._max_pending, alert_id)
            return None
        return self._pool.submit(self._deliver, url, body, alert_id, secret or self._secret)

    def _deliver(self, url: str, body: dict[str, Any], alert_id: str, secret: str | None) -> DeliveryResult:
        try:
            result = post_with_retries(self._client, url, body, alert_id=alert_id, attempts=self._attempts,
                                       backoff_s=self._backoff_s, secret=secret)
            if result.delivered:
                self.delivered += 1
            else:
                self.failed += 1
                logger.warning("webhook for alert %s failed after %d attempts: %s", alert_id,
                               result.attempts, result.error)
            try:
                self._record(result)
            except Exception:  # recording must not kill the worker; the alert stays pending and is swept
                logger.exception("could not record the delivery of alert %s", alert_id)
            return result
        finally:
            self._inflight.done()

    def drain(self, timeout_s: float = 30.0) -> bool:
        """Wait until nothing is pending (tests, shutdown); False on timeout."""
        return self._inflight.drain(timeout_s)

    def close(self, *, wait: bool = True) -> None:
        self._pool.shutdown(wait=wait, cancel_futures=not wait)
        self._client.close()
