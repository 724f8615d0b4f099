"""Structured logs (structlog) and Prometheus metrics shared by every stage process."""

from __future__ import annotations

import logging
import sys

import structlog
from prometheus_client import Counter, Gauge, Histogram, start_http_server

from policywatch.core.redact import install_log_redaction, structlog_redactor

PROCESSED = Counter("policywatch_stage_processed_total", "Input messages handled (outputs acked)", ["stage"])
FAILED = Counter("policywatch_stage_failed_total", "Failed attempts at a message", ["stage"])
DEAD_LETTERED = Counter("policywatch_stage_dead_lettered_total", "Messages sent to the DLQ", ["stage"])
SKIPPED = Counter("policywatch_stage_skipped_total", "Messages deliberately dropped", ["stage"])
TRANSIENT = Counter("policywatch_stage_transient_errors_total", "Retries after service errors", ["stage"])
BATCH_SECONDS = Histogram("policywatch_stage_batch_seconds", "Wall time per batch, poll to commit", ["stage"])
LATENCY = Histogram(
    "policywatch_stage_latency_seconds", "Input message append time to outputs acked", ["stage"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 30, 60, 300),
)
LAG = Gauge("policywatch_stage_lag", "Messages behind the end of the input partition", ["stage", "partition"])

_configured = False


def configure_logging(level: int = logging.INFO, *, json: bool | None = None) -> None:
    """JSON lines when not on a terminal (services, CI), readable key=value on a terminal."""
    global _configured
    if _configured:
        return
    _configured = True
    json = (not sys.stderr.isatty()) if json is None else json
    renderer = (structlog.processors.JSONRenderer(ensure_ascii=False) if json
                else structlog.dev.ConsoleRenderer())
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            structlog_redactor,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
    logging.basicConfig(level=max(level, logging.WARNING), stream=sys.stderr)
    install_log_redaction()
    # kafka-python logs its own reconnects and metadata refreshes (with tracebacks) at WARNING/ERROR; the
    # runner reports an unreachable broker itself, with what to do, so its chatter shows only at DEBUG.
    quiet = logging.DEBUG if level <= logging.DEBUG else logging.CRITICAL
    logging.getLogger("kafka").setLevel(quiet)
    # elastic_transport logs every internal retry with a traceback; during an Elasticsearch outage the
    # runner logs one line per batch retry with its backoff instead.
    logging.getLogger("elastic_transport").setLevel(quiet)


def serve_metrics(port: int | None) -> None:
    if port:
        start_http_server(port)
