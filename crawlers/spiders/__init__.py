"""Spiders: `SourceSpider` (generic listing) and `HanwebSpider` (Hanweb JCMS dataproxy.jsp lists)."""

from __future__ import annotations

from crawlers.sources import Source
from crawlers.spiders.generic import SourceSpider
from crawlers.spiders.hanweb import HanwebSpider


def spider_for(source: Source) -> type[SourceSpider]:
    """The spider class that crawls `source`."""
    return HanwebSpider if source.listing.kind == "hanweb" else SourceSpider


__all__ = ["HanwebSpider", "SourceSpider", "spider_for"]
