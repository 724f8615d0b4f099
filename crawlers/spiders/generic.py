"""The generic listing spider: robots.txt, list pages with pagination, articles, attachments.

One spider instance crawls one source. It emits `{"doc": RawDocument, "status": PageStatus,
"outcome": "new"|"changed"}` items for new or changed pages only; unchanged pages (304 or same
content hash as in the crawl-status index) are counted and not emitted.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import scrapy
from parsel import Selector
from protego import Protego
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError

from crawlers.listing import ListItem, discover_pages, parse_list_items
from crawlers.middlewares import BlockedRequest, RefusedRequest
from crawlers.pagemeta import (
    AttachmentLink,
    attachment_kind,
    extract_hints,
    file_url_ext,
    filename_from_disposition,
    filename_from_url,
    find_attachments,
)
from crawlers.report import SourceRun, origin_of
from crawlers.sources import Source
from crawlers.status import PageStatus
from crawlers.urlpolicy import canonical_url, decide_url
from policywatch.core.decode import decode_html
from schemas.base import trace_step
from schemas.raw import Attachment, ListContext, RawDocument

logger = logging.getLogger(__name__)

USER_AGENT_TOKEN = "policywatch"
_HTML_TYPES = ("text/html", "application/xhtml", "text/xml", "application/xml", "text/plain")


def _now_iso() -> str:
    return datetime.now(UTC).isoformat()


def _header(response: Response, name: str) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def _honest_last_modified(response: Response) -> str | None:
    """Last-Modified, unless it is just the response time (a dynamic page that always says 'now')."""
    value = _header(response, "Last-Modified")
    if not value:
        return None
    try:
        stamp = parsedate_to_datetime(value)
        date_header = _header(response, "Date")
        reference = parsedate_to_datetime(date_header) if date_header else datetime.now(UTC)
    except (TypeError, ValueError):
        return None
    return None if abs((reference - stamp).total_seconds()) < 120 else value


@dataclass
class PendingDoc:
    """An emitted page waiting for its attachments."""

    fields: dict[str, Any]
    hints: dict[str, str]
    status: PageStatus
    outcome: str
    links: list[AttachmentLink]
    attachments: list[Attachment] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


class SourceSpider(scrapy.Spider):
    """Crawls one source from sources.yaml (list pages, RSS or sitemap)."""

    name = "source"
    user_agent_token = USER_AGENT_TOKEN

    def __init__(self, *args: Any, source: Source, run: SourceRun, runtime: Any, **kwargs: Any) -> None:
        super().__init__(*args, name=f"source:{source.id}", **kwargs)
        self.source = source
        self.run = run
        self.runtime = runtime  # crawlers.run.Runtime: the sink and the status store

    # ---- start: robots.txt first, then the list pages of that origin --------------------------------

    async def start(self):
        origins = list(dict.fromkeys(origin_of(u) for u in self.source.start_urls))
        if not self.source.obey_robots:
            for request in self.start_list_requests():
                yield request
            return
        for origin in origins:
            yield scrapy.Request(
                origin + "/robots.txt",
                callback=self.parse_robots,
                errback=self.robots_failed,
                meta={
                    "pw_kind": "robots",
                    "origin": origin,
                    "handle_httpstatus_all": True,
                    "dont_retry": False,
                },
                priority=100,
                dont_filter=True,
            )

    def start_list_requests(self, origin: str | None = None) -> Iterator[scrapy.Request]:
        for url in self.source.start_urls:
            if origin is None or origin_of(url) == origin:
                yield self.list_request(url)

    def list_request(self, url: str) -> scrapy.Request:
        self.run.seen_lists.add(canonical_url(url))
        return scrapy.Request(
            url, callback=self.parse_list, errback=self.page_failed, meta={"pw_kind": "list"}, priority=10
        )

    def parse_robots(self, response: Response):
        self.run.count("pages")
        origin = response.meta["origin"]
        if response.status == 200:
            text = decode_html(response.body, _header(response, "Content-Type")).text
            self.run.robots[origin] = Protego.parse(text)
        elif response.status >= 500:
            self.run.count("failed")
            self.run.fatal = f"robots.txt at {origin} answered {response.status}: not crawling that site"
            return
        else:  # 404 and other 4xx: no robots.txt, everything allowed
            self.run.robots[origin] = None
        yield from self.start_list_requests(origin)

    def robots_failed(self, failure):
        if failure.check(BlockedRequest):
            self.run.fatal = f"robots.txt blocked ({failure.value.block_type}): {failure.value.url}"
            return
        if failure.check(RefusedRequest):
            self.run.refuse(failure.value.url, failure.value.reason)
            return
        self.run.count("failed")
        self.run.fatal = f"robots.txt unreachable: {failure.getErrorMessage()}"

    # ---- list pages ---------------------------------------------------------------------------------

    def parse_list(self, response: Response):
        self.run.count("pages")
        decoded = decode_html(response.body, _header(response, "Content-Type"))
        kind = self.source.listing.kind
        if kind == "rss":
            yield from self._handle_items(self._rss_items(decoded.text, response.url), response.url)
            return
        if kind == "sitemap":
            yield from self._sitemap(decoded.text, response.url)
            return
        sel = Selector(text=decoded.text, base_url=response.url)
        items = parse_list_items(sel, response.url, self.source.listing.selectors)
        yield from self._handle_items(items, response.url)
        for page_url in discover_pages(
            sel, decoded.text, response.url, max_pages=self.source.listing.max_pages
        ):
            key = canonical_url(page_url)
            if key in self.run.seen_lists or len(self.run.seen_lists) >= self.source.listing.max_pages:
                continue
            if not decide_url(
                page_url, self.source.allowed_domains, allow_loopback=self.run.allow_loopback
            ).allowed:
                continue
            yield self.list_request(page_url)

    def _rss_items(self, text: str, url: str) -> list[ListItem]:
        sel = Selector(text=text, type="xml")
        sel.remove_namespaces()
        items = []
        for i, node in enumerate(sel.xpath("//item | //entry")):
            link = node.xpath("link/text()").get() or node.xpath("link/@href").get()
            if link:
                title = (node.xpath("title/text()").get() or "").strip()
                date = node.xpath("pubDate/text() | updated/text() | published/text()").get()
                items.append(ListItem(link.strip(), title, date, i))
        return items

    def _sitemap(self, text: str, url: str):
        sel = Selector(text=text, type="xml")
        sel.remove_namespaces()
        for loc in sel.xpath("//sitemap/loc/text()").getall():
            key = canonical_url(loc.strip())
            if key not in self.run.seen_lists and len(self.run.seen_lists) < self.source.listing.max_pages:
                yield self.list_request(loc.strip())
        items = [
            ListItem(node.xpath("loc/text()").get("").strip(), "", node.xpath("lastmod/text()").get(), i)
            for i, node in enumerate(sel.xpath("//url"))
        ]
        yield from self._handle_items([i for i in items if i.url], url, apply_keywords=False)

    def _handle_items(self, items: list[ListItem], list_url: str, *, apply_keywords: bool = True):
        for item in items:
            key = canonical_url(item.url)
            if key in self.run.seen_items:
                continue
            self.run.seen_items.add(key)
            self.run.count("listed")
            if apply_keywords and self.source.keywords and not self.source.keywords.accepts(item.title):
                self.run.count("filtered")
                continue
            decision = decide_url(
                item.url, self.source.allowed_domains, allow_loopback=self.run.allow_loopback
            )
            if not decision.allowed:
                self.run.refuse(item.url, decision.reason)
                continue
            yield self.article_request(item, list_url)

    # ---- articles -----------------------------------------------------------------------------------

    def article_request(self, item: ListItem, list_url: str) -> scrapy.Request:
        doc_id = RawDocument.id_for_url(canonical_url(item.url))
        headers = {}
        known = self.run.known.get(doc_id)
        if known is not None:
            if known.etag:
                headers["If-None-Match"] = known.etag
            if known.last_modified:
                headers["If-Modified-Since"] = known.last_modified
        return scrapy.Request(
            item.url,
            callback=self.parse_article,
            errback=self.page_failed,
            headers=headers,
            meta={"pw_kind": "article", "item": item, "list_url": list_url, "handle_httpstatus_list": [304]},
        )

    def parse_article(self, response: Response):
        self.run.count("pages")
        item: ListItem = response.meta["item"]
        canon = canonical_url(item.url)
        doc_id = RawDocument.id_for_url(canon)
        known = self.run.known.get(doc_id)
        now = _now_iso()
        if response.status == 304 and known is not None:
            self._unchanged(known, now, 304)
            return
        body = response.body
        digest = hashlib.sha256(body).hexdigest()
        if known is not None and known.content_sha256 == digest:
            self._unchanged(known, now, response.status)
            return
        if doc_id in self.run.emitted:
            return
        content_type = _header(response, "Content-Type")
        hints: dict[str, str] = {
            "list_url": response.meta["list_url"],
            "list_title": item.title,
            "list_position": str(item.position),
            "site_kind": self.source.site_kind,
            "cms_family": self.source.cms_family,
            "source_name": self.source.name,
            "province": self.source.province,
            "content_sha256": digest,
            "robots_decision": "allowed",
        }
        if item.date_raw:
            hints["list_date_raw"] = item.date_raw
        if item.pinned:
            hints["pinned"] = "true"
        if response.url != item.url:
            hints["final_url"] = response.url
        links: list[AttachmentLink] = []
        if self._is_html(content_type, body):
            decoded = decode_html(body, content_type)
            hints.update(
                encoding=decoded.encoding,
                encoding_source=decoded.source,
                mojibake_score=f"{decoded.mojibake_score:.4f}",
            )
            sel = Selector(text=decoded.text, base_url=response.url)
            page_hints = extract_hints(sel, response.url, list_date=item.date_raw)
            hints.update({k: v for k, v in page_hints.items() if k not in hints})
            if self.source.site_kind == "news" and hints.get("content_source"):
                hints["is_repost"] = "true"
                hints["repost_source_name"] = hints["content_source"]
            if self.source.fetch_attachments:
                links = find_attachments(sel, response.url, decoded.text)
        else:
            name = filename_from_disposition(
                response.headers.get("Content-Disposition")
            ) or filename_from_url(response.url)
            hints["file_name"] = name or ""
            hints["title"] = item.title
            if item.date_raw:
                hints["published_at_raw"] = item.date_raw
                hints["published_at_source"] = "list"
        etag = _header(response, "ETag")
        last_modified = _honest_last_modified(response)
        status = PageStatus(
            doc_id=doc_id,
            url=item.url,
            source_id=self.source.id,
            content_sha256=digest,
            etag=etag,
            last_modified=last_modified,
            outcome="changed" if known else "new",
            http_status=response.status,
            content_type=content_type,
            discovered_from=response.meta["list_url"],
            fetch_count=(known.fetch_count or 0) + 1 if known else 1,
            last_fetched_at=now,
            first_seen_at=known.first_seen_at if known and known.first_seen_at else now,
            last_changed_at=now,
        )
        fields = {
            "doc_id": doc_id,
            "url": item.url,
            "canonical_url": canon,
            "source_id": self.source.id,
            "fetched_at": datetime.now(UTC),
            "status": response.status,
            "content_type": content_type,
            "last_modified": _header(response, "Last-Modified"),
            "etag": etag,
            "body": body,
            "discovered_from": response.meta["list_url"],
            "list_context": ListContext(
                list_url=response.meta["list_url"], title=item.title or None, date_text=item.date_raw,
                position=item.position,
            ),
        }
        self.run.emitted.add(doc_id)
        pending = PendingDoc(fields, hints, status, status.outcome, links)
        yield from self._next_attachment(pending)

    def _is_html(self, content_type: str | None, body: bytes) -> bool:
        if content_type:
            return content_type.split(";")[0].strip().lower().startswith(_HTML_TYPES)
        return b"<html" in body[:2048].lower() or b"<!doctype html" in body[:2048].lower()

    def _unchanged(self, known: PageStatus, now: str, http_status: int) -> None:
        known.last_fetched_at = now
        known.outcome = "unchanged"
        known.http_status = http_status
        known.fetch_count = (known.fetch_count or 0) + 1
        self.run.touched.append(known)
        self.run.count("unchanged")

    # ---- attachments: fetched one after another, then the page is emitted with them ----------------

    def _next_attachment(self, pending: PendingDoc):
        while pending.links:
            link = pending.links.pop(0)
            decision = decide_url(
                link.url, self.source.allowed_domains, allow_loopback=self.run.allow_loopback
            )
            if not decision.allowed:
                pending.skipped.append(f"{link.url} ({decision.reason})")
                continue
            yield scrapy.Request(
                link.url,
                callback=self.parse_attachment,
                errback=self.attachment_failed,
                meta={"pw_kind": "attachment", "pending": pending, "link": link},
                dont_filter=True,
                priority=20,
            )
            return
        yield self._finish(pending)

    def parse_attachment(self, response: Response):
        self.run.count("pages")
        pending: PendingDoc = response.meta["pending"]
        link: AttachmentLink = response.meta["link"]
        name = filename_from_disposition(response.headers.get("Content-Disposition")) or link.name
        if not name or not file_url_ext("x/" + name):
            name = filename_from_url(link.url) or name
        kind = attachment_kind(name)
        if kind == "other":
            kind = attachment_kind("x." + (file_url_ext(link.url) or ""))
        pending.attachments.append(
            Attachment(
                url=link.url,
                name=name,
                kind=kind,
                content_type=_header(response, "Content-Type"),
                body=response.body,
            )
        )
        self.run.count("attachments")
        yield from self._next_attachment(pending)

    def attachment_failed(self, failure):
        request = failure.request
        pending: PendingDoc = request.meta["pending"]
        reason = self._failure_reason(failure)
        pending.skipped.append(f"{request.url} ({reason})")
        yield from self._next_attachment(pending)

    def _failure_reason(self, failure) -> str:
        if failure.check(RefusedRequest):
            return failure.value.reason
        if failure.check(BlockedRequest):
            return f"blocked:{failure.value.block_type}"
        if failure.check(HttpError):
            return f"http_{failure.value.response.status}"
        message = failure.getErrorMessage()
        if re.search(r"maxsize|max size|larger than download", message, re.I) or "Cancelled" in repr(
            failure.value
        ):
            return "too_large"
        return type(failure.value).__name__

    def _finish(self, pending: PendingDoc) -> dict[str, Any]:
        hints = dict(pending.hints)
        if pending.skipped:
            hints["attachments_skipped"] = "; ".join(pending.skipped)
        doc = RawDocument(
            **pending.fields,
            attachments=pending.attachments,
            hints=hints,
            trace=[trace_step("crawl")],
        )
        return {"doc": doc, "status": pending.status, "outcome": pending.outcome}

    # ---- failures -----------------------------------------------------------------------------------

    def page_failed(self, failure):
        request = failure.request
        if failure.check(RefusedRequest):
            self.run.refuse(request.url, failure.value.reason)
        elif failure.check(BlockedRequest):
            pass  # counted by the middleware
        else:
            self.run.count("failed")
            logger.warning("%s: %s failed: %s", self.source.id, request.url, self._failure_reason(failure))
