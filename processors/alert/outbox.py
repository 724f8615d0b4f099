"""Webhook deliveries as an outbox: policy-alerts is the record of what must still go out.

An alert for a watch with a webhook is stored with ``delivery: pending`` and a claim
(``claimed_by`` = host:pid of the process that stored it, ``next_attempt_at`` = when the claim lapses).
That process POSTs it at once through the :class:`~processors.alert.webhook.WebhookDeliverer` (bounded
retries, the stable ``X-Policywatch-Alert`` id) and records the outcome (``delivered`` or ``failed``,
attempts, error, time) on the alert.

If the process dies first, the alert stays pending. Every alert process polls policy-alerts about once
a second for pending alerts whose claim has lapsed, or whose claimer was a process on this host that no
longer runs (a SIGKILLed stage restarted here is taken over at once, not after the lapse); it claims each
one with a compare-and-set update (``if_seq_no``), so two pollers never both take it, and delivers it.

Delivery is at least once: a process killed after the POST but before recording the outcome leaves the
alert pending, and it is sent again with the same id, for the receiver to drop.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from datetime import UTC, datetime, timedelta
from typing import Any

from processors.alert.webhook import DeliveryResult, WebhookDeliverer
from schemas import Alert

logger = logging.getLogger(__name__)

Recorder = Callable[[DeliveryResult], None]
Resolver = Callable[[str], Any]  # watch name -> the Watch (None: gone); its webhook and webhook secret


def process_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def claimer_is_dead_here(claimed_by: str | None, host: str | None = None) -> bool:
    """True when ``claimed_by`` names a process on this host that no longer runs."""
    if not claimed_by or ":" not in claimed_by:
        return False
    claim_host, _, pid = claimed_by.rpartition(":")
    if claim_host != (host or socket.gethostname()) or not pid.isdigit():
        return False
    return int(pid) != os.getpid() and not _pid_alive(int(pid))


def _body(resp: Any) -> Any:
    return resp.body if hasattr(resp, "body") else resp


class Outbox:
    """Delivers stored alerts; ``submit`` never blocks on the network."""

    def __init__(self, es: Any, alerts_index: str, record: Recorder, resolve: Resolver, *,
                 timeout_s: float = 5.0, attempts: int = 3, backoff_s: float = 0.5, workers: int = 4,
                 poll_s: float = 1.0, batch: int = 200, allow_private: bool = False,
                 secret: str | None = None) -> None:
        self.es = es
        self.alerts_index = alerts_index
        self._record = record
        self._resolve = resolve
        self._poll_s = poll_s
        self._batch = batch
        # A claim outlives the longest delivery (every attempt timing out, plus the backoffs).
        self.lease_s = attempts * timeout_s + backoff_s * (2 ** attempts) + 5.0
        self.owner = process_id()
        self.webhooks = WebhookDeliverer(self._recorded, timeout_s=timeout_s, attempts=attempts,
                                         backoff_s=backoff_s, workers=workers, allow_private=allow_private,
                                         secret=secret)
        self._lock = threading.Lock()
        self._inflight: set[str] = set()
        self._stop = threading.Event()
        self._poller: threading.Thread | None = None
        self._poll_failing = False
        self.taken_over = 0

    # -- claims ----------------------------------------------------------------------------------
    def claim_fields(self) -> dict[str, Any]:
        """Fields an alert is stored with when this process will deliver it."""
        lapse = datetime.now(UTC) + timedelta(seconds=self.lease_s)
        return {"claimed_by": self.owner, "next_attempt_at": lapse.isoformat()}

    @property
    def pending(self) -> int:
        return len(self._inflight)

    def submit(self, url: str, body: dict[str, Any], alert_id: str,
               **options: Any) -> Future[DeliveryResult] | None:
        """Deliver an alert this process has claimed (just stored, or taken over). ``options`` go to
        the deliverer (a watch's own webhook secret)."""
        with self._lock:
            if alert_id in self._inflight:
                return None
            self._inflight.add(alert_id)
        future = self.webhooks.submit(url, body, alert_id, **options)
        if future is None:  # the deliverer's queue is full: the claim lapses and a poll retries it
            with self._lock:
                self._inflight.discard(alert_id)
        return future

    def _recorded(self, result: DeliveryResult) -> None:
        try:
            self._record(result)
        except Exception as exc:  # the alert stays pending; its claim lapses and it is sent again
            logger.warning("could not record the delivery of alert %s (%s); it will be retried",
                           result.alert_id, type(exc).__name__)
        finally:
            with self._lock:
                self._inflight.discard(result.alert_id)

    # -- the poller ------------------------------------------------------------------------------
    def start(self) -> None:
        if self._poller is None:
            self._poller = threading.Thread(target=self._poll_forever, name="outbox-poll", daemon=True)
            self._poller.start()

    def _poll_forever(self) -> None:
        while not self._stop.wait(self._poll_s):
            try:
                self.poll_once()
                if self._poll_failing:
                    logger.info("outbox: policy-alerts reachable again")
                self._poll_failing = False
            except Exception as exc:
                if not self._poll_failing:
                    logger.warning("outbox: cannot read pending alerts (%s); retrying every %.0f s",
                                   type(exc).__name__, self._poll_s)
                self._poll_failing = True

    def due(self) -> list[dict[str, Any]]:
        """Pending alerts whose claim lapsed or whose claimer on this host is gone."""
        host = socket.gethostname()
        resp = _body(self.es.search(
            index=self.alerts_index, size=self._batch, seq_no_primary_term=True,
            sort=[{"matched_at": "asc"}],
            query={"bool": {
                "filter": [{"term": {"delivery": "pending"}}],
                "should": [{"range": {"next_attempt_at": {"lte": "now"}}},
                           {"bool": {"must_not": {"exists": {"field": "next_attempt_at"}}}},
                           {"prefix": {"claimed_by": f"{host}:"}}],
                "minimum_should_match": 1,
            }},
        ))
        now = datetime.now(UTC)
        out = []
        for hit in resp["hits"]["hits"]:
            src = hit["_source"]
            lapse = src.get("next_attempt_at")
            lapsed = lapse is None or datetime.fromisoformat(lapse) <= now
            orphan = claimer_is_dead_here(src.get("claimed_by"), host)
            if hit["_id"] in self._inflight or not (lapsed or orphan):
                continue
            out.append(hit)
        return out

    def poll_once(self) -> int:
        """Claim and submit every due alert; returns how many were taken."""
        taken = 0
        for hit in self.due():
            src = hit["_source"]
            watch = self._resolve(src.get("watch", ""))
            url = getattr(watch, "webhook", None) if watch is not None else None
            try:
                if not url:
                    self.es.update(index=self.alerts_index, id=hit["_id"], if_seq_no=hit["_seq_no"],
                                   if_primary_term=hit["_primary_term"],
                                   doc={"delivery": "failed", "delivery_error": "watch or webhook removed"})
                    continue
                self.es.update(index=self.alerts_index, id=hit["_id"], if_seq_no=hit["_seq_no"],
                               if_primary_term=hit["_primary_term"], doc=self.claim_fields())
            except Exception as exc:
                if getattr(getattr(exc, "meta", None), "status", None) == 409:
                    continue  # another process claimed it first
                raise
            body = {k: v for k, v in src.items() if k in Alert.model_fields}
            secret = getattr(watch, "webhook_secret", None)
            if self.submit(url, body, hit["_id"], **({"secret": secret} if secret else {})) is not None:
                taken += 1
        if taken:
            self.taken_over += taken
            logger.info("outbox: %d pending webhooks taken over", taken)
        return taken

    # -- shutdown --------------------------------------------------------------------------------
    def drain(self, timeout_s: float = 30.0) -> bool:
        """Wait until nothing is in flight in this process; False on timeout."""
        deadline = time.monotonic() + timeout_s
        while self._inflight and time.monotonic() < deadline:
            time.sleep(0.02)
        return not self._inflight

    def close(self, *, wait: bool = True) -> None:
        self._stop.set()
        if self._poller is not None:
            self._poller.join(timeout=self._poll_s + 5)
        self.webhooks.close(wait=wait)
