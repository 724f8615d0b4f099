"""Running a crawl in this process (one Twisted reactor per process) with a given Runtime.

The runtime (sink and status store) is built by `policywatch.bootstrap.build_crawl_runtime`; the
entry points (a fresh subprocess per crawl, the CLI, Airflow) are in `policywatch.crawl`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from crawlers.report import RUN_SETTING, RUNTIME_SETTING, CrawlReport, Shared, SourceRun
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
    metrics_port: int | None = None  # first port tried for the crawl's Prometheus endpoint (None: off)


def _offline_public_suffix_list() -> None:
    """Scrapy's cookie middleware uses tldextract, which downloads the public suffix list on first use.
    Use the snapshot bundled with tldextract instead: a crawl sends requests to its sources only."""
    from scrapy.downloadermiddlewares import cookies
    from tldextract import TLDExtract

    cookies._split_domain = TLDExtract(suffix_list_urls=(), include_psl_private_domains=True)


def host_groups(sources: list[Source]) -> list[list[Source]]:
    """Sources grouped so that no two groups share a host: one politeness queue per host, across sources."""
    groups: list[list[Source]] = []
    host_group: dict[str, int] = {}
    for source in sources:
        hosts = {urlsplit(u).netloc.lower() for u in source.start_urls}
        hit = sorted({host_group[h] for h in hosts if h in host_group})
        if not hit:
            index = len(groups)
            groups.append([source])
        else:
            index = hit[0]
            groups[index].append(source)
            for other in hit[1:]:  # a source bridging two groups merges them
                groups[index].extend(groups[other])
                groups[other] = []
                for host, g in host_group.items():
                    if g == other:
                        host_group[host] = index
        for host in hosts:
            host_group[host] = index
    return [g for g in groups if g]


def run_crawl(
    sources: list[Source],
    *,
    runtime: Runtime,
    allow_loopback: bool = False,
    polite: bool = True,
    on_progress: Progress | None = None,
    log_level: str = "WARNING",
    prepare: Progress | None = None,
) -> CrawlReport:
    """Crawl `sources` in this process and return per-source reports (`prepare(run)` is called on each
    source's SourceRun before its crawl starts: `policywatch sources check` records steps that way).

    Sources on different hosts run concurrently; sources that share a host run one after another with
    the strictest delay and concurrency among them, so each host sees one politeness queue whatever
    the number of its sources.
    Starts the Twisted reactor, which cannot be restarted: call this at most once per process
    (use `crawl(..., isolated=True)` to run again).
    """
    from scrapy.crawler import Crawler, CrawlerProcess
    from scrapy.settings import Settings

    from crawlers.observability import configure_logging
    from crawlers.resolver import POLICY_SETTING, AddressPolicy
    from crawlers.settings import BASE_SETTINGS, host_politeness, settings_for
    from crawlers.spiders import spider_for

    _offline_public_suffix_list()
    policy = AddressPolicy.for_sources(sources, allow_loopback=allow_loopback)
    configure_logging(log_level)  # structlog (JSON off a terminal) from Scrapy's first line on
    process = CrawlerProcess({**BASE_SETTINGS, "LOG_LEVEL": log_level, "LOG_INSTALL_ROOT_HANDLER": False,
                              POLICY_SETTING: policy.to_setting()})
    install_log_redaction()  # on the root handler configure_logging installed
    # Scrapy's logging config sets its loggers to DEBUG, so every response and item built a "Crawled"
    # and a "Scraped" record that the handler then dropped; let the level decide before that.
    logging.getLogger("scrapy").setLevel(log_level)
    runs: dict[str, SourceRun] = {}
    reactor_pending = [True]  # the first Crawler installs the reactor, as CrawlerProcess's own would

    def crawler_for(source: Source, host: tuple[float, int] | None) -> Crawler:
        run = SourceRun(
            source=source,
            known=runtime.status_store.load(source.id),
            allow_loopback=allow_loopback,
            on_progress=on_progress,
        )
        runs[source.id] = run
        if prepare is not None:
            prepare(run)
        settings = Settings({**BASE_SETTINGS, "LOG_LEVEL": log_level,
                             "POLICYWATCH_METRICS_PORT": runtime.metrics_port or 0})
        settings.setdict(settings_for(source, polite=polite, host=host), priority="spider")
        settings.set(RUN_SETTING, Shared(run), priority="spider")
        settings.set(RUNTIME_SETTING, Shared(runtime), priority="spider")
        init_reactor, reactor_pending[0] = reactor_pending[0], False
        return Crawler(spider_for(source), settings, init_reactor=init_reactor)

    def chain(group: list[Source]):
        host = host_politeness(group) if len(group) > 1 else None
        deferred = process.crawl(crawler_for(group[0], host))
        for source in group[1:]:
            deferred.addBoth(lambda _, s=source: process.crawl(crawler_for(s, host)))
        return deferred

    for group in host_groups(sources):
        chain(group)
    process.start()
    return CrawlReport(
        sources={
            sid: (run.final_report or run.report()) for sid, run in runs.items()
        }
    )


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
