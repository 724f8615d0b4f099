"""List pages: the items they link to, and the other pages of the same list.

Pagination is found in the order public crawlers of these portals use: a 尾页/末页 link to index_N,
column-index-N, ?page|pageNo|pageNum|currPage=N, script variables countPage|totalPage|pageCount,
TRS createPageHTML(N, ...), then numbered page links.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from parsel import Selector

from crawlers.pagemeta import parse_date
from crawlers.sources import ListSelectors

_DATE_TEXT_RE = re.compile(r"\d{4}\s*[-/年.]\s*\d{1,2}\s*[-/月.]\s*\d{1,2}|\(\d{2}-\d{2}\)|\d{2}-\d{2}")
_CREATE_PAGE_RE = re.compile(
    r"createPageHTML\(\s*['\"]?(\d+)['\"]?\s*,\s*['\"]?(\d+)['\"]?\s*,\s*['\"]([\w\-]+)['\"]\s*,\s*['\"](\w+)['\"]"
)
# Newer TRS templates: createPageHTML('page_div', total, current(1-based), 'prefix', 'ext', rows);
# page N (N >= 2) is prefix_N.ext (甘肃, 镇江, 海南 portals).
_CREATE_PAGE6_RE = re.compile(
    r"createPageHTML\(\s*['\"][^'\"]*['\"]\s*,\s*(\d+)\s*,\s*(\d+)\s*,\s*['\"]([\w\-]+)['\"]\s*,\s*['\"](\w+)['\"]"
)
_NEXT_TEXTS = ("下一页", "下页", "后页", ">", "›", "»")
_TOTAL_VAR_RE = re.compile(r"\b(?:countPage|totalPage|pageCount|totalpage|page_count)\s*[=:]\s*['\"]?(\d+)")
_QUERY_PAGE_KEYS = ("page", "pageNo", "pageNum", "currPage", "pageIndex", "cur_page")
_NUMBERED_RE = re.compile(r"(?:index|list|column-index)[_\-](\d+)\.s?html?$")
_PINNED_RE = re.compile(r"置顶|\[顶\]|【顶】")


@dataclass(frozen=True)
class ListItem:
    url: str
    title: str
    date_raw: str | None
    position: int
    pinned: bool = False

    @property
    def date(self) -> str | None:
        return parse_date(self.date_raw)


_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"  # editors leave them at the start of titles


def _trimmed(value: str) -> str:
    return value.strip().strip(_ZERO_WIDTH).strip()


def _title_of(anchor: Selector) -> str:
    attr = _trimmed(anchor.attrib.get("title") or "")
    text = _trimmed(re.sub(r"\s+", " ", " ".join(anchor.xpath(".//text()").getall())))
    # The visible title is often cut with "…"; the title attribute holds the full one. When the link
    # also wraps the date (<a title="…"><p>title</p><span>[ 2021-05-19 ]</span></a>), the attribute
    # is the title without it.
    if attr and attr in text:
        return attr
    return attr if len(attr) >= len(text.rstrip("…. ")) else text


def _date_in(row: Selector, selector: str | None) -> str | None:
    if selector:
        value = " ".join(row.css(selector + " ::text").getall()).strip()
        return value or None
    for text in row.xpath(
        ".//span//text() | .//td//text() | .//em//text() | .//i//text() | .//b//text() | .//font//text()"
    ).getall():
        match = _DATE_TEXT_RE.search(text)
        if match:
            return match.group(0)
    return None


def parse_list_items(
    sel: Selector, page_url: str, selectors: ListSelectors, *, start: int = 0
) -> list[ListItem]:
    """Items of a list page, in page order, deduplicated by URL."""
    if selectors.item:
        rows = sel.css(selectors.item)
    else:
        # Generic: rows that hold a link and a date (ul>li, table rows, dl/dd).
        rows = [
            row for row in sel.xpath("//li | //tr | //dd") if row.xpath(".//a[@href]") and _date_in(row, None)
        ]
    items: list[ListItem] = []
    seen: set[str] = set()
    for row in rows:
        anchor_list = row.css(selectors.link) if selectors.link else row.xpath(".//a")
        anchor = next((a for a in anchor_list if (a.attrib.get("href") or "").strip()), None)
        if anchor is None:
            continue
        href = anchor.attrib["href"].strip()
        if href.startswith(("javascript:", "#", "mailto:")):
            continue
        url = urljoin(page_url, href)
        if url in seen:
            continue
        seen.add(url)
        title = _title_of(anchor)
        row_text = " ".join(row.xpath(".//text()").getall())
        pinned = bool(_PINNED_RE.search(row_text)) or "top" in (row.attrib.get("class") or "")
        items.append(ListItem(url, title, _date_in(row, selectors.date), start + len(items), pinned))
    return items


_COMMENT_RE = re.compile(r"<!--(.*?)-->", re.S)


def items_in_comments(text: str, page_url: str, selectors: ListSelectors) -> list[ListItem]:
    """List rows that sit inside HTML comments. Some TRS templates keep the static list commented out
    (`<!-- <li>…</li> … createPageHTML(…) -->`) once the page renders it by script; the rows are the
    same, so they are read from there when the live markup has none."""
    chunks = [c for c in _COMMENT_RE.findall(text) if "<a" in c and ("<li" in c or "<tr" in c)]
    if not chunks:
        return []
    return parse_list_items(Selector(text="<ul>" + "".join(chunks) + "</ul>"), page_url, selectors)


def _with_query(url: str, key: str, value: int) -> str:
    parts = urlsplit(url)
    query = [(k, str(value) if k == key else v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    if key not in dict(query):
        query.append((key, str(value)))
    return urlunsplit(parts._replace(query=urlencode(query)))


def _numbered(page_url: str, stem: str, ext: str, n: int, sep: str = "_") -> str:
    return urljoin(page_url, f"{stem}.{ext}" if n == 0 else f"{stem}{sep}{n}.{ext}")


def discover_pages(sel: Selector, raw_text: str, page_url: str, *, max_pages: int) -> list[str]:
    """Other pages of this list (absolute URLs), at most `max_pages` in total, first page included."""
    pages: list[str] = []

    def add(url: str) -> None:
        if url not in pages and len(pages) < max_pages:
            pages.append(url)

    # 1. 尾页/末页 link to the last numbered page.
    for anchor in sel.xpath("//a[contains(., '尾页') or contains(., '末页') or contains(., '最后一页')]"):
        href = anchor.attrib.get("href") or ""
        match = re.search(r"([\w\-]*?)[_\-](\d+)\.(s?html?)$", href)
        if match:
            stem, last, ext = match.group(1) or "index", int(match.group(2)), match.group(3)
            sep = "-" if stem.endswith("column-index") or "-" in href.rsplit("/", 1)[-1] else "_"
            for n in range(0, last + 1):
                add(_numbered(page_url, stem, ext, n, sep))
            return pages
    # 3. ?page=N style links (Hanweb: ?uid=380055&pageNum=N): pages built on the link's own query.
    for key in _QUERY_PAGE_KEYS:
        numbers: dict[int, str] = {}
        for href in sel.xpath("//a/@href").getall():
            for k, v in parse_qsl(urlsplit(href).query):
                if k == key and v.isdigit():
                    numbers.setdefault(int(v), urljoin(page_url, href))
        if numbers:
            link = urlsplit(numbers[max(numbers)])
            # the page's own query, with the link's parameters on top (href="?page=4" on list.jsp?cat=1)
            merged = {**dict(parse_qsl(urlsplit(page_url).query)), **dict(parse_qsl(link.query))}
            template = urlunsplit(link._replace(query=urlencode(merged)))
            current = dict(parse_qsl(urlsplit(page_url).query)).get(key, "1")
            for n in range(1, max(numbers) + 1):
                if str(n) != current:
                    add(_with_query(template, key, n))
            return pages
    # 5. TRS createPageHTML(count, current, "index", "html"): page 2 is index_1.html.
    match = _CREATE_PAGE_RE.search(raw_text)
    if match:
        count, stem, ext = int(match.group(1)), match.group(3), match.group(4)
        for n in range(count):
            add(_numbered(page_url, stem, ext, n))
        return pages
    # 5b. createPageHTML('page_div', total, current, "prefix", "ext", rows): page 2 is prefix_2.ext.
    match = _CREATE_PAGE6_RE.search(raw_text)
    if match:
        count, stem, ext = int(match.group(1)), match.group(3), match.group(4)
        add(_numbered(page_url, stem, ext, 0))
        for n in range(2, count + 1):
            add(_numbered(page_url, stem, ext, n))
        return pages
    # 4. Script variables with the page count, on an index_N style URL.
    match = _TOTAL_VAR_RE.search(raw_text)
    tail = urlsplit(page_url).path.rsplit("/", 1)[-1] or "index.html"
    stem_match = re.match(r"(index|list)(?:_\d+)?\.(s?html?)$", tail)
    if match and stem_match:
        for n in range(int(match.group(1))):
            add(_numbered(page_url, stem_match.group(1), stem_match.group(2), n))
        return pages
    # 2 and 6. column-index-N and other numbered page links.
    for anchor in sel.xpath("//a[@href]"):
        href = anchor.attrib["href"].strip()
        text = "".join(anchor.xpath(".//text()").getall()).strip()
        if _NUMBERED_RE.search(urlsplit(href).path) and (
            text.isdigit() or text in ("下一页", "下页", "尾页")
        ):
            add(urljoin(page_url, href))
    if pages:
        return pages
    # 7. A 下一页/下页 link (VSB 博达 sites number their pages backwards: yw/128.htm, yw/127.htm …):
    # one page at a time, each page names the next.
    next_url = next_page_link(sel, page_url)
    if next_url:
        add(next_url)
    return pages


def next_page_link(sel: Selector, page_url: str) -> str | None:
    """The target of the page's 下一页/下页 link, if it is a real link."""
    for anchor in sel.xpath("//a[@href]"):
        text = re.sub(r"\s+", "", "".join(anchor.xpath(".//text()").getall()))
        href = anchor.attrib["href"].strip()
        if text in _NEXT_TEXTS and href and not href.startswith(("javascript:", "#")):
            url = urljoin(page_url, href)
            if url != page_url:
                return url
    return None
