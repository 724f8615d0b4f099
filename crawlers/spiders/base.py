"""What every listing kind shares: robots.txt, relevance, incremental skipping, articles, attachments.

One spider instance crawls one source. A subclass (crawlers/spiders/registry.py) only knows how to
read its kind of list and where the next list page is; it hands the items it finds to `handle_items`
and asks `follow_pages` whether to go on. The spider emits `{"doc": RawDocument, "status": PageStatus,
"outcome": "new"|"changed"}` items for new or changed pages only; unchanged pages (304 or the same
main-content hash as in the crawl-status index) are counted and not emitted.

Run state (the SourceRun) and the sink reach the spider and the other components through
`crawler.settings` (crawlers/report.py `run_of`), counters go to `crawler.stats`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import scrapy
from parsel import Selector
from protego import Protego
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError

from crawlers.fingerprint import content_hash
from crawlers.listing import ListItem
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
from crawlers.relevance import judge_body, judge_title
from crawlers.report import RUN_SETTING, RUNTIME_SETTING, Shared, SourceRun, has_run, origin_of, run_of
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


def header(response: Response, name: str) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


_header = header  # older name


def decoded_text(response: Response) -> str:
    return decode_html(response.body, header(response, "Content-Type")).text


def _honest_last_modified(response: Response) -> str | None:
    """Last-Modified, unless it is just the response time (a dynamic page that always says 'now')."""
    value = header(response, "Last-Modified")
    if not value:
        return None
    try:
        stamp = parsedate_to_datetime(value)
        date_header = header(response, "Date")
        reference = parsedate_to_datetime(date_header) if date_header else datetime.now(UTC)
    except (TypeError, ValueError):
        return None
    return None if abs((reference - stamp).total_seconds()) < 120 else value


def _page_context(sel: Selector) -> str:
    """What a list page says about itself: its column name and title (used by the relevance filter)."""
    parts = sel.xpath("//meta[@name='ColumnName']/@content | //title/text()").getall()
    return " ".join(p.strip() for p in parts if p.strip())


def _install_standalone_run(crawler, source_id: str | None, sources_path: str | None) -> None:
    """Run state for a spider started by Scrapy's own commands: the named source of sources.yaml,
    documents kept in memory, nothing written."""
    from crawlers.run import Runtime
    from crawlers.sinks import MemorySink
    from crawlers.sources import load_sources
    from crawlers.status import MemoryStatusStore

    if not source_id:
        raise ValueError("name the source: scrapy parse --spider KIND -a source=ID [-a sources=PATH] URL")
    sources_file = load_sources(sources_path)
    run = SourceRun(source=sources_file.get(source_id), allow_loopback=sources_file.allow_loopback)
    crawler.settings.set(RUN_SETTING, Shared(run), priority="cmdline")
    runtime = Runtime(MemorySink(), MemoryStatusStore())
    crawler.settings.set(RUNTIME_SETTING, Shared(runtime), priority="cmdline")


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
    """Base of the per-kind spiders. Subclasses implement `start_list_requests`."""

    name = ""  # not a spider of its own: `scrapy list` shows the per-kind spiders
    kind = ""  # the listing kind (sources.yaml listing.kind) this spider implements
    user_agent_token = USER_AGENT_TOKEN

    def __init__(self, *args: Any, source: Source, **kwargs: Any) -> None:
        super().__init__(*args, name=f"{self.name or 'source'}:{source.id}", **kwargs)
        self.source = source

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any):
        if not has_run(crawler):  # `scrapy crawl|parse KIND -a source=ID [-a sources=PATH]`
            _install_standalone_run(crawler, kwargs.pop("source", None), kwargs.pop("sources", None))
        kwargs["source"] = run_of(crawler).source
        return super().from_crawler(crawler, *args, **kwargs)

    @property
    def run(self) -> SourceRun:
        return run_of(self.crawler)

    # ---- start: robots.txt first, then the list pages of that origin --------------------------------

    def origins(self) -> list[str]:
        return list(dict.fromkeys(origin_of(u) for u in self.source.start_urls))

    async def start(self):
        if not self.source.obey_robots:
            for request in self.start_list_requests():
                yield request
            return
        for origin in self.origins():
            yield scrapy.Request(
                origin + "/robots.txt",
                callback=self.parse_robots,
                errback=self.robots_failed,
                meta={"pw_kind": "robots", "origin": origin, "handle_httpstatus_all": True},
                priority=100,
                dont_filter=True,
            )

    def parse(self, response, **kwargs):  # `scrapy parse --spider {kind} -a source=ID URL`
        yield from self.parse_list(response)

    def start_list_requests(self, origin: str | None = None) -> Iterator[scrapy.Request]:
        """One list request per start URL (of `origin` only, when given); kinds with other entry points
        override it."""
        for url in self.start_urls_of(origin):
            yield self.list_request(url)

    def start_urls_of(self, origin: str | None) -> list[str]:
        return [u for u in self.source.start_urls if origin is None or origin_of(u) == origin]

    def list_request(self, url: str, *, callback=None, **kwargs: Any) -> scrapy.Request:
        self.run.seen_lists.add(canonical_url(url))
        meta = {"pw_kind": "list", **kwargs.pop("meta", {})}
        return scrapy.Request(
            url,
            callback=callback or self.parse_list,
            errback=self.page_failed,
            meta=meta,
            priority=10,
            **kwargs,
        )

    def parse_list(self, response: Response):  # pragma: no cover - every kind overrides it
        raise NotImplementedError

    def parse_robots(self, response: Response):
        self.run.count("pages")
        origin = response.meta["origin"]
        if response.status == 200:
            self.run.robots[origin] = Protego.parse(decoded_text(response))
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

    # ---- paging -------------------------------------------------------------------------------------

    def decide(self, url: str):
        """The URL policy for this source (domains, schemes, private and loopback targets)."""
        return decide_url(
            url, self.source.allowed_domains, allow_loopback=self.run.allow_loopback,
            allow_private=self.source.allow_private,
        )

    def may_page(self, url: str) -> bool:
        """True when `url` is a list page not requested yet, within max_pages and the allowed domains."""
        if canonical_url(url) in self.run.seen_lists:
            return False
        if len(self.run.seen_lists) >= self.source.listing.max_pages:
            return False
        return self.decide(url).allowed

    def page_is_known(self, items: list[ListItem]) -> bool:
        """Every item of this list page was crawled before with the same list date: the older pages were
        seen too, so paging can stop (listing.stop_when_known)."""
        if not (self.source.listing.stop_when_known and self.run.known and items):
            return False
        seen_any = False
        for item in items:
            if item.url in self.run.passed_over:  # refused or filtered: never fetched, never known
                continue
            known = self.run.known.get(RawDocument.id_for_url(canonical_url(item.url)))
            if known is None or (item.date_raw and known.list_date and known.list_date != item.date_raw):
                return False
            seen_any = True
        return seen_any

    def follow_pages(self, page_urls: Iterable[str], items: list[ListItem], **kwargs: Any):
        """Requests for the other list pages, unless this page shows the crawl has caught up."""
        if self.page_is_known(items):
            logger.info("%s: a whole list page is known, not paging further", self.source.id)
            self.run.note("stop", reason="a whole list page is known")
            return
        wanted = [url for url in page_urls if self.may_page(url)]
        self.run.note("next", pages=wanted)
        for url in wanted:
            yield self.list_request(url, **kwargs)

    # ---- items --------------------------------------------------------------------------------------

    def handle_items(
        self, items: list[ListItem], list_url: str, *, context: str = "", apply_keywords: bool = True
    ):
        for item in items:
            key = canonical_url(item.url)
            if key in self.run.seen_items:
                continue
            self.run.seen_items.add(key)
            self.run.count("listed")
            decision = self.decide(item.url)
            note = {"url": item.url, "title": item.title, "date": item.date_raw, "list_url": list_url}
            if not decision.allowed:
                self.run.refuse(item.url, decision.reason)
                self.run.note("item", **note, verdict=f"refused: {decision.reason}")
                continue
            if self.source.obey_robots and not self.run.robots_allows(item.url, self.user_agent_token):
                self.run.refuse(item.url, "robots")
                self.run.note("item", **note, verdict="refused: robots.txt")
                continue
            needs_body = False
            if apply_keywords:
                verdict = judge_title(self.source, item.title, context=context)
                if not verdict.keep and not verdict.needs_body:
                    self.run.drop(item.url, item.title, verdict.reason)
                    self.run.note("item", **note, verdict=f"filtered: {verdict.reason}")
                    continue
                needs_body = verdict.needs_body
            request = self.article_request(item, list_url, needs_body=needs_body)
            if request is None:
                self.run.note("item", **note, verdict="not fetched (known, or over the check limit)")
                continue
            self.run.note("item", **note, verdict="fetch, body decides" if needs_body else "fetch")
            yield request

    def _skip_known(self, item: ListItem, known: PageStatus | None) -> bool:
        """A known article whose list date did not change and whose recrawl is not due yet."""
        if known is None or not known.last_fetched_at:
            return False
        if item.date_raw and known.list_date != item.date_raw:
            return False
        days = self.source.listing.recrawl_days
        try:
            last = datetime.fromisoformat(known.last_fetched_at)
        except ValueError:
            return False
        return days > 0 and datetime.now(UTC) - last < timedelta(days=days)

    # ---- articles -----------------------------------------------------------------------------------

    def article_request(self, item: ListItem, list_url: str, *, needs_body: bool = False):
        doc_id = RawDocument.id_for_url(canonical_url(item.url))
        known = self.run.known.get(doc_id)
        if self._skip_known(item, known):
            self.run.count("skipped")
            return None
        if self.run.article_budget is not None:
            if self.run.article_budget <= 0:
                return None
            self.run.article_budget -= 1
        headers = {}
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
            meta={
                "pw_kind": "article",
                "item": item,
                "list_url": list_url,
                "needs_body": needs_body,
                "handle_httpstatus_list": [304],
            },
        )

    def parse_article(self, response: Response):
        self.run.count("pages")
        item: ListItem = response.meta["item"]
        canon = canonical_url(item.url)
        doc_id = RawDocument.id_for_url(canon)
        known = self.run.known.get(doc_id)
        now = _now_iso()
        if response.status == 304 and known is not None:
            self._unchanged(known, now, 304, item)
            return
        body = response.body
        content_type = header(response, "Content-Type")
        is_html = self._is_html(content_type, body)
        decoded = decode_html(body, content_type) if is_html else None
        sel = Selector(text=decoded.text, base_url=response.url) if decoded is not None else None
        if response.meta.get("needs_body"):
            verdict = judge_body(decoded.text if decoded is not None else "")
            if not verdict.keep:
                self.run.drop(item.url, item.title, verdict.reason)
                self.run.note("item", url=item.url, title=item.title, date=item.date_raw,
                              list_url=response.meta["list_url"], verdict=f"filtered: {verdict.reason}")
                return
        digest = content_hash(sel, body)
        if known is not None and known.content_sha256 == digest:
            self._unchanged(known, now, response.status, item)
            return
        if doc_id in self.run.emitted:
            return
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
        if decoded is not None and sel is not None:
            hints.update(
                encoding=decoded.encoding,
                encoding_source=decoded.source,
                mojibake_score=f"{decoded.mojibake_score:.4f}",
            )
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
        self.run.note(
            "article", url=item.url, title=hints.get("title") or item.title,
            published=hints.get("published_at"), attachments=[f"{a.url} ({a.found_via})" for a in links],
        )
        etag = header(response, "ETag")
        status = PageStatus(
            doc_id=doc_id,
            url=item.url,
            source_id=self.source.id,
            content_sha256=digest,
            etag=etag,
            last_modified=_honest_last_modified(response),
            outcome="changed" if known else "new",
            http_status=response.status,
            content_type=content_type,
            discovered_from=response.meta["list_url"],
            fetch_count=(known.fetch_count or 0) + 1 if known else 1,
            last_fetched_at=now,
            first_seen_at=known.first_seen_at if known and known.first_seen_at else now,
            last_changed_at=now,
            list_date=item.date_raw,
        )
        fields = {
            "doc_id": doc_id,
            "url": item.url,
            "canonical_url": canon,
            "source_id": self.source.id,
            "fetched_at": datetime.now(UTC),
            "status": response.status,
            "content_type": content_type,
            "last_modified": header(response, "Last-Modified"),
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

    def _unchanged(self, known: PageStatus, now: str, http_status: int, item: ListItem) -> None:
        known.last_fetched_at = now
        known.outcome = "unchanged"
        known.http_status = http_status
        known.fetch_count = (known.fetch_count or 0) + 1
        known.list_date = item.date_raw or known.list_date
        self.run.touched.append(known)
        self.run.count("unchanged")

    # ---- attachments: fetched one after another, then the page is emitted with them ----------------

    def _next_attachment(self, pending: PendingDoc):
        while pending.links:
            link = pending.links.pop(0)
            decision = self.decide(link.url)
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
                content_type=header(response, "Content-Type"),
                body=response.body,
            )
        )
        self.run.count("attachments")
        yield from self._next_attachment(pending)

    def attachment_failed(self, failure):
        request = failure.request
        pending: PendingDoc = request.meta["pending"]
        pending.skipped.append(f"{request.url} ({self._failure_reason(failure)})")
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
            reason = self._failure_reason(failure)
            kind = "list" if request.meta.get("pw_kind") == "list" else "article"
            self.run.fail(kind, request.url, reason)
            logger.warning("%s: %s failed: %s", self.source.id, request.url, reason)
