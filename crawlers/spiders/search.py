"""`kind: search`: the site's own search (TRS was5, Hanweb jrobot, 开普云 …), a GET or POST form with
a query per configured word; result pages are read like list pages (`listing.selectors`)."""

from __future__ import annotations

from urllib.parse import urlencode

import scrapy
from parsel import Selector
from scrapy.http import Response

from crawlers.listing import parse_list_items
from crawlers.spiders.base import SourceSpider, decoded_text


class SearchSpider(SourceSpider):
    name = "search"
    kind = "search"

    def parse(self, response, **kwargs):  # `scrapy parse --spider {kind} -a source=ID URL`
        yield from self.parse_list(response)

    @property
    def cfg(self):
        cfg = self.source.listing.search
        assert cfg is not None
        return cfg

    def start_list_requests(self, origin: str | None = None):
        if origin is not None and not self.cfg.url.startswith(origin):
            return
        for query in self.cfg.queries:
            yield self.search_request(query, self.cfg.first_page)

    def search_request(self, query: str, page: int) -> scrapy.Request:
        cfg = self.cfg
        form = {**cfg.params, cfg.query_param: query}
        if cfg.page_param:
            form[cfg.page_param] = str(page)
        meta = {"pw_kind": "list", "query": query, "page": page}
        if cfg.method == "POST":
            self.run.seen_lists.add(f"{cfg.url}#{urlencode(form)}")
            return scrapy.FormRequest(
                cfg.url, formdata=form, callback=self.parse_list, errback=self.page_failed,
                meta=meta, priority=10, dont_filter=True,
            )
        sep = "&" if "?" in cfg.url else "?"
        return self.list_request(cfg.url + sep + urlencode(form), meta=meta)

    def parse_list(self, response: Response):
        self.run.count("pages")
        sel = Selector(text=decoded_text(response), base_url=response.url)
        items = parse_list_items(sel, response.url, self.source.listing.selectors)
        query, page = response.meta["query"], response.meta["page"]
        yield from self.handle_items(items, response.url, context=query)
        pages_done = page - self.cfg.first_page + 1
        more = items and self.cfg.page_param and pages_done < self.source.listing.max_pages
        if more and not self.page_is_known(items):
            yield self.search_request(query, page + 1)
