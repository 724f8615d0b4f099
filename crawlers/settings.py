"""Scrapy settings shared by every source (also the project settings module named by scrapy.cfg, so
`scrapy list`, `scrapy shell`, `scrapy parse --spider KIND -a source=ID URL` work in the repository).
Per-source values (concurrency, delay, size caps) come from sources.yaml through `settings_for`."""

from __future__ import annotations

from importlib.util import find_spec
from typing import Any

from crawlers.sources import Source

BOT_NAME = "policywatch"
USER_AGENT = "Mozilla/5.0 (compatible; policywatch/0.1; government publication monitor)"
SPIDER_MODULES = ["crawlers.spiders.list", "crawlers.spiders.hanweb", "crawlers.spiders.rss",
                  "crawlers.spiders.sitemap", "crawlers.spiders.gkmlpt", "crawlers.spiders.search"]
# robots.txt is fetched and applied by the spider itself: a 412 or challenge on robots.txt means
# blocked, not "allowed", which Scrapy's RobotsTxtMiddleware cannot express.
ROBOTSTXT_OBEY = False
COOKIES_ENABLED = True
RETRY_ENABLED = True
RETRY_TIMES = 2
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408]
DOWNLOAD_TIMEOUT = 30
REDIRECT_MAX_TIMES = 5
DOWNLOAD_WARNSIZE = 0
TELNETCONSOLE_ENABLED = False
# Scrapy starts CONCURRENT_ITEMS asyncio tasks for every response's output (scrapy/utils/asyncio.py
# _parallel_asyncio): the default 100 is 100 tasks per page for the one item or ~20 requests a page
# yields, which was a quarter of the crawl's CPU. Our pipelines do not wait (the sink acks later).
CONCURRENT_ITEMS = 8
LOG_LEVEL = "WARNING"
# uvloop: the asyncio loop in C (Scrapy's asyncio reactor runs on it); a third of the loop's CPU per page.
ASYNCIO_EVENT_LOOP = "uvloop.Loop" if find_spec("uvloop") else None  # (no uvloop on Windows)
# Scrapy parses each callback's source (inspect + ast) to warn about `return value` in generators: a
# development lint that cost ~1 s per crawl process; the spiders' tests cover their callbacks.
WARN_ON_GENERATOR_RETURN_VALUE = False
# Resolve, check every address, connect only to checked ones (crawlers/resolver.py).
TWISTED_DNS_RESOLVER = "crawlers.resolver.CheckingResolver"
DOWNLOADER_MIDDLEWARES = {
    "crawlers.middlewares.SourcePolicyMiddleware": 50,
    "crawlers.resolver.ResolvedAddressMiddleware": 950,  # before RetryMiddleware sees the DNS error
    "crawlers.middlewares.BlockDetectionMiddleware": 650,
}
ITEM_PIPELINES = {
    "crawlers.pipelines.NewOnlyPipeline": 100,
    "crawlers.pipelines.PublishPipeline": 300,
}
EXTENSIONS = {
    "crawlers.observability.CrawlObservability": 500,  # Prometheus metrics, structlog logs
    "crawlers.extensions.RunReport": 510,  # counters in crawler.stats, the run report on spider_closed
}

BASE_SETTINGS: dict[str, Any] = {
    name: value for name, value in dict(globals()).items() if name.isupper() and name != "BASE_SETTINGS"
}


def host_politeness(group: list[Source]) -> tuple[float, int]:
    """The delay and concurrency for a host shared by `group`'s sources: the strictest of theirs."""
    return max(s.delay_s for s in group), min(s.concurrency for s in group)


def settings_for(
    source: Source, *, polite: bool = True, host: tuple[float, int] | None = None
) -> dict[str, Any]:
    """Per-source crawler settings. `polite=False` (tests, bench) drops delays and AutoThrottle.
    `host` (delay_s, concurrency) overrides the source's own when its host is shared (`host_politeness`)."""
    delay_s, concurrency = host or (source.delay_s, source.concurrency)
    if polite:
        return {
            "AUTOTHROTTLE_ENABLED": True,
            "AUTOTHROTTLE_START_DELAY": max(delay_s, 0.5),
            "AUTOTHROTTLE_MAX_DELAY": 60.0,
            "AUTOTHROTTLE_TARGET_CONCURRENCY": float(concurrency),
            "DOWNLOAD_DELAY": delay_s,
            "CONCURRENT_REQUESTS": max(concurrency, 2),
            "CONCURRENT_REQUESTS_PER_DOMAIN": concurrency,
            "DOWNLOAD_MAXSIZE": max(source.max_page_bytes, source.max_attachment_bytes),
        }
    return {
        "AUTOTHROTTLE_ENABLED": False,
        "DOWNLOAD_DELAY": 0,
        "CONCURRENT_REQUESTS": 32,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 32,
        "DOWNLOAD_MAXSIZE": max(source.max_page_bytes, source.max_attachment_bytes),
    }
