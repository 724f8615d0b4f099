"""`kind: rss`: RSS 0.9x/1.0/2.0 and Atom feeds, read with feedparser."""

from __future__ import annotations

import feedparser
from scrapy.http import Response

from crawlers.listing import ListItem
from crawlers.spiders.base import SourceSpider


def feed_items(body: bytes, url: str) -> tuple[str, list[ListItem]]:
    """The feed's title and its entries as list items (link, title, published/updated date)."""
    feed = feedparser.parse(body, response_headers={"content-location": url})
    items = []
    for i, entry in enumerate(feed.entries):
        link = (entry.get("link") or "").strip()
        if not link:
            continue
        date = entry.get("published") or entry.get("updated") or entry.get("dc_date")
        items.append(ListItem(link, (entry.get("title") or "").strip(), date, i))
    return (feed.feed.get("title") or "").strip(), items


class RssSpider(SourceSpider):
    name = "rss"
    kind = "rss"

    def parse_list(self, response: Response):
        self.run.count("pages")
        title, items = feed_items(response.body, response.url)
        if not items:
            self.run.fail("list", response.url, "no entries in the feed")
        yield from self.handle_items(items, response.url, context=title)
