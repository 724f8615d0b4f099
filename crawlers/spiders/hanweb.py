"""`kind: hanweb`: Hanweb 大汉 JCMS / JPAAS column pages, in their three shapes (`hanweb.mode`).

- `dataproxy`: the column page is a shell; `POST /module/web/jpage/dataproxy.jsp?startrecord=1&
  endrecord=45&perpage=15` with the column's form fields answers `<datastore><totalrecord>N</totalrecord>
  <recordset><record><![CDATA[<li>…</li>]]>…`. Static `index_1.html` pages do not exist on these sites.
- `embedded`: the column page carries its first records (in `<script type="text/xml"><datastore>`, as
  plain rows, or — on the newer Hanweb platform, e.g. sthjt.jiangxi.gov.cn — as JSON in a script,
  `var listData = {articleList: [{"title", "pubDate", "urls": "{\"pc\":\"/…/content_N.html\"}"}]}`,
  rendered by jquery.jpage with `params = {unitid: '380055', perPage: '15'}`) and its own paging
  links (`?uid=…&pageNum=N`, `index_N.html`, 下一页); when it has none but a `<nextgroup>` dataproxy
  link, the rest comes from dataproxy.jsp with that link's parameters.
- `jpaas`: `GET /api-gateway/jpaas-publish-server/front/page/build/unit?…&paramJson={"pageNo":N,
  "pageSize":M}` answers `{"data": {"html": "<li>…</li>"}}`; paging stops at a short or empty page.
"""

from __future__ import annotations

import ast
import json
import re
from html import unescape
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import scrapy
from parsel import Selector
from scrapy.http import Response

from crawlers.listing import ListItem, discover_pages, parse_list_items
from crawlers.spiders.base import SourceSpider, _page_context, decoded_text

_JS_STORE_RE = re.compile(r"\bdataStore\s*=\s*(\[.*\])\s*;?", re.S)
_RECORD_RE = re.compile(r"<record>\s*<!\[CDATA\[(.*?)\]\]>\s*</record>", re.S)
_TOTAL_RE = re.compile(r"<totalrecord>\s*(\d+)\s*</totalrecord>|totalRecord\s*=\s*(\d+)", re.I)
_NEXTGROUP_RE = re.compile(r"<nextgroup>\s*<!\[CDATA\[.*?href=[\"']([^\"']+)[\"']", re.S | re.I)
_PAGES_PER_REQUEST = 3  # what Hanweb's own pager asks for (endrecord = 3 × perpage)


def datastore_records(text: str) -> list[str]:
    """The `<li>` HTML of each `<record>` in a datastore (dataproxy answer or embedded script), or of
    each string of the older jslib answer `totalRecord=714.0;totalPage = 27;dataStore = ["<li>…", …];`
    (Gansu's /module/jslib/jquery/jpage/dataproxy.jsp, as SmartDataLab/Policy_crawler recorded it)."""
    records = _RECORD_RE.findall(text)
    if records:
        return records
    match = _JS_STORE_RE.search(text)
    if not match:
        return []
    try:
        rows = json.loads(match.group(1))
    except ValueError:
        try:
            rows = ast.literal_eval(match.group(1))
        except (ValueError, SyntaxError):
            return []
    return [row for row in rows if isinstance(row, str)] if isinstance(rows, list) else []


def datastore_total(text: str) -> int:
    match = _TOTAL_RE.search(text)
    return int(match.group(1) or match.group(2)) if match else 0


_ARTICLE_LIST_RE = re.compile(r"\barticleList\s*:\s*\[", re.S)
_JPAGE_PARAM_RE = {
    key: re.compile(rf"\b{key}\s*:\s*['\"]?(\d+)") for key in ("unitid", "perPage")
}
_ARTICLE_COUNT_RE = re.compile(r"channelsTagSelf\s*=\s*\{.*?\"articleCount\"\s*:\s*(\d+)", re.S)


def _json_array_at(text: str, start: int) -> list | None:
    """The JSON array that opens at text[start] (a `[`), or None."""
    try:
        value, _ = json.JSONDecoder().raw_decode(text, start)
    except ValueError:
        return None
    return value if isinstance(value, list) else None


def embedded_articles(text: str, base_url: str) -> list[ListItem]:
    """Items of a column page that embeds its records as `articleList: [{…}]` JSON (newer Hanweb)."""
    match = _ARTICLE_LIST_RE.search(text)
    rows = _json_array_at(text, match.end() - 1) if match else None
    items: list[ListItem] = []
    for row in rows or []:
        if not isinstance(row, dict):
            continue
        urls = row.get("urls")
        if isinstance(urls, str):
            try:
                urls = json.loads(urls)
            except ValueError:
                urls = {}
        href = (urls.get("pc") if isinstance(urls, dict) else None) or row.get("url") or row.get("pcUrl")
        if not href:
            continue
        title = re.sub(r"<[^>]+>", "", str(row.get("title") or row.get("showTitle") or "")).strip()
        items.append(ListItem(urljoin(base_url, str(href)), title, row.get("pubDate"), len(items),
                              pinned=bool(row.get("topStatus"))))
    return items


def jpage_pages(text: str, page_url: str, max_pages: int) -> list[str]:
    """`?uid={unitid}&pageNum=N` pages of a jquery.jpage column (N ≥ 2), as many as its article count
    and page size give, at most `max_pages` in all."""
    found = {key: regex.search(text) for key, regex in _JPAGE_PARAM_RE.items()}
    count = _ARTICLE_COUNT_RE.search(text)
    if not (found["unitid"] and found["perPage"] and count):
        return []
    per_page = max(1, int(found["perPage"].group(1)))
    total = -(-int(count.group(1)) // per_page)
    base = page_url.split("?", 1)[0]
    uid = found["unitid"].group(1)
    return [f"{base}?uid={uid}&pageNum={n}" for n in range(2, min(total, max_pages) + 1)]


def nextgroup_params(text: str) -> dict[str, str] | None:
    """The form fields of the `<nextgroup>` dataproxy link of an embedded datastore, if any."""
    match = _NEXTGROUP_RE.search(text)
    if not match:
        return None
    return dict(parse_qsl(urlsplit(unescape(match.group(1))).query, keep_blank_values=True))


def jpaas_html(body: bytes) -> str:
    """The list HTML inside a JPAAS unit API answer."""
    data = json.loads(body)
    inner = data.get("data") if isinstance(data, dict) else None
    if isinstance(inner, dict):
        return str(inner.get("html") or "")
    return str(inner or "")


class HanwebSpider(SourceSpider):
    name = "hanweb"
    kind = "hanweb"

    def parse(self, response, **kwargs):  # `scrapy parse --spider {kind} -a source=ID URL`
        yield from self.parse_column(response)

    @property
    def cfg(self):
        cfg = self.source.listing.hanweb
        assert cfg is not None  # the schema requires the block for kind hanweb
        return cfg

    def start_list_requests(self, origin: str | None = None):
        for url in self.start_urls_of(origin):
            if self.cfg.mode == "jpaas":
                yield self._unit_request(url, 1)
            else:  # the column page comes first (it may set cookies and it may hold the records)
                yield self.list_request(url, callback=self.parse_column)

    # ---- column page (dataproxy and embedded) -------------------------------------------------------

    def _records_items(self, records: list[str], url: str) -> list[ListItem]:
        html = "<ul>" + "".join(records) + "</ul>"
        return parse_list_items(Selector(text=html), url, self.source.listing.selectors)

    def parse_column(self, response: Response):
        self.run.count("pages")
        text = decoded_text(response)
        sel = Selector(text=text, base_url=response.url)
        context = _page_context(sel)
        records = datastore_records(text)
        if records:
            items = self._records_items(records, response.url)
        elif self.cfg.mode == "embedded":
            items = embedded_articles(text, response.url) or parse_list_items(
                sel, response.url, self.source.listing.selectors
            )
        else:
            items = []
        yield from self.handle_items(items, response.url, context=context)
        if self.cfg.mode == "dataproxy":
            yield self._proxy_request(response.url, 1, self._form(), context)
            return
        max_pages = self.source.listing.max_pages
        own_pages = discover_pages(sel, text, response.url, max_pages=max_pages)
        own_pages = [u for u in own_pages if u != response.url]
        if not own_pages and "pageNum=" not in response.url:
            own_pages = jpage_pages(text, response.url, max_pages)
        params = nextgroup_params(text)
        if own_pages or not params:
            yield from self.follow_pages(own_pages, items, callback=self.parse_column)
        elif not self.page_is_known(items):
            start = len(records) + 1 if records else 1
            yield self._proxy_request(response.url, start, {**self._form(), **params}, context)

    def _form(self) -> dict[str, str]:
        cfg = self.cfg
        return {
            "col": "1",
            "appid": "1",
            "webid": cfg.webid,
            "path": cfg.path,
            "columnid": cfg.columnid,
            "sourceContentType": "1",
            "unitid": cfg.unitid,
            "webname": cfg.webname,
            "permissiontype": cfg.permissiontype,
        }

    def _proxy_request(self, column_url: str, start: int, form: dict[str, str], context: str):
        per_request = self.cfg.perpage * _PAGES_PER_REQUEST
        query = urlencode(
            {"startrecord": start, "endrecord": start + per_request - 1, "perpage": self.cfg.perpage}
        )
        url = urljoin(column_url, self.cfg.proxy_path) + "?" + query
        form = {k: v for k, v in form.items() if k not in ("page", "startrecord", "endrecord", "perpage")}
        self.run.seen_lists.add(url)
        return scrapy.FormRequest(
            url,
            formdata=form,
            callback=self.parse_records,
            errback=self.page_failed,
            meta={
                "pw_kind": "list",
                "column_url": column_url,
                "start": start,
                "form": form,
                "context": context,
            },
            priority=10,
            dont_filter=True,
        )

    def parse_records(self, response: Response):
        self.run.count("pages")
        text = decoded_text(response)
        items = self._records_items(datastore_records(text), response.url)
        yield from self.handle_items(items, response.url, context=response.meta["context"])
        total = datastore_total(text)
        start = response.meta["start"] + self.cfg.perpage * _PAGES_PER_REQUEST
        batches = len([u for u in self.run.seen_lists if "startrecord=" in u])
        max_batches = max(1, self.source.listing.max_pages // _PAGES_PER_REQUEST + 1)
        if start <= total and batches < max_batches and not self.page_is_known(items):
            yield self._proxy_request(
                response.meta["column_url"], start, response.meta["form"], response.meta["context"]
            )

    # ---- JPAAS unit API -----------------------------------------------------------------------------

    def _unit_request(self, column_url: str, page: int) -> scrapy.Request:
        cfg = self.cfg
        query = {
            "parseType": "bulidstatic",  # sic: the API's own spelling
            "webId": cfg.webid,
            "tplSetId": cfg.tpl_set_id,
            "pageType": "column",
            "tagId": cfg.tag_id,
            "editType": "null",
            "pageId": cfg.page_id,
            "paramJson": json.dumps({"pageNo": page, "pageSize": cfg.perpage}, separators=(",", ":")),
        }
        url = urljoin(column_url, cfg.unit_path) + "?" + urlencode(query)
        return self.list_request(
            url, callback=self.parse_unit, meta={"column_url": column_url, "page_no": page}, dont_filter=True
        )

    def parse_unit(self, response: Response):
        self.run.count("pages")
        try:
            html = jpaas_html(response.body)
        except (ValueError, TypeError) as exc:
            self.run.fail("list", response.url, f"not a JPAAS unit answer ({exc.__class__.__name__})")
            return
        column_url = response.meta["column_url"]
        items = parse_list_items(Selector(text=html), column_url, self.source.listing.selectors)
        yield from self.handle_items(items, response.url)
        page = response.meta["page_no"]
        full = len(items) >= self.cfg.perpage
        if full and page < self.source.listing.max_pages and not self.page_is_known(items):
            yield self._unit_request(column_url, page + 1)
