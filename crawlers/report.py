"""Per-source run state and the report a crawl returns (CLI, Airflow, crawl-status index)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal
from urllib.parse import urlsplit

from protego import Protego
from pydantic import BaseModel, Field

from crawlers.sources import Source
from crawlers.status import COUNT_NAMES, PageStatus

SourceState = Literal["ok", "degraded", "blocked", "failed"]
STATS_PREFIX = "policywatch/"  # this crawl's counters in crawler.stats: policywatch/listed, …


class Counts(BaseModel):
    listed: int = 0  # distinct items found on list pages
    new: int = 0  # emitted, never seen before
    changed: int = 0  # emitted again, content differs from the last fetch
    unchanged: int = 0  # fetched (or 304) and identical: not emitted
    skipped: int = 0  # known, same list date, recrawl not due: not fetched at all
    failed: int = 0  # pages that could not be fetched (5xx, timeouts, ...)
    blocked: int = 0  # responses that were anti-crawler challenges or block pages
    filtered: int = 0  # list items dropped by the keyword filter
    refused: int = 0  # links not followed: off-domain, robots.txt, private address, too large
    attachments: int = 0  # attachments fetched and passed on
    pages: int = 0  # HTTP responses received


class FilteredItem(BaseModel):
    """A listed item the relevance filter dropped, and why (so a user can see what was left out)."""

    url: str
    title: str
    reason: str


class SourceReport(BaseModel):
    source_id: str
    status: SourceState = "ok"
    message: str | None = None
    block_type: str | None = None
    counts: Counts = Field(default_factory=Counts)
    run_id: str = ""
    started_at: datetime | None = None
    finished_at: datetime | None = None
    emitted_doc_ids: list[str] = Field(default_factory=list)
    refusals: dict[str, str] = Field(default_factory=dict)  # url -> reason
    filtered: list[FilteredItem] = Field(default_factory=list)
    first_error: str | None = None


class CrawlReport(BaseModel):
    sources: dict[str, SourceReport] = Field(default_factory=dict)

    def totals(self) -> Counts:
        out = Counts()
        for report in self.sources.values():
            for name in COUNT_NAMES:
                setattr(out, name, getattr(out, name) + getattr(report.counts, name))
        return out


def _now() -> datetime:
    return datetime.now(UTC)


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


class Shared:
    """A handle that Scrapy's settings copy by reference (Crawler deep-copies its settings): how a
    crawl's run state reaches its components through `crawler.settings` instead of the spider."""

    def __init__(self, value: object) -> None:
        self.value = value

    def __deepcopy__(self, memo: dict) -> Shared:
        return self

    def __copy__(self) -> Shared:
        return self


RUN_SETTING = "POLICYWATCH_RUN"  # crawler.settings key holding Shared(SourceRun)
RUNTIME_SETTING = "POLICYWATCH_RUNTIME"  # crawler.settings key holding Shared(Runtime)


def run_of(crawler) -> SourceRun:
    """The SourceRun of the crawl `crawler` belongs to."""
    return crawler.settings[RUN_SETTING].value


def has_run(crawler) -> bool:
    """False under `scrapy shell` and other crawls that are not a policywatch source crawl."""
    return crawler.settings.get(RUN_SETTING) is not None


def runtime_of(crawler):
    """The crawl's Runtime (sink and status store)."""
    return crawler.settings[RUNTIME_SETTING].value


@dataclass
class SourceRun:
    """Mutable state of one source during one crawl (lives in the crawling process). Counters live in
    `crawler.stats` once `bind_stats` was called (the run-report extension does it)."""

    source: Source
    known: dict[str, PageStatus] = field(default_factory=dict)  # doc_id -> last status
    allow_loopback: bool = False
    on_progress: Callable[[SourceRun], None] | None = None
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    started_at: datetime = field(default_factory=_now)
    robots: dict[str, Protego | None] = field(default_factory=dict)  # origin -> rules (None = allow all)
    seen_items: set[str] = field(default_factory=set)
    seen_lists: set[str] = field(default_factory=set)
    emitted: set[str] = field(default_factory=set)
    acked: list[PageStatus] = field(default_factory=list)
    touched: list[PageStatus] = field(default_factory=list)  # unchanged pages: refresh last_fetch
    refusals: dict[str, str] = field(default_factory=dict)
    filtered: list[FilteredItem] = field(default_factory=list)
    passed_over: set[str] = field(default_factory=set)  # URLs refused or filtered in this run
    block_type: str | None = None
    fatal: str | None = None
    first_error: str | None = None
    failed_lists: int = 0
    failed_articles: int = 0
    stats: object | None = None
    events: list[dict] | None = None  # `policywatch sources check`: what each step found
    article_budget: int | None = None  # `sources check`: fetch at most this many articles
    final_report: SourceReport | None = None  # set when the spider closed (crawlers/extensions.py)
    _counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNT_NAMES, 0))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def bind_stats(self, stats) -> None:
        """Count into Scrapy's stats collector from now on (counts so far are carried over)."""
        for name, value in self._counts.items():
            if value:
                stats.inc_value(STATS_PREFIX + name, value)
        self.stats = stats

    @property
    def counts(self) -> dict[str, int]:
        if self.stats is None:
            return dict(self._counts)
        return {name: int(self.stats.get_value(STATS_PREFIX + name, 0)) for name in COUNT_NAMES}

    def count(self, name: str, n: int = 1) -> None:
        if name not in self._counts:
            raise KeyError(f"unknown counter {name!r}")
        if self.stats is not None:
            self.stats.inc_value(STATS_PREFIX + name, n)
        else:
            with self._lock:
                self._counts[name] += n
        if self.on_progress is not None:
            self.on_progress(self)

    def note(self, event: str, **data: object) -> None:
        """Record a step for `policywatch sources check` (no-op in a normal crawl)."""
        if self.events is not None:
            self.events.append({"event": event, **data})

    def refuse(self, url: str, reason: str) -> None:
        self.refusals[url] = reason
        self.passed_over.add(url)
        self.count("refused")

    def drop(self, url: str, title: str, reason: str) -> None:
        """A listed item the relevance filter dropped."""
        self.filtered.append(FilteredItem(url=url, title=title, reason=reason))
        self.passed_over.add(url)
        self.count("filtered")

    def fail(self, kind: str, url: str, reason: str) -> None:
        """A list page ('list') or an article ('article') that could not be fetched or read."""
        if kind == "list":
            self.failed_lists += 1
        else:
            self.failed_articles += 1
        self.first_error = self.first_error or f"{kind} {url}: {reason}"
        self.note("failed", kind=kind, url=url, reason=reason)
        self.count("failed")

    def robots_allows(self, url: str, user_agent: str) -> bool:
        rules = self.robots.get(origin_of(url))
        return True if rules is None else rules.can_fetch(url, user_agent)

    def _degraded_message(self, counts: Counts) -> str | None:
        parts = []
        if self.failed_lists:
            parts.append(f"{self.failed_lists} list page(s) failed")
        if self.failed_articles:
            parts.append(f"{self.failed_articles} article(s) failed")
        if counts.blocked:
            parts.append(f"{counts.blocked} response(s) blocked ({self.block_type or 'challenge'})")
        if not parts:
            return None
        first = f"; first error: {self.first_error}" if self.first_error else ""
        return ", ".join(parts) + first

    def report(self) -> SourceReport:
        counts = Counts(**self.counts)
        status: SourceState = "ok"
        message = self.fatal
        if counts.listed == 0:
            if counts.blocked or self.block_type:
                status = "blocked"
                message = (
                    message
                    or f"blocked by the site ({self.block_type or 'challenge'}); configure cookies/headers"
                )
            else:
                status = "failed"
                message = message or "0 items listed: the site failed or its list selectors are out of date"
        elif self.fatal:
            status = "failed"
        else:
            degraded = self._degraded_message(counts)
            if degraded:
                status, message = "degraded", degraded
        return SourceReport(
            source_id=self.source.id,
            status=status,
            message=message,
            block_type=self.block_type,
            counts=counts,
            run_id=self.run_id,
            started_at=self.started_at,
            finished_at=_now(),
            emitted_doc_ids=sorted(self.emitted),
            refusals=dict(self.refusals),
            filtered=list(self.filtered),
            first_error=self.first_error,
        )
