"""Crawler observability, as a Scrapy extension: per-source Prometheus metrics and structlog logs.

Enabled in crawlers/settings.py (``EXTENSIONS``). Metrics, labelled ``source`` (the source id):

- ``policywatch_crawl_pages_total`` HTTP responses; ``policywatch_crawl_items_total`` items passed on;
- ``policywatch_crawl_documents_total{outcome=new|changed|unchanged}``;
- ``policywatch_crawl_filtered_total`` list items dropped by the keyword filter;
- ``policywatch_crawl_blocked_total`` anti-crawler challenges or block pages;
- ``policywatch_crawl_errors_total{kind=failed_pages|download_exceptions|spider_exceptions|log_errors}``;
- ``policywatch_crawl_running`` (1 while the source crawls) and
  ``policywatch_crawl_last_finished_timestamp_seconds``.

Counts come from the spider's run record (``spider.run.counts``, the numbers of the crawl report) and
Scrapy's stats collector; they are synced every ``POLICYWATCH_METRICS_SYNC_S`` seconds (5) and when the
spider closes. The metrics are served over HTTP when a port is configured (Scrapy setting
``POLICYWATCH_METRICS_PORT``, else ``POLICYWATCH_CRAWL_METRICS_PORT``): on the first free one of that
port and the next three, so concurrent crawls on one host (Airflow's mapped tasks) each get one.

Logs: every stdlib log record (Scrapy's included) is rendered by structlog: JSON lines when stderr is not
a terminal (Airflow, containers, CI), readable key=value on a terminal.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Any

import structlog
from prometheus_client import Counter, Gauge, start_http_server

PORT_RANGE = 4
_labels = ["source"]
PAGES = Counter("policywatch_crawl_pages_total", "HTTP responses received", _labels)
ITEMS = Counter("policywatch_crawl_items_total", "Items passed on by the spider", _labels)
DOCUMENTS = Counter("policywatch_crawl_documents_total", "Documents by outcome", [*_labels, "outcome"])
FILTERED = Counter("policywatch_crawl_filtered_total", "List items dropped by the keyword filter", _labels)
BLOCKED = Counter("policywatch_crawl_blocked_total", "Anti-crawler challenges or block pages", _labels)
ERRORS = Counter("policywatch_crawl_errors_total", "Failures by kind", [*_labels, "kind"])
RUNNING = Gauge("policywatch_crawl_running", "1 while the source is being crawled", _labels)
FINISHED = Gauge("policywatch_crawl_last_finished_timestamp_seconds", "When the last crawl ended", _labels)

# (counter, extra labels, where the value comes from: "run:<count name>" or "stats:<stat key>")
_SERIES: list[tuple[Counter, dict[str, str], str]] = [
    (PAGES, {}, "run:pages"),
    (ITEMS, {}, "stats:item_scraped_count"),
    (DOCUMENTS, {"outcome": "new"}, "run:new"),
    (DOCUMENTS, {"outcome": "changed"}, "run:changed"),
    (DOCUMENTS, {"outcome": "unchanged"}, "run:unchanged"),
    (FILTERED, {}, "run:filtered"),
    (BLOCKED, {}, "run:blocked"),
    (ERRORS, {"kind": "failed_pages"}, "run:failed"),
    (ERRORS, {"kind": "download_exceptions"}, "stats:downloader/exception_count"),
    (ERRORS, {"kind": "spider_exceptions"}, "stats:spider_exceptions/*"),
    (ERRORS, {"kind": "log_errors"}, "stats:log_count/ERROR"),
]

_served_port: int | None = None
_logging_configured = False


def source_of(spider: Any) -> str:
    source = getattr(spider, "source", None)
    return getattr(source, "id", None) or spider.name


def read_value(spec: str, counts: dict[str, int], stats: dict[str, Any]) -> int:
    """The current value of one series (see ``_SERIES``) from the run counts and Scrapy's stats."""
    kind, _, key = spec.partition(":")
    if kind == "run":
        return int(counts.get(key, 0) or 0)
    if key.endswith("/*"):
        prefix = key[:-1]
        return sum(int(v) for k, v in stats.items() if k.startswith(prefix) and isinstance(v, int))
    return int(stats.get(key, 0) or 0)


def serve(port: int, attempts: int = PORT_RANGE) -> int | None:
    """Start the metrics server on the first free port of ``port``..``port+attempts-1`` (once per
    process); returns the port, or None when all are taken (the metrics are still counted)."""
    global _served_port
    if _served_port is not None:
        return _served_port
    for candidate in range(port, port + attempts):
        try:
            start_http_server(candidate)
        except OSError:
            continue
        _served_port = candidate
        return candidate
    structlog.get_logger(__name__).warning("crawl metrics not served: ports taken", first=port,
                                           last=port + attempts - 1)
    return None


def configure_logging(level: str | int | None = None, *, json: bool | None = None) -> None:
    """Route stdlib logging (Scrapy, Twisted, ours) through structlog's formatter, on the root handlers
    that exist (one on stderr if none), and structlog loggers to stdlib. ``level`` sets the root logger
    and its handlers (crawlers/run.py calls this before Scrapy logs anything, with Scrapy's own root
    handler off; the extension calls it again, a no-op, for other entry points)."""
    global _logging_configured
    if _logging_configured:
        return
    _logging_configured = True
    json = (not sys.stderr.isatty()) if json is None else json
    shared = [structlog.stdlib.add_log_level, structlog.stdlib.add_logger_name,
              structlog.processors.TimeStamper(fmt="iso", utc=True)]
    renderer = (structlog.processors.JSONRenderer(ensure_ascii=False) if json
                else structlog.dev.ConsoleRenderer(colors=False))
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*shared, structlog.stdlib.ExtraAdder()],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    structlog.processors.format_exc_info, renderer],
    )
    structlog.configure(
        processors=[structlog.contextvars.merge_contextvars, structlog.stdlib.filter_by_level, *shared,
                    structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        root.addHandler(handler)
    for handler in root.handlers:
        handler.setFormatter(formatter)
        if level is not None:
            handler.setLevel(level)
    if level is not None:
        root.setLevel(level)
    logging.captureWarnings(True)  # warnings too, as log records (py.warnings), not raw stderr text


class CrawlObservability:
    """The Scrapy extension: syncs the metrics above per spider and configures structlog logging."""

    def __init__(self, crawler: Any, port: int | None, sync_s: float) -> None:
        self.crawler = crawler
        self.port = port
        self.sync_s = sync_s
        self._last: dict[tuple[str, int], int] = {}  # (source, series index) -> value already counted
        self._loop: Any = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> CrawlObservability:
        from scrapy import signals

        port = crawler.settings.getint("POLICYWATCH_METRICS_PORT", 0) or None  # set by run_crawl
        ext = cls(crawler, port, crawler.settings.getfloat("POLICYWATCH_METRICS_SYNC_S", 5.0))
        configure_logging()
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider: Any) -> None:
        if self.port:
            serve(self.port)
        RUNNING.labels(source_of(spider)).set(1)
        from twisted.internet import task

        self._loop = task.LoopingCall(self.sync, spider)
        self._loop.start(self.sync_s, now=False)

    def spider_closed(self, spider: Any, reason: str = "") -> None:
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        self.sync(spider)
        source = source_of(spider)
        RUNNING.labels(source).set(0)
        FINISHED.labels(source).set(time.time())

    def sync(self, spider: Any) -> None:
        """Add what each series grew by since the last sync (counters only go up)."""
        source = source_of(spider)
        run = getattr(spider, "run", None)
        counts = dict(getattr(run, "counts", None) or {})
        stats = self.crawler.stats.get_stats()
        for i, (counter, labels, spec) in enumerate(_SERIES):
            value = read_value(spec, counts, stats)
            grown = value - self._last.get((source, i), 0)
            if grown > 0:
                counter.labels(source=source, **labels).inc(grown)
                self._last[(source, i)] = value
