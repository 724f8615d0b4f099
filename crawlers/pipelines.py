"""Item pipelines: drop what is not new, publish the rest, record what was published.

A page's crawl-status record is written only after Kafka acknowledged its message (at-least-once:
a crash before the ack means the page is fetched and emitted again next run, never lost). The sink
comes from `crawler.settings` (crawlers/report.py `runtime_of`); the run report and the status
records are written by crawlers/extensions.py when the spider closes.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy.exceptions import DropItem, NotConfigured

from crawlers.report import has_run, run_of, runtime_of

logger = logging.getLogger(__name__)


class NewOnlyPipeline:
    """Drops unchanged pages and anything already emitted in this run (zero duplicates)."""

    def __init__(self) -> None:
        self._seen: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler):
        if not has_run(crawler):
            raise NotConfigured("not a policywatch source crawl")
        return cls()

    def process_item(self, item: dict[str, Any], spider=None) -> dict[str, Any]:
        doc = item["doc"]
        if item["outcome"] not in ("new", "changed"):
            raise DropItem(f"{doc.url}: {item['outcome']}")
        if doc.doc_id in self._seen:
            raise DropItem(f"{doc.url}: already emitted in this run")
        self._seen.add(doc.doc_id)
        return item


class PublishPipeline:
    """Sends each document to the run's sink (Kafka in production); flushes it on close."""

    def __init__(self, crawler) -> None:
        self.run = run_of(crawler)
        self.sink = runtime_of(crawler).sink

    @classmethod
    def from_crawler(cls, crawler):
        if not has_run(crawler):
            raise NotConfigured("not a policywatch source crawl")
        return cls(crawler)

    def process_item(self, item: dict[str, Any], spider=None) -> dict[str, Any]:
        run = self.run
        status, outcome = item["status"], item["outcome"]

        def on_ack() -> None:
            run.acked.append(status)
            run.count(outcome)

        self.sink.send(item["doc"], on_ack)
        return item

    def close_spider(self, spider=None) -> None:
        failed = self.sink.flush()
        if failed:
            self.run.count("failed", failed)
            self.run.fatal = f"{failed} documents were not acknowledged by the sink"
