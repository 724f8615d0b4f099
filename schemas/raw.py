"""policy.raw.v1: a fetched page (or local file) as the crawler or `replay` saw it."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, Field

from schemas.base import SCHEMA_VERSION, CompressedBytes, Contract, TraceStep, sha256_hex

AttachmentKind = Literal["pdf", "docx", "doc", "xls", "xlsx", "wps", "other"]
SourceKind = Literal["crawl", "replay"]


class Attachment(Contract):
    url: str
    name: str | None = None  # link text or Content-Disposition file name
    kind: AttachmentKind = "other"
    content_type: str | None = None
    body: CompressedBytes | None = None  # fetched bytes, when the crawler fetched it


class ListContext(Contract):
    """Where the crawler found the page: the list page, and what that list showed for it."""

    list_url: str
    title: str | None = None  # the title as listed (often the full one when the page's is cut)
    date_text: str | None = None  # the date as the list printed it, e.g. "2024-01-05" or "(01-25)"
    position: int | None = None  # 0-based row on the list page


class RawDocument(Contract):
    schema_version: Literal[1] = SCHEMA_VERSION
    doc_id: str  # sha256 of the canonical URL; for a local file, of its bytes
    url: str
    canonical_url: str
    source_id: str
    source_kind: SourceKind = "crawl"
    fetched_at: AwareDatetime
    status: int = 200
    content_type: str | None = None
    last_modified: str | None = None
    etag: str | None = None
    body: CompressedBytes
    discovered_from: str | None = None  # list page URL
    attachments: list[Attachment] = Field(default_factory=list)
    list_context: ListContext | None = None  # set when the page was found on a list page
    # Metadata the crawler read from the page, passed on as hints (clean decides).
    hints: dict[str, str] = Field(default_factory=dict)
    trace: list[TraceStep] = Field(default_factory=list)

    @staticmethod
    def id_for_url(canonical_url: str) -> str:
        return sha256_hex(canonical_url)

    @staticmethod
    def id_for_bytes(data: bytes) -> str:
        return sha256_hex(data)
