"""Hanweb 大汉 JCMS sites: the column page is a shell; records come from dataproxy.jsp.

`POST /module/web/jpage/dataproxy.jsp?startrecord=1&endrecord=45&perpage=15` with the column's form
fields answers `<datastore><totalrecord>N</totalrecord><recordset><record><![CDATA[<li>…</li>]]>…`.
Static `index_1.html` pages do not exist on these sites, so paging goes by startrecord.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode, urljoin

import scrapy
from parsel import Selector
from scrapy.http import Response

from crawlers.listing import parse_list_items
from crawlers.spiders.generic import SourceSpider, _header
from crawlers.urlpolicy import canonical_url
from policywatch.core.decode import decode_html

_RECORD_RE = re.compile(r"<record>\s*<!\[CDATA\[(.*?)\]\]>\s*</record>", re.S)
_TOTAL_RE = re.compile(r"<totalrecord>\s*(\d+)\s*</totalrecord>|totalRecord\s*=\s*(\d+)", re.I)
_PAGES_PER_REQUEST = 3  # what Hanweb's own pager asks for (endrecord = 3 × perpage)


class HanwebSpider(SourceSpider):
    name = "hanweb"

    def start_list_requests(self, origin: str | None = None):
        # The column shell comes first (it may set cookies); its callback asks for the records.
        for url in self.source.start_urls:
            if origin is None or url.startswith(origin):
                self.run.seen_lists.add(canonical_url(url))
                yield scrapy.Request(
                    url,
                    callback=self.parse_shell,
                    errback=self.page_failed,
                    meta={"pw_kind": "list"},
                    priority=10,
                )

    def _proxy_request(self, shell_url: str, start: int) -> scrapy.Request:
        cfg = self.source.listing.hanweb
        assert cfg is not None
        per_request = cfg.perpage * _PAGES_PER_REQUEST
        query = urlencode(
            {"startrecord": start, "endrecord": start + per_request - 1, "perpage": cfg.perpage}
        )
        url = urljoin(shell_url, cfg.proxy_path) + "?" + query
        self.run.seen_lists.add(canonical_url(url))
        return scrapy.FormRequest(
            url,
            formdata={
                "col": "1",
                "appid": "1",
                "webid": cfg.webid,
                "path": cfg.path,
                "columnid": cfg.columnid,
                "sourceContentType": "1",
                "unitid": cfg.unitid,
                "webname": cfg.webname,
                "permissiontype": cfg.permissiontype,
            },
            callback=self.parse_records,
            errback=self.page_failed,
            meta={"pw_kind": "list", "shell_url": shell_url, "start": start},
            priority=10,
            dont_filter=True,
        )

    def parse_shell(self, response: Response):
        self.run.count("pages")
        # Some Hanweb templates embed the first records in the shell inside <script type="text/xml">.
        text = decode_html(response.body, _header(response, "Content-Type")).text
        if _RECORD_RE.search(text):
            yield from self._records(text, response.url)
        yield self._proxy_request(response.url, 1)

    def parse_records(self, response: Response):
        self.run.count("pages")
        text = decode_html(response.body, _header(response, "Content-Type")).text
        yield from self._records(text, response.url)
        match = _TOTAL_RE.search(text)
        total = int(match.group(1) or match.group(2)) if match else 0
        cfg = self.source.listing.hanweb
        assert cfg is not None
        start = response.meta["start"] + cfg.perpage * _PAGES_PER_REQUEST
        batches = (start - 1) // (cfg.perpage * _PAGES_PER_REQUEST)
        max_batches = max(1, self.source.listing.max_pages // _PAGES_PER_REQUEST + 1)
        if start <= total and batches < max_batches:
            yield self._proxy_request(response.meta["shell_url"], start)

    def _records(self, text: str, url: str):
        html = "<ul>" + "".join(_RECORD_RE.findall(text)) + "</ul>"
        items = parse_list_items(Selector(text=html), url, self.source.listing.selectors)
        yield from self._handle_items(items, url)
