"""Item pipelines: drop what is not new, publish the rest, record what was published.

A page's crawl-status record is written only after Kafka acknowledged its message (at-least-once:
a crash before the ack means the page is fetched and emitted again next run, never lost).
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy.exceptions import DropItem

logger = logging.getLogger(__name__)


class NewOnlyPipeline:
    """Drops unchanged pages and anything already emitted in this run (zero duplicates)."""

    def __init__(self, crawler) -> None:
        self.crawler = crawler
        self._seen: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_item(self, item: dict[str, Any], spider=None) -> dict[str, Any]:
        doc = item["doc"]
        if item["outcome"] not in ("new", "changed"):
            raise DropItem(f"{doc.url}: {item['outcome']}")
        if doc.doc_id in self._seen:
            raise DropItem(f"{doc.url}: already emitted in this run")
        self._seen.add(doc.doc_id)
        return item


class PublishPipeline:
    """Sends each document to the run's sink (Kafka in production); flushes and records on close."""

    def __init__(self, crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_item(self, item: dict[str, Any], spider=None) -> dict[str, Any]:
        spider = self.crawler.spider
        run, sink = spider.run, spider.runtime.sink
        status, outcome = item["status"], item["outcome"]

        def on_ack() -> None:
            run.acked.append(status)
            run.count(outcome)

        sink.send(item["doc"], on_ack)
        return item

    def close_spider(self, spider=None) -> None:
        spider = self.crawler.spider
        run, runtime = spider.run, spider.runtime
        failed = runtime.sink.flush()
        if failed:
            run.count("failed", failed)
            run.fatal = f"{failed} documents were not acknowledged by the sink"
        runtime.status_store.save(list(run.acked) + list(run.touched))
        report = run.report()
        runtime.status_store.save_run(
            {
                "source_id": report.source_id,
                "run_id": report.run_id,
                "started_at": report.started_at.isoformat() if report.started_at else None,
                "finished_at": report.finished_at.isoformat() if report.finished_at else None,
                "status": report.status,
                "message": report.message,
                "counts": report.counts.model_dump(),
            }
        )
