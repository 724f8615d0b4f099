"""Main text and metadata of an HTML page.

The main text is trafilatura's (never replaced by a home-made walk of the page); around it we add what
government and news pages carry that trafilatura does not report: the headline without the site-name
chain, the publication date with its provenance (labelled date and CMS metas first, then a date next
to the headline, then htmldate, then the URL), 成文日期, the 信息公开 metadata table (索引号, 文号,
发布机构, ...) and bylines (来源, 作者, 责任编辑, ...), which are taken out of the text.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime

import trafilatura
from lxml import etree
from lxml import html as lxml_html
from lxml.etree import ParserError

from policywatch.core.errors import ProcessingError
from processors.clean import dates, metadata

logger = logging.getLogger(__name__)

_TITLE_META = ("articletitle", "og:title", "dc.title", "twitter:title", "title")
# Separators of a "headline_column_site" chain in <title>. A single - or — inside a headline is kept.
_CHAIN_SEP = re.compile(r"\s*(?:_{1,2}|-{2,}|\s[-–—|｜»·]\s|[|｜]|::)\s*|\s+-|-\s+")
_BLOCK = {
    "p", "div", "br", "li", "tr", "td", "th", "table", "h1", "h2", "h3", "h4", "h5", "h6", "section",
    "article", "header", "footer", "ul", "ol", "dl", "dt", "dd", "blockquote", "pre", "form", "center",
    "title", "hr", "font",
}
_SKIP = {"script", "style", "noscript", "template", "head", "select", "option", "button", "iframe"}
_HEADLINE_HINT = re.compile(r"title|headline|biaoti|bt|tit|heading", re.IGNORECASE)
_SPACE = re.compile(r"\s+")
_HINTED_TAGS = ("div", "p", "span", "td", "strong", "b", "a")


@dataclass(frozen=True)
class HtmlPage:
    title: str | None
    text: str
    visible_text: str  # everything a reader sees, in reading order (header tables included)
    published_at: datetime | None
    published_at_source: str
    written_at: datetime | None = None
    # 索引号, 文号, 发布机构, ... (the names of metadata.TABLE_FIELDS)
    fields: dict[str, str] = field(default_factory=dict)
    bylines: dict[str, str] = field(default_factory=dict)  # source, author, reviewer, editor


# Comments (CMS template markers such as <!--<$[标题]>begin--> included) are dropped while parsing, so
# the text after them joins the text before: nothing downstream can lose it. This is also how
# trafilatura parses pages itself.
_PARSER = lxml_html.HTMLParser(
    remove_comments=True, remove_pis=True, collect_ids=False, default_doctype=False
)


MAX_DEPTH = 256  # libxml2's nesting limit without XML_PARSE_HUGE (kept: it bounds memory and time)


def _too_deep() -> bool:
    """Whether the last parse stopped descending at the parser's depth limit."""
    return any("Excessive depth" in entry.message for entry in _PARSER.error_log)


def parse_tree(page: str) -> lxml_html.HtmlElement:
    """Parse as a browser would: content after an early ``</body></html>`` stays in the body."""
    cleaned = re.sub(r"(?is)</\s*(?:body|html)\s*>", "", page)
    cleaned = re.sub(r"^\s*<\?xml[^>]*>", "", cleaned)
    try:
        return lxml_html.document_fromstring(cleaned, parser=_PARSER)
    except (ParserError, ValueError) as exc:
        if _too_deep():
            raise ProcessingError(f"HTML nests tags deeper than the parser's limit of {MAX_DEPTH} levels; "
                                  "nothing below that depth can be read") from exc
        raise ProcessingError(f"unparsable HTML: {exc}") from exc


def visible_text(root: etree._Element) -> str:
    """The text a reader sees, in document order, one line per block.

    Comments and CMS template markers (``<!--<$[标题]>begin-->``) are skipped but the text after them
    (their tail) is kept; a node's text comes before its children's.
    """
    parts: list[str] = []

    def walk(node: etree._Element) -> None:
        tag = node.tag if isinstance(node.tag, str) else None
        if tag is not None and tag.lower() not in _SKIP:
            block = tag.lower() in _BLOCK
            if block:
                parts.append("\n")
            if node.text:
                parts.append(node.text)
            for child in node:
                walk(child)
            if block:
                parts.append("\n")
        if node.tail:
            parts.append(node.tail)

    body = root.find(".//body")
    walk(body if body is not None else root)
    lines = [_SPACE.sub(" ", line).strip() for line in "".join(parts).split("\n")]
    return "\n".join(line for line in lines if line)


def _norm(text: str | None) -> str:
    return re.sub(r"[\s\u3000\xa0]+", "", text or "")


def _width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


# "标题-新华网": one dash glued to a short name that ends like a site's.
_SITE_TAIL = re.compile(
    r"[-—_|｜]+\s*[^-—_|｜\s]{1,12}(?:网|报|台|社|门户|政府|在线|频道|中心|之声|日报|新闻)$"
)
# "站名——标题": a site name (ends like one) before a dash or separator, then the headline.
_SITE_HEAD = re.compile(
    r"^\s*[^\s—_|｜:：-]{2,16}(?:网|网站|门户网站|政府|在线|频道|日报|新闻)\s*(?:——|—|-{1,2}|_{1,2}|[|｜:：])\s*"
)
# Pagination a forum or a paged article adds to its title: "标题(页 1)", "标题（第2页）".
_PAGE_SUFFIX = re.compile(r"\s*[(（]\s*(?:页\s*\d+|第\s*\d+\s*页)\s*[)）]\s*$|\s+第\s*\d+\s*页\s*$")
_TAG = re.compile(r"<[^>]{1,200}>")
_PRIVATE_USE = re.compile("[\ue000-\uf8ff]")


def _strip_ends(title: str) -> str:
    """A title without a leading "站名——" and without a trailing "(页 1)"."""
    head = _SITE_HEAD.sub("", title, count=1)
    if _width(head) >= 8:
        title = head
    return _PAGE_SUFFIX.sub("", title).strip()


def strip_site_chain(title: str) -> str:
    """``标题_栏目_站名`` / ``标题--频道--站名`` / ``站名 » 标题`` -> ``标题``: the widest segment."""
    title = _strip_ends(_SITE_TAIL.sub("", _PRIVATE_USE.sub("", title).strip()))
    segments = [s.strip() for s in _CHAIN_SEP.split(title) if s and s.strip()]
    if len(segments) <= 1:
        return title.strip()
    return _strip_ends(max(segments, key=_width))


def _carries_chain(text: str) -> bool:
    """A copy of the whole <title> ("标题_栏目_站名", "标题-新华网") rather than the headline."""
    return bool(_SITE_TAIL.search(text) or re.search(r"_|--|——\S{1,12}$", text))


def _title_sources(tree: lxml_html.HtmlElement) -> tuple[str | None, list[str]]:
    """(the CMS's ArticleTitle meta, every title the head offers)."""
    metas: dict[str, str] = {}
    for meta in tree.iter("meta"):
        name = (meta.get("name") or meta.get("property") or "").strip().lower()
        # Some CMSs put the headline's markup into the meta (ArticleTitle "…<div>——副题</div>").
        content = _TAG.sub("", meta.get("content") or "").strip()
        if name in _TITLE_META and content:
            metas.setdefault(name, content)
    sources = [metas[n] for n in _TITLE_META if n in metas]
    node = tree.find(".//title")
    if node is not None and node.text_content().strip():
        sources.append(_SPACE.sub(" ", node.text_content()).strip())
    return metas.get("articletitle"), sources


def _headline_candidates(tree: lxml_html.HtmlElement) -> list[str]:
    found: list[str] = []
    for node in tree.iter():
        if not isinstance(node.tag, str):
            continue
        tag = node.tag.lower()
        hinted = _HEADLINE_HINT.search(f"{node.get('class', '')} {node.get('id', '')}")
        if tag in ("h1", "h2", "h3", "h4") or (hinted and tag in _HINTED_TAGS):
            text = _SPACE.sub(" ", node.text_content()).strip()
            if 4 <= len(text) <= 120:
                found.append(text)
    return found


def find_title(tree: lxml_html.HtmlElement) -> str | None:
    """The visible headline that matches the head's title; else the title without its site-name chain."""
    article_title, sources = _title_sources(tree)
    if not sources:
        return _untitled_page_headline(tree)
    stripped = [strip_site_chain(s) for s in sources]
    best_fallback = _strip_ends(article_title) if article_title else stripped[-1]
    floor = 0.5 * _width(best_fallback) if best_fallback else 0
    normalized = [_norm(s) for s in sources]
    matches = [
        c for c in _headline_candidates(tree)
        if _width(c) >= floor and not _carries_chain(c) and any(_norm(c) in s for s in normalized if s)
    ]
    if matches:
        return _PRIVATE_USE.sub("", max(matches, key=_width)).strip()
    return best_fallback


def _untitled_page_headline(tree: lxml_html.HtmlElement) -> str | None:
    """A page whose head names no title: its first h1, else the first element marked as a title."""
    for node in tree.iter("h1"):
        text = _SPACE.sub(" ", node.text_content()).strip()
        if 4 <= len(text) <= 120:
            return text
    for node in tree.iter():
        if not isinstance(node.tag, str) or node.tag.lower() not in _HINTED_TAGS:
            continue
        if re.search(r"title", f"{node.get('class', '')} {node.get('id', '')}", re.IGNORECASE):
            text = _SPACE.sub(" ", node.text_content()).strip()
            if 4 <= len(text) <= 120:
                return text
    return None


_EMPHASIS = ("b", "strong", "big", "font", "center")
_SENTENCE_END = re.compile(r"[。！？!?]")
# A line that is only a month or a day ("2003年5月"): a dateline, never a headline.
_DATELINE = re.compile(r"^\s*(?:19|20)\d{2}\s*年\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*日)?\s*$")


def _emphasised(tree: lxml_html.HtmlElement) -> set[str]:
    """Normalised texts of the elements a headline is set in: h1-h4, title-marked, bold, big, centred."""
    found = {_norm(c) for c in _headline_candidates(tree)}
    for node in tree.iter(*_EMPHASIS, "p", "div", "td"):
        if node.tag in ("p", "div", "td") and (node.get("align") or "").lower() != "center":
            continue
        text = _norm(node.text_content())
        if 4 <= len(text) <= 60:
            found.add(text)
    return found


def _not_a_headline(line: str) -> bool:
    """Datelines, bylines (本报记者…发自北京) and page furniture are set in bold too, but name no article."""
    return bool(dates._DATE.search(line) or _DATELINE.match(line) or metadata.is_furniture(line))


def headline_above_text(visible: str, text: str, emphasised: set[str], *, window: int = 6) -> str | None:
    """For a page whose head names no title: the emphasised line closest above the main text's start.

    A headline is set in bold, big, centred or heading type right above the article; a site banner or
    a title-marked element far from the text is not the article's headline.
    """
    # The end of the text's first sentence: trafilatura may keep a menu above it, even on its line.
    flat = _norm(text)
    end = _SENTENCE_END.search(flat)
    start = flat[max(0, end.start() - 10):end.start()] if end else ""
    if len(start) < 6:
        return None
    lines = visible.split("\n")
    first = next((i for i, line in enumerate(lines) if start in _norm(line)), None)
    if first is None:
        return None
    for line in reversed(lines[max(0, first - window):first]):
        if _norm(line) in emphasised and not _not_a_headline(line):
            return line.strip()
    return None


def _main_text(tree: lxml_html.HtmlElement, url: str | None) -> str:
    """trafilatura's text; its recall mode only when the default keeps almost nothing."""
    def run(**options: bool) -> str:
        doc = trafilatura.bare_extraction(
            tree, url=url, with_metadata=False, include_tables=True, include_comments=False,
            deduplicate=False, **options,
        )
        return (doc.text if doc is not None else None) or ""

    text = run()
    if len(text) < 200:
        recall = run(favor_recall=True)
        # The recall pass may find body text the default missed, but not at the price of navigation.
        if len(recall) > len(text) and not metadata.has_boilerplate(recall):
            text = recall
    return text


def extract_html(page: str, *, url: str | None = None) -> HtmlPage:
    """Main text, title, dates (with provenance), metadata table and bylines of one HTML page.

    A page whose tags nest deeper than the parser's limit loses everything below that depth; when that
    leaves no text, the error says so (instead of a bare "no text found").
    """
    tree = parse_tree(page)
    too_deep = _too_deep()
    for bad in tree.xpath("//script|//style|//noscript"):
        bad.drop_tree()
    visible = visible_text(tree)
    # Read metadata before trafilatura, which prunes the tree in place.
    title = find_title(tree)
    untitled = not _title_sources(tree)[1]
    emphasised = _emphasised(tree) if untitled else set()
    table = metadata.table_fields(visible)
    bylines = metadata.bylines(visible)
    published, source = dates.publication_date(tree, visible, title=title, table=table, url=url)
    written = dates.parse_date(table["成文日期"]) if table.get("成文日期") else None
    text = metadata.strip_page_furniture(_main_text(tree, url), table=table, title=title)
    if untitled and text:
        title = headline_above_text(visible, text, emphasised) or title
    if too_deep and not text.strip():
        raise ProcessingError(f"no text found above the HTML parser's depth limit: tags nest deeper than "
                              f"{MAX_DEPTH} levels and the text is below that depth")
    if too_deep:
        logger.warning("HTML nests deeper than %d levels; text below that depth dropped: %s", MAX_DEPTH, url)
    return HtmlPage(
        title=title,
        text=text,
        visible_text=visible,
        published_at=published,
        published_at_source=source if published else "none",
        written_at=written,
        fields=table,
        bylines=bylines,
    )
