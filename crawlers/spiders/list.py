"""`kind: list`: HTML list pages (`ul > li > a + span`, tables, dl/dd), paged by the forms public
crawlers of these portals meet: TRS `createPageHTML(count, cur, "index", "html")`, 尾页/末页 links,
`?page=N`, `column-index-N`, script page counts, numbered links and a 下一页/下页 link
(crawlers/listing.py `discover_pages`)."""

from __future__ import annotations

from parsel import Selector
from scrapy.http import Response

from crawlers.listing import discover_pages, items_in_comments, parse_list_items
from crawlers.spiders.base import SourceSpider, _page_context, decoded_text


class ListSpider(SourceSpider):
    name = "list"
    kind = "list"

    def parse_list(self, response: Response):
        self.run.count("pages")
        text = decoded_text(response)
        sel = Selector(text=text, base_url=response.url)
        items = parse_list_items(sel, response.url, self.source.listing.selectors)
        if not items:
            items = items_in_comments(text, response.url, self.source.listing.selectors)
        yield from self.handle_items(items, response.url, context=_page_context(sel))
        pages = discover_pages(sel, text, response.url, max_pages=self.source.listing.max_pages)
        yield from self.follow_pages(pages, items)
