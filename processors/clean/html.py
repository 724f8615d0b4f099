"""Main text and metadata of an HTML page (trafilatura for the text; our own date provenance)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import trafilatura
from lxml import html as lxml_html
from lxml.etree import ParserError

from policywatch.core.errors import ProcessingError
from processors.clean import dates

_TITLE_META = ("articletitle", "og:title", "dc.title", "title")
_TITLE_SUFFIX = re.compile(r"\s*[_|｜\-—–]\s*[^_|｜\-—–]{2,30}$")


@dataclass(frozen=True)
class HtmlPage:
    title: str | None
    text: str
    visible_text: str  # everything a reader sees, header tables included (for 文号, 索引号, 发布机构)
    published_at: datetime | None
    published_at_source: str


def _meta_title(tree: lxml_html.HtmlElement) -> str | None:
    metas = {}
    for meta in tree.iter("meta"):
        name = (meta.get("name") or meta.get("property") or "").strip().lower()
        if name in _TITLE_META and meta.get("content"):
            metas.setdefault(name, meta.get("content").strip())
    for name in _TITLE_META:
        if metas.get(name):
            return metas[name]
    node = tree.find(".//title")
    if node is not None and node.text_content().strip():
        return _TITLE_SUFFIX.sub("", node.text_content().strip())
    return None


def _visible_text(tree: lxml_html.HtmlElement) -> str:
    body = tree.find(".//body")
    root = body if body is not None else tree
    parts: list[str] = []
    for node in root.iter():
        if node.tag in ("script", "style", "noscript") or not isinstance(node.tag, str):
            continue
        if node.text and node.text.strip():
            parts.append(node.text.strip())
        if node.tail and node.tail.strip():
            parts.append(node.tail.strip())
    return "\n".join(parts)


def extract_html(page: str, *, url: str | None = None) -> HtmlPage:
    """Main text, title and publication date (with provenance) of one HTML page."""
    try:
        tree = lxml_html.document_fromstring(page)
    except (ParserError, ValueError) as exc:
        raise ProcessingError(f"unparsable HTML: {exc}") from exc
    for bad in tree.xpath("//script|//style|//noscript"):
        bad.drop_tree()
    visible = _visible_text(tree)
    # Read metadata before trafilatura, which prunes the tree in place.
    title = _meta_title(tree)
    meta_date = dates.date_from_meta(tree)
    doc = trafilatura.bare_extraction(
        tree, url=url, with_metadata=False, include_tables=True, include_comments=False, deduplicate=False
    )
    text = (doc.text if doc is not None else None) or ""
    if len(text) < 0.2 * len(visible) and len(visible) < 20_000:
        # trafilatura keeps too little of some table-laid-out CMS pages: fall back to everything visible.
        text = visible
    published, source = meta_date, "meta"
    if published is None:
        published, source = dates.date_from_visible(visible), "visible"
    if published is None and url:
        published, source = dates.date_from_url(url), "url"
    return HtmlPage(
        title=title,
        text=text,
        visible_text=visible,
        published_at=published,
        published_at_source=source if published else "none",
    )
