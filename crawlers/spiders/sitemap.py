"""`kind: sitemap`: XML sitemaps and sitemap indexes, read by Scrapy's own SitemapSpider.

SitemapSpider parses the sitemap (gzip, robots.txt `Sitemap:` lines and nested indexes included);
each URL entry it would request becomes a list item here (with its `lastmod` as the list date), so the
shared incremental and relevance rules apply. Sitemaps carry no titles: the keyword filter is not
applied to their entries.
"""

from __future__ import annotations

from scrapy.spiders import SitemapSpider as ScrapySitemapSpider

from crawlers.listing import ListItem
from crawlers.spiders.base import SourceSpider


class SitemapSpider(SourceSpider, ScrapySitemapSpider):
    name = "sitemap"
    kind = "sitemap"
    sitemap_rules = [("", "parse_article")]  # every URL entry (they are turned into list items below)
    sitemap_follow = [""]
    sitemap_alternate_links = False

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._entries: dict[str, ListItem] = {}

    def start_list_requests(self, origin: str | None = None):
        for url in self.start_urls_of(origin):
            yield self.list_request(url, callback=self._parse_sitemap)

    def sitemap_filter(self, entries):
        for entry in entries:
            loc = (entry.get("loc") or "").strip()
            if loc:
                self._entries[loc] = ListItem(loc, "", entry.get("lastmod"), len(self._entries))
                yield entry

    def _parse_sitemap(self, response):
        self.run.count("pages")
        items = []
        for request in super()._parse_sitemap(response):
            if request.callback == self._parse_sitemap:  # a nested sitemap
                if self.may_page(request.url):
                    yield self.list_request(request.url, callback=self._parse_sitemap)
                continue
            item = self._entries.pop(request.url, None)
            if item is not None:
                items.append(item)
        yield from self.handle_items(items, response.url, apply_keywords=False)
