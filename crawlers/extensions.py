"""The run report as a Scrapy extension: counters in `crawler.stats`, the SourceReport and the
crawl-status records written on `spider_closed` (after the pipelines flushed the sink)."""

from __future__ import annotations

from scrapy import signals
from scrapy.exceptions import NotConfigured

from crawlers.report import has_run, run_of, runtime_of


class RunReport:
    def __init__(self, crawler) -> None:
        self.crawler = crawler
        self.run = run_of(crawler)
        self.run.bind_stats(crawler.stats)

    @classmethod
    def from_crawler(cls, crawler):
        if not has_run(crawler):
            raise NotConfigured("not a policywatch source crawl")
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_closed(self, spider, reason: str) -> None:
        run, store = self.run, runtime_of(self.crawler).status_store
        store.save(list(run.acked) + list(run.touched))
        report = run.report()
        run.final_report = report
        store.save_run(
            {
                "source_id": report.source_id,
                "run_id": report.run_id,
                "started_at": report.started_at.isoformat() if report.started_at else None,
                "finished_at": report.finished_at.isoformat() if report.finished_at else None,
                "status": report.status,
                "message": report.message,
                "first_error": report.first_error,
                "counts": report.counts.model_dump(),
            }
        )
