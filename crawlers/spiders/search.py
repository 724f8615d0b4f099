"""`kind: search`: the site's own search (TRS was5, Hanweb jrobot/jsearchfront, 开普云 …), a GET or POST
form with a query per configured word; result pages are read like list pages (`listing.selectors`).

Hanweb's jsearchfront (`/jsearchfront/interfaces/cateSearch.do`, the search of the Zhejiang and Jiangxi
portals) answers JSON, `{"result": ["<div class='jcse-result-box'>…</div>", …], "total": N}`, one HTML
row per hit, whose links go through its click counter `visit/link.do?url=<the page>`: the rows are read
as one result page and each link is unwrapped to the page itself.
"""

from __future__ import annotations

import dataclasses
import json
import re
from urllib.parse import parse_qs, urlencode, urlsplit

import scrapy
from parsel import Selector
from scrapy.http import Response

from crawlers.listing import ListItem, parse_list_items
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
        sel = Selector(text=result_html(decoded_text(response)), base_url=response.url)
        items, seen = [], set()
        for item in parse_list_items(sel, response.url, self.source.listing.selectors):
            item = unwrap_click_counter(item)
            if item.url not in seen:
                seen.add(item.url)
                items.append(item)
        query, page = response.meta["query"], response.meta["page"]
        yield from self.handle_items(items, response.url, context=query)
        pages_done = page - self.cfg.first_page + 1
        more = items and self.cfg.page_param and pages_done < self.source.listing.max_pages
        if more and not self.page_is_known(items):
            yield self.search_request(query, page + 1)


_HIGHLIGHT_RE = re.compile(r"</?(?:em|font)\b[^>]*>|&lt;/?(?:em|font)\b.*?&gt;", re.I)  # also in title="…"


def result_html(text: str) -> str:
    """The HTML of one result page: the page itself, or the rows of a jsearchfront JSON answer; without
    the query's highlight tags (`关于<em>开发区</em>…`), which would split titles."""
    if text.lstrip().startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        rows = data.get("result") if isinstance(data, dict) else None
        if isinstance(rows, list) and all(isinstance(row, str) for row in rows):
            text = "<div>" + "".join(rows) + "</div>"
    return _HIGHLIGHT_RE.sub("", text)


def unwrap_click_counter(item: ListItem) -> ListItem:
    """`…/visit/link.do?url=<page>&…` (jsearchfront's click counter) → the page it points to."""
    parts = urlsplit(item.url)
    if not parts.path.endswith("/visit/link.do"):
        return item
    target = parse_qs(parts.query).get("url", [""])[0]
    return dataclasses.replace(item, url=target) if target.startswith(("http://", "https://")) else item
