"""Running a crawl in this process (one Twisted reactor per process) with a given Runtime.

The runtime (sink and status store) is built by `policywatch.bootstrap.build_crawl_runtime`; the
entry points (a fresh subprocess per crawl, the CLI, Airflow) are in `policywatch.crawl`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass

from crawlers.report import CrawlReport, SourceRun
from crawlers.sinks import Sink
from crawlers.sources import Source, SourcesFile
from crawlers.status import StatusStore
from policywatch.core.errors import PolicywatchError
from policywatch.core.redact import install_log_redaction

logger = logging.getLogger(__name__)

Progress = Callable[[SourceRun], None]


@dataclass
class Runtime:
    """What every spider of one crawl shares: where documents go and where crawl status lives."""

    sink: Sink
    status_store: StatusStore


def _offline_public_suffix_list() -> None:
    """Scrapy's cookie middleware uses tldextract, which downloads the public suffix list on first use.
    Use the snapshot bundled with tldextract instead: a crawl sends requests to its sources only."""
    from scrapy.downloadermiddlewares import cookies
    from tldextract import TLDExtract

    cookies._split_domain = TLDExtract(suffix_list_urls=(), include_psl_private_domains=True)


def run_crawl(
    sources: list[Source],
    *,
    runtime: Runtime,
    allow_loopback: bool = False,
    polite: bool = True,
    on_progress: Progress | None = None,
    log_level: str = "WARNING",
) -> CrawlReport:
    """Crawl `sources` concurrently in this process and return per-source reports.

    Starts the Twisted reactor, which cannot be restarted: call this at most once per process
    (use `crawl(..., isolated=True)` to run again).
    """
    from scrapy.crawler import CrawlerProcess

    from crawlers.observability import configure_logging
    from crawlers.resolver import POLICY_SETTING, AddressPolicy
    from crawlers.settings import BASE_SETTINGS, settings_for
    from crawlers.spiders import spider_for

    _offline_public_suffix_list()
    policy = AddressPolicy.for_sources(sources, allow_loopback=allow_loopback)
    configure_logging(log_level)  # structlog (JSON off a terminal) from Scrapy's first line on
    process = CrawlerProcess({**BASE_SETTINGS, "LOG_LEVEL": log_level, "LOG_INSTALL_ROOT_HANDLER": False,
                              POLICY_SETTING: policy.to_setting()})
    install_log_redaction()  # on the root handler configure_logging installed
    runs: dict[str, SourceRun] = {}
    for source in sources:
        run = SourceRun(
            source=source,
            known=runtime.status_store.load(source.id),
            allow_loopback=allow_loopback,
            on_progress=on_progress,
        )
        runs[source.id] = run
        base = spider_for(source)
        spider_cls = type(
            f"{base.__name__}_{source.id}", (base,), {"custom_settings": settings_for(source, polite=polite)}
        )
        process.crawl(spider_cls, source=source, run=run, runtime=runtime)
    process.start()
    return CrawlReport(sources={sid: run.report() for sid, run in runs.items()})


def select(sources_file: SourcesFile, source_ids: list[str] | None) -> list[Source]:
    """The sources to crawl: the named ones, or every enabled one when None."""
    selected = sources_file.select(source_ids)
    if not selected:
        raise PolicywatchError(
            "no enabled sources to crawl; name sources explicitly or enable some in sources.yaml"
        )
    return selected


def report_json(report: CrawlReport) -> str:
    return json.dumps(
        {sid: r.model_dump(mode="json") for sid, r in report.sources.items()}, ensure_ascii=False
    )
