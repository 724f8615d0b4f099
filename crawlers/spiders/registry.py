"""One spider class per listing kind; `sources.yaml` `listing.kind` picks it."""

from __future__ import annotations

from crawlers.sources import Source
from crawlers.spiders.base import SourceSpider
from crawlers.spiders.gkmlpt import GkmlptSpider
from crawlers.spiders.hanweb import HanwebSpider
from crawlers.spiders.list import ListSpider
from crawlers.spiders.rss import RssSpider
from crawlers.spiders.search import SearchSpider
from crawlers.spiders.sitemap import SitemapSpider

SPIDERS: dict[str, type[SourceSpider]] = {
    spider.kind: spider
    for spider in (ListSpider, HanwebSpider, RssSpider, SitemapSpider, GkmlptSpider, SearchSpider)
}


def spider_for(source: Source) -> type[SourceSpider]:
    """The spider class that crawls `source`."""
    return SPIDERS[source.listing.kind]
