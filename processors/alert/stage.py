"""The alert stage as a runner stage on policy.indexed.v1 (its own consumer group: documents the index
stage has had acknowledged by Elasticsearch), and the Kafka publisher of its Alerts. The matching and
firing are ``processors.alert.engine``; webhook delivery is ``processors.alert.outbox``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from policywatch.core.errors import ProcessingError, ServiceUnavailable, is_transient
from processors.alert.engine import STAGE, AlertStage, AlertStoreError, BatchReport
from processors.runner import Result
from schemas import ALERTS_TOPIC, INDEXED_TOPIC, Alert, IndexedDocument

logger = logging.getLogger(__name__)


class KafkaAlertPublisher:
    """Produces Alerts to policy.alerts.v1 keyed by alert_id and waits until every send is acknowledged."""

    def __init__(self, producer: Any, topic: str = ALERTS_TOPIC, ack_timeout_s: float = 60.0) -> None:
        self.producer = producer
        self.topic = topic
        self.ack_timeout_s = ack_timeout_s

    def __call__(self, alerts: Sequence[Alert]) -> None:
        futures = [self.producer.send(self.topic, key=a.alert_id.encode(), value=a.model_dump_json().encode())
                   for a in alerts]
        self.producer.flush(timeout=self.ack_timeout_s)
        for f in futures:
            try:
                f.get(timeout=self.ack_timeout_s)
            except Exception as exc:
                raise ServiceUnavailable(f"policy.alerts.v1 did not acknowledge an alert: {exc}") from exc

    def close(self) -> None:
        self.producer.close(timeout=10)


class AlertRunnerStage:
    """The alert stage as a `processors.runner` Stage on policy.indexed.v1 (its own consumer group).

    It writes its own outputs (policy.alerts.v1 and policy-alerts) inside `handle`, before the runner
    commits the input offsets, so it returns no Kafka outputs of its own."""

    name = STAGE
    input_topic = INDEXED_TOPIC  # the default; an instance may read another topic
    input_model = IndexedDocument

    def __init__(self, alert_stage: AlertStage, *, input_topic: str = INDEXED_TOPIC) -> None:
        self.alert_stage = alert_stage
        self.input_topic = input_topic
        self.last_report: BatchReport | None = None

    def open(self) -> None:
        """Before the first batch: start the outbox's poller (it takes over webhooks an earlier or a
        dead process left pending, at once for a process of this host, else once its claim lapsed)."""
        self.alert_stage.start_outbox()
        swept = self.alert_stage.sweep_channels()
        if swept:
            logger.info("alert: %d channel deliveries left pending by an earlier run resubmitted", swept)

    def close(self) -> None:
        """Wait for webhooks in flight (whatever is left stays pending in the outbox) and stop."""
        self.alert_stage.close()

    def handle(self, batch: Sequence[IndexedDocument]) -> list[Result]:
        if not batch:
            return []
        docs = [event.document for event in batch]
        try:
            report = self.alert_stage.handle_batch(docs)
        except ServiceUnavailable:
            raise
        except Exception as exc:
            if is_transient(exc) or isinstance(exc, AlertStoreError):
                raise ServiceUnavailable(f"alert stage: {exc}") from exc
            raise
        self.last_report = report
        missing = set(report.missing)
        gone = f"was indexed but is no longer in {self.alert_stage.config.docs_index}; no watch ran on it"
        results: list[Result] = [
            ProcessingError(f"{doc.doc_id} {gone}") if doc.doc_id in missing else [] for doc in docs
        ]
        if report.new_alerts or report.watch_errors:
            logger.info("alert: %d docs, %d searches, %d matches, %d new alerts, %d webhooks in %.2f s",
                        report.docs, report.searches, report.matches, report.new_alerts, report.webhooks,
                        report.seconds)
        return results
