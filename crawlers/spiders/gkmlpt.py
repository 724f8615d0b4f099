"""`kind: gkmlpt`: Guangdong's 集约化 government-information catalogue.

`GET /gkmlpt/api/all/{column}?page=N&sid={sid}` answers `{"articles": [{"id", "title", "url",
"display_publish_time" (epoch seconds; older answers: "date"), "publisher", "identifier", …}],
"total": N}`. Without a configured `sid`, it is read from the catalogue page (`/gkmlpt/index`), whose
script sets `SID: '200165'` in `window._CONFIG`.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import urljoin, urlsplit

from scrapy.http import Response

from crawlers.listing import ListItem
from crawlers.spiders.base import SourceSpider, decoded_text

_SID_RE = re.compile(r"""\bSID\b\s*[:=]\s*['"]?(\d+)""")
_CHINA = timezone(timedelta(hours=8))


def gkmlpt_items(body: bytes, base_url: str, start: int = 0) -> tuple[int, list[ListItem]]:
    """(total, items) of one gkmlpt API answer."""
    data = json.loads(body)
    items = []
    for i, article in enumerate(data.get("articles") or []):
        url = article.get("url")
        if not url:
            continue
        # the live API sends `display_publish_time` (what the page shows; public crawlers of
        # gd.gov.cn read it), older answers `date` or `first_publish_time`: epoch seconds each
        date = article.get("display_publish_time") or article.get("date") or article.get("first_publish_time")
        if isinstance(date, int | float):
            date = datetime.fromtimestamp(date, UTC).astimezone(_CHINA).strftime("%Y-%m-%d %H:%M")
        items.append(ListItem(urljoin(base_url, url), (article.get("title") or "").strip(), date, start + i))
    return int(data.get("total") or 0), items


class GkmlptSpider(SourceSpider):
    name = "gkmlpt"
    kind = "gkmlpt"

    def parse(self, response, **kwargs):  # `scrapy parse --spider {kind} -a source=ID URL`
        yield from self.parse_list(response)

    @property
    def cfg(self):
        cfg = self.source.listing.gkmlpt
        assert cfg is not None
        return cfg

    def _api_url(self, start_url: str, sid: str, page: int) -> str:
        path = self.cfg.api_path.format(column=self.cfg.column)
        return urljoin(start_url, path) + f"?page={page}&sid={sid}"

    def start_list_requests(self, origin: str | None = None):
        for url in self.start_urls_of(origin):
            if self.cfg.sid:
                api = self._api_url(url, self.cfg.sid, 1)
                yield self.list_request(api, meta={"sid": self.cfg.sid, "page": 1})
            else:
                yield self.list_request(url, callback=self.parse_catalogue)

    def parse_catalogue(self, response: Response):
        self.run.count("pages")
        match = _SID_RE.search(decoded_text(response))
        if not match:
            self.run.fail("list", response.url, "no SID in the gkmlpt catalogue page")
            return
        sid = match.group(1)
        yield self.list_request(self._api_url(response.url, sid, 1), meta={"sid": sid, "page": 1})

    def parse_list(self, response: Response):
        self.run.count("pages")
        page = response.meta["page"]
        try:
            total, items = gkmlpt_items(response.body, response.url, (page - 1) * self.cfg.per_page)
        except (ValueError, TypeError, AttributeError) as exc:
            self.run.fail("list", response.url, f"not a gkmlpt API answer ({exc.__class__.__name__})")
            return
        yield from self.handle_items(items, response.url)
        if items and page * self.cfg.per_page < total:
            parts = urlsplit(response.url)
            origin = f"{parts.scheme}://{parts.netloc}/"
            next_url = self._api_url(origin, response.meta["sid"], page + 1)
            yield from self.follow_pages(
                [next_url], items, meta={"sid": response.meta["sid"], "page": page + 1}
            )
