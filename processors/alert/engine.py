"""The alert engine: match each batch of new documents against every enabled watch.

Input is policy.indexed.v1: the index stage publishes a document there only once Elasticsearch has
acknowledged it, so this stage never runs ahead of the index. A watch finds a document only after a
refresh, so the engine polls `_search` on the batch's ids and matches each document as soon as it is
searchable (within the refresh interval). A document still not searchable after `searchable_timeout_s`
is looked up directly: if Elasticsearch has it, the batch is retried as an outage (nothing is skipped);
if it is gone (deleted since), that message is dead-lettered with the reason.

Per batch: pre-filter watches in Python -> one `_msearch` (chunked) with every candidate watch, each
restricted to the batch ids and to documents indexed after the watch was created -> drop alerts that
already exist -> produce Alerts to policy.alerts.v1 (flushed) -> `create` them in policy-alerts
(`_id` = sha256(watch + doc_id); a conflict means another worker got there first) -> hand webhooks to the
outbox (processors/alert/outbox.py: every stored alert is delivered at least once, also after a crash).
Input offsets are committed after that, so a crash repeats the batch and the existence check plus
`op_type=create` keep one alert per (watch, document).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from policywatch.core.errors import PolicywatchError, ServiceUnavailable
from policywatch.search.watches import Watch, WatchStore
from processors.alert.delivery import ChannelDeliverer, ChannelResult, outcome_fields, pending_fields
from processors.alert.matcher import (
    BatchDoc,
    Candidate,
    Match,
    candidates,
    group_candidates,
    group_lines,
    msearch_lines,
    parse_group_msearch,
    parse_msearch,
    snippets,
)
from processors.alert.outbox import Outbox
from processors.alert.webhook import DeliveryResult
from schemas import Alert, ExtractedDocument
from schemas.indices import ALERTS_INDEX, DOCS_INDEX, WATCHES_INDEX

logger = logging.getLogger(__name__)

DOCS_ALIAS = DOCS_INDEX
STAGE = "alert"


def one_per_cluster(matches: Sequence[Match]) -> dict[str, Match]:
    """One match per alert id, i.e. per (watch, cluster): a report and its reposts in one batch fire once,
    for the first copy when it is among them (else for the first repost seen)."""
    unique: dict[str, Match] = {}
    for m in matches:
        held = unique.get(m.alert_id)
        if held is None or (m.doc_id == m.cluster_id and held.doc_id != held.cluster_id):
            unique[m.alert_id] = m
    return unique


class AlertStoreError(PolicywatchError):
    """policy-alerts refused alerts (not a conflict): the batch is retried."""


Publisher = Callable[[Sequence[Alert]], None]  # produce and flush; raises when not acknowledged


@dataclass(slots=True)
class StageConfig:
    docs_index: str = DOCS_ALIAS
    alerts_index: str = ALERTS_INDEX
    watches_index: str = WATCHES_INDEX
    watch_ttl_s: float = 5.0  # how stale the cached watch list may be
    poll_s: float = 0.1  # how often to look for batch documents that are not searchable yet
    searchable_timeout_s: float = 30.0  # then: stored -> retry the batch (outage); gone -> dead-letter
    msearch_chunk: int = 500
    prefilter: bool = True
    es_highlight: bool = False  # True: snippets from the Elasticsearch highlighter (slower, see matcher)
    group_size: int = 50  # watches per search (named clauses); 1 = one search per watch
    webhook_timeout_s: float = 5.0
    webhook_attempts: int = 3
    webhook_backoff_s: float = 0.5
    webhook_workers: int = 4
    outbox_poll_s: float = 1.0  # how often pending alerts of dead or lapsed claims are looked for
    sweep_after_s: float = 300.0  # channel deliveries still pending this long are resubmitted at start
    webhook_allow_private: bool = False  # POLICYWATCH_WEBHOOK_ALLOW_PRIVATE (bootstrap sets it)
    webhook_secret: str | None = None  # POLICYWATCH_WEBHOOK_SECRET (bootstrap sets it)


@dataclass(slots=True)
class BatchReport:
    docs: int = 0
    searchable: int = 0
    missing: list[str] = field(default_factory=list)
    watches: int = 0
    searches: int = 0
    matches: int = 0
    new_alerts: int = 0
    duplicates: int = 0
    watch_errors: int = 0
    webhooks: int = 0
    fired_at: dict[str, float] = field(default_factory=dict)  # alert_id -> time.time() when created
    fired_docs: dict[str, str] = field(default_factory=dict)  # alert_id -> doc_id
    seconds: float = 0.0
    waited_s: float = 0.0  # of `seconds`, spent waiting for documents to become searchable


def _body(resp: Any) -> Any:
    return resp.body if hasattr(resp, "body") else resp


class AlertStage:
    def __init__(
        self,
        es: Any,
        publish: Publisher,
        config: StageConfig | None = None,
        *,
        deliverer: Any = None,
        channels: ChannelDeliverer | None = None,
    ) -> None:
        self.es = es
        self.publish = publish
        self.config = config or StageConfig()
        self.store = WatchStore(es, self.config.watches_index)
        # The outbox delivers what fire() stores at once; its poller (started by start_outbox(), from the
        # runner stage's open()) takes over what a dead process left pending.
        self.deliverer = deliverer or Outbox(
            es, self.config.alerts_index, self.record_delivery, self._watch_of,
            timeout_s=self.config.webhook_timeout_s, attempts=self.config.webhook_attempts,
            backoff_s=self.config.webhook_backoff_s, workers=self.config.webhook_workers,
            poll_s=self.config.outbox_poll_s, allow_private=self.config.webhook_allow_private,
            secret=self.config.webhook_secret,
        )
        self.channels = channels or ChannelDeliverer(self.record_channels,
                                                     allow_private=self.config.webhook_allow_private)
        self._watches: list[Watch] = []
        self._watches_at = float("-inf")

    # --- watches -------------------------------------------------------------------------------

    def watches(self) -> list[Watch]:
        if time.monotonic() - self._watches_at > self.config.watch_ttl_s:
            self._watches = self.store.list(enabled_only=True)
            self._watches_at = time.monotonic()
        return self._watches

    def invalidate_watches(self) -> None:
        self._watches_at = float("-inf")

    def _watch_of(self, watch_name: str) -> Watch | None:
        return self.store.get(watch_name)

    def start_outbox(self) -> None:
        """Start polling policy-alerts for deliveries a dead or stuck process left pending."""
        start = getattr(self.deliverer, "start", None)
        if start is not None:
            start()

    # --- the batch -----------------------------------------------------------------------------

    def searchable(self, doc_ids: Sequence[str]) -> set[str]:
        """Which of `doc_ids` a search finds now (refreshed), not merely stored."""
        if not doc_ids:
            return set()
        resp = _body(self.es.search(index=self.config.docs_index, query={"ids": {"values": list(doc_ids)}},
                                    size=len(doc_ids), source=False, track_total_hits=False))
        return {h["_id"] for h in resp["hits"]["hits"]}

    def stored(self, doc_ids: Sequence[str]) -> set[str]:
        """Which of `doc_ids` Elasticsearch has (a realtime get: searchable or not)."""
        if not doc_ids:
            return set()
        resp = _body(self.es.mget(index=self.config.docs_index, ids=list(doc_ids), source=False))
        return {d["_id"] for d in resp["docs"] if d.get("found")}

    def handle_batch(self, docs: Sequence[ExtractedDocument]) -> BatchReport:
        """Match the batch and fire its alerts; returns when every alert is produced and stored.

        Documents Elasticsearch has but a search does not find yet raise ServiceUnavailable after
        `searchable_timeout_s` (the batch is retried); documents it no longer has are listed in
        `report.missing` (the runner dead-letters their messages)."""
        started = time.monotonic()
        report = BatchReport()
        by_id: dict[str, BatchDoc] = {}
        for doc in docs:
            by_id[doc.doc_id] = BatchDoc.from_extracted(doc)  # the last version in the batch wins
        report.docs = len(by_id)
        pending = set(by_id)
        deadline = started + self.config.searchable_timeout_s
        while pending:
            found = self.searchable(sorted(pending)) & pending
            if found:
                self._match([by_id[i] for i in sorted(found)], report)
                pending -= found
                report.searchable += len(found)
            if not pending:
                break
            if time.monotonic() >= deadline:
                there = self.stored(sorted(pending))
                if there:
                    raise ServiceUnavailable(
                        f"{len(there)} acknowledged documents not searchable in {self.config.docs_index} "
                        f"after {self.config.searchable_timeout_s:.0f} s (refresh stalled?)")
                report.missing = sorted(pending)
                break
            time.sleep(self.config.poll_s)
            report.waited_s += self.config.poll_s
        report.seconds = time.monotonic() - started
        return report

    def match(self, docs: Sequence[BatchDoc]) -> tuple[list[Match], list[Candidate], int]:
        """Matches of `docs` (already searchable) against the enabled watches, via `_msearch`;
        also the candidate searches run and how many of them failed."""
        cands = candidates(self.watches(), docs, prefilter=self.config.prefilter)
        matches: list[Match] = []
        n_errors = 0
        chunk = self.config.msearch_chunk
        grouped = self.config.group_size > 1 and not self.config.es_highlight
        units: Sequence[Any] = group_candidates(cands, self.config.group_size) if grouped else cands
        for start in range(0, len(units), chunk):
            part = units[start:start + chunk]
            if grouped:
                resp = _body(self.es.msearch(searches=group_lines(part, self.config.docs_index)))
                found, errors = parse_group_msearch(part, resp["responses"])
                if errors:  # one bad watch fails its group: run that group's watches one by one
                    failed = {w.name for w, _ in errors}
                    single = [c for c in cands if c.watch.name in failed]
                    resp = _body(self.es.msearch(searches=msearch_lines(single, self.config.docs_index)))
                    more, errors = parse_msearch(single, resp["responses"])
                    found.extend(more)
            else:
                lines = msearch_lines(part, self.config.docs_index, highlight=self.config.es_highlight)
                resp = _body(self.es.msearch(searches=lines))
                found, errors = parse_msearch(part, resp["responses"])
            batch = {d.doc_id: d for d in docs}
            for m in found:
                doc = batch.get(m.doc_id)
                if doc is None:
                    continue
                m.cluster_id = doc.cluster_id
                if not self.config.es_highlight:
                    m.source = doc.source
                    m.highlights = snippets(doc.text, m.watch.query)
            matches.extend(found)
            for watch, reason in errors:
                logger.error("alert: watch %r failed to run and was skipped: %s", watch.name, reason)
            n_errors += len(errors)
        return matches, cands, n_errors

    def _match(self, docs: list[BatchDoc], report: BatchReport) -> None:
        matches, cands, n_errors = self.match(docs)
        report.watches = len(self._watches)
        report.searches += len(cands)
        report.matches += len(matches)
        report.watch_errors += n_errors
        if matches:
            self.fire(matches, report)

    def existing(self, ids: Sequence[str]) -> set[str]:
        if not ids:
            return set()
        resp = _body(self.es.mget(index=self.config.alerts_index, ids=list(ids), source=False))
        return {d["_id"] for d in resp["docs"] if d.get("found")}

    def fire(self, matches: Sequence[Match], report: BatchReport) -> None:
        unique = one_per_cluster(matches)
        already = self.existing(list(unique))
        report.duplicates += len(already)
        fresh = [m for aid, m in unique.items() if aid not in already]
        if not fresh:
            return
        alerts = [m.to_alert() for m in fresh]
        self.publish(alerts)  # at-least-once: before the create, so a crash in between repeats the produce

        ops: list[dict[str, Any]] = []
        watches = {m.alert_id: m.watch for m in fresh}
        claim = getattr(self.deliverer, "claim_fields", dict)  # stored claimed by this process
        for alert in alerts:
            ops.append({"create": {"_index": self.config.alerts_index, "_id": alert.alert_id}})
            extra = claim() if alert.delivery == "pending" else {}
            ops.append({**alert.model_dump(mode="json"), "delivery_attempts": 0,
                        **pending_fields(watches[alert.alert_id]), **extra})
        resp = _body(self.es.bulk(operations=ops, refresh=False))
        created: set[str] = set()
        failures: list[str] = []
        for item in resp["items"]:
            res = item["create"]
            if res.get("status") in (200, 201):
                created.add(res["_id"])
            elif res.get("status") == 409:
                report.duplicates += 1
            else:
                failures.append(f"{res.get('_id')}: {res.get('error')}")
        if failures:
            # Transient or mapping trouble: fail the batch so the runner retries it; created ones stay.
            raise AlertStoreError(f"policy-alerts refused {len(failures)} alerts: {failures[0]}")
        now = time.time()
        by_id = {m.alert_id: m for m in fresh}
        for alert in alerts:
            if alert.alert_id not in created:
                continue
            report.new_alerts += 1
            report.fired_at[alert.alert_id] = now
            report.fired_docs[alert.alert_id] = alert.doc_id
            watch = by_id[alert.alert_id].watch
            self.deliver_channels(watch, alert)
            if watch.webhook and watch.digest == "off":
                report.webhooks += 1
                self.deliverer.submit(watch.webhook, alert.model_dump(mode="json"), alert.alert_id,
                                      secret=watch.webhook_secret)

    # --- deliveries ----------------------------------------------------------------------------

    def deliver_channels(self, watch: Watch, alert: Alert) -> None:
        """Hand the alert to the watch's apprise channels (not for daily-digest watches)."""
        if watch.notify and watch.digest == "off":
            self.channels.submit(alert.alert_id, watch.notify, alert.model_dump(mode="json"))

    def record_channels(self, alert_id: str, results: list[ChannelResult]) -> None:
        self.es.update(index=self.config.alerts_index, id=alert_id, doc=outcome_fields(results),
                       retry_on_conflict=3)

    def record_delivery(self, result: DeliveryResult) -> None:
        doc = {
            "delivery": "delivered" if result.delivered else "failed",
            "delivery_error": result.error,
            "delivery_attempts": result.attempts,
            "delivered_at": datetime.now(UTC).isoformat() if result.delivered else None,
            "delivery_status": result.status,
            "claimed_by": None,
            "next_attempt_at": None,
        }
        self.es.update(index=self.config.alerts_index, id=result.alert_id, doc=doc, retry_on_conflict=3)

    def sweep_channels(self) -> int:
        """Resubmit the channel deliveries of alerts an earlier process stored but never delivered
        (`channels: pending` for longer than `sweep_after_s`)."""
        cutoff = (datetime.now(UTC) - timedelta(seconds=self.config.sweep_after_s)).isoformat()
        try:
            resp = _body(self.es.search(index=self.config.alerts_index, size=1000, query={"bool": {"filter": [
                {"term": {"channels": "pending"}}, {"range": {"matched_at": {"lte": cutoff}}}]}}))
        except Exception:  # a missing index or a hiccup: nothing to sweep now
            logger.debug("alert: channel sweep skipped", exc_info=True)
            return 0
        n = 0
        for hit in resp["hits"]["hits"]:
            watch = self.store.get(hit["_source"].get("watch", ""))
            if watch is None or not watch.notify:
                self.es.update(index=self.config.alerts_index, id=hit["_id"],
                               doc={"channels": "failed", "channel_error": "watch or channels removed"})
                continue
            self.channels.submit(hit["_id"], watch.notify, hit["_source"])
            n += 1
        return n

    def close(self) -> None:
        self.deliverer.drain(timeout_s=self.config.webhook_timeout_s * self.config.webhook_attempts + 5)
        self.deliverer.close()
        self.channels.drain()
        self.channels.close()
