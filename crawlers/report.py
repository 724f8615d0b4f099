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

SourceState = Literal["ok", "blocked", "failed"]


class Counts(BaseModel):
    listed: int = 0  # distinct items found on list pages
    new: int = 0  # emitted, never seen before
    changed: int = 0  # emitted again, content differs from the last fetch
    unchanged: int = 0  # fetched (or 304) and identical: not emitted
    failed: int = 0  # pages that could not be fetched (5xx, timeouts, ...)
    blocked: int = 0  # responses that were anti-crawler challenges or block pages
    filtered: int = 0  # list items dropped by the keyword filter
    refused: int = 0  # links not followed: off-domain, robots.txt, private address, too large
    attachments: int = 0  # attachments fetched and passed on
    pages: int = 0  # HTTP responses received


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


@dataclass
class SourceRun:
    """Mutable state of one source during one crawl (lives in the crawling process)."""

    source: Source
    known: dict[str, PageStatus] = field(default_factory=dict)  # doc_id -> last status
    allow_loopback: bool = False
    on_progress: Callable[[SourceRun], None] | None = None
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    started_at: datetime = field(default_factory=_now)
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNT_NAMES, 0))
    robots: dict[str, Protego | None] = field(default_factory=dict)  # origin -> rules (None = allow all)
    seen_items: set[str] = field(default_factory=set)
    seen_lists: set[str] = field(default_factory=set)
    emitted: set[str] = field(default_factory=set)
    acked: list[PageStatus] = field(default_factory=list)
    touched: list[PageStatus] = field(default_factory=list)  # unchanged pages: refresh last_fetch
    refusals: dict[str, str] = field(default_factory=dict)
    block_type: str | None = None
    fatal: str | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, name: str, n: int = 1) -> None:
        with self._lock:
            self.counts[name] += n
        if self.on_progress is not None:
            self.on_progress(self)

    def refuse(self, url: str, reason: str) -> None:
        self.refusals[url] = reason
        self.count("refused")

    def robots_allows(self, url: str, user_agent: str) -> bool:
        rules = self.robots.get(origin_of(url))
        return True if rules is None else rules.can_fetch(url, user_agent)

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
        )
