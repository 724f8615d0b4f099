"""The clean stage's pure core: RawDocument -> CleanedDocument.

``prepare`` does everything that needs only the message; ``clean_batch`` adds duplicate_of /
cluster_id from a :class:`~processors.clean.dedup.FingerprintStore`.
"""

from __future__ import annotations

import logging
import mimetypes
from datetime import UTC, datetime
from pathlib import Path

from policywatch.core.decode import decode_bytes
from policywatch.core.errors import ProcessingError
from processors.clean import dates, metadata, mojibake
from processors.clean.dedup import Fingerprint, FingerprintStore, MemoryFingerprintStore
from processors.clean.documents import READABLE_KINDS, document_text, sniff_kind
from processors.clean.fingerprint import content_sha256, from_hex, numbers_of, simhash, to_hex
from processors.clean.html import extract_html
from processors.clean.text import detect_script, normalize_whitespace, repair_wrapped_lines
from schemas import CleanedDocument, RawDocument, trace_step

logger = logging.getLogger(__name__)

__all__ = ["FingerprintStore", "MemoryFingerprintStore", "clean", "clean_batch", "prepare", "raw_from_file"]

STAGE = "clean"
_CONTENT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "doc": "application/msword",
    "html": "text/html",
    "text": "text/plain",
}
MAX_TEXT_CHARS = 2_000_000
MAX_PAGE_BYTES = 10 * 1024 * 1024  # an HTML or text page; attachments may be bigger
_CONTROL = bytes(range(0, 9)) + bytes(range(14, 32))


def raw_from_file(path: str | Path, *, url: str | None = None, fetched_at: datetime | None = None
                  ) -> RawDocument:
    """A local file as the crawler would have handed it over, fetched from ``url`` (default: the file's
    own ``file://`` URI), so that ``policywatch extract FILE`` and the clean stage read it alike.

    Raises OSError when the file cannot be read.
    """
    p = Path(path)
    data = p.read_bytes()
    address = url or p.resolve().as_uri()
    return RawDocument(
        doc_id=RawDocument.id_for_bytes(data), url=address, canonical_url=address, source_id="local",
        source_kind="replay", fetched_at=fetched_at or datetime.now(UTC),
        content_type=mimetypes.guess_type(p.name)[0], body=data,
    )


def _check_page_bytes(body: bytes) -> None:
    if len(body) > MAX_PAGE_BYTES:
        raise ProcessingError(f"page of {len(body)} bytes is over the {MAX_PAGE_BYTES}-byte HTML/text limit")
    head = body[:65536]
    if head and sum(head.count(c) for c in _CONTROL) > 0.05 * len(head):
        raise ProcessingError("binary content (control bytes) where an HTML or text page was expected")


def _crawler_score(raw: RawDocument) -> float | None:
    try:
        return float(raw.hints["mojibake_score"])
    except (KeyError, ValueError):
        return None


def _tidy(text: str) -> str:
    return repair_wrapped_lines(normalize_whitespace(text))


def prepare(raw: RawDocument) -> CleanedDocument:
    """Clean one document; duplicate_of is left empty and cluster_id is the document itself."""
    kind = sniff_kind(raw.body, content_type=raw.content_type, name=raw.url)
    encoding: str | None = None
    title: str | None = raw.hints.get("title") or None
    published = None
    published_source = "none"
    written = None
    fields: dict[str, str] = {}
    bylines: dict[str, str] = {}
    visible = ""
    if kind in ("html", "text"):
        _check_page_bytes(raw.body)
        decoded, encoding = decode_bytes(raw.body, content_type=raw.content_type)
        decoded = mojibake.repair(decoded, crawler_score=_crawler_score(raw), where=raw.url)
        title = mojibake.repair(title, where=f"the title of {raw.url}") if title else title
        if kind == "html":
            page = extract_html(decoded, url=raw.url)
            text = _tidy(page.text)
            visible = page.visible_text
            title = page.title or title
            published, published_source = page.published_at, page.published_at_source
            written, fields, bylines = page.written_at, page.fields, page.bylines
        else:
            visible = normalize_whitespace(decoded)
            text = metadata.trim_tail(repair_wrapped_lines(visible))
    else:
        text = _tidy(document_text(raw.body, kind))
        visible = text

    attachment_names: list[str] = []
    for attachment in raw.attachments:
        attachment_names.append(attachment.name or attachment.url.rsplit("/", 1)[-1])
        if attachment.body is None:
            continue
        att_kind = sniff_kind(attachment.body, content_type=attachment.content_type, name=attachment.url)
        if att_kind not in READABLE_KINDS:
            continue
        try:
            att_text = _tidy(document_text(attachment.body, att_kind))
        except ProcessingError as exc:  # one bad attachment does not lose the page
            logger.warning("attachment skipped: %s (%s)", attachment.url, exc)
            continue
        if att_text:
            text = f"{text}\n\n附件：{attachment_names[-1]}\n{att_text}".strip()

    if not text.strip():
        raise ProcessingError(f"no text found in {kind} document {raw.url}")
    if len(text) > MAX_TEXT_CHARS:
        raise ProcessingError(f"text of {len(text)} characters is over the {MAX_TEXT_CHARS} limit")

    if published is None and kind != "html":
        published, published_source = dates.date_from_visible(visible), "visible"
        if published is None:
            published, published_source = dates.date_from_url(raw.url), "url"
        if published is None:
            published_source = "none"
    listed = raw.list_context
    # The last resort the crawler offers: the date the list page printed next to the link (older raw
    # messages carry it as a hint).
    list_date = (listed.date_text if listed else None) or raw.hints.get("list_date_raw")
    if published is None and list_date:
        published = dates.parse_date(list_date)
        published_source = "list" if published else "none"
    if published is None and raw.last_modified:
        published = dates.parse_date(raw.last_modified)
        published_source = "http_last_modified" if published else "none"

    title = title or (listed.title if listed else None) or metadata.title_from_text(text)
    script, simplified = detect_script(text)
    fingerprint = simhash(simplified or text)
    return CleanedDocument(
        doc_id=raw.doc_id,
        url=raw.url,
        canonical_url=raw.canonical_url,
        source_id=raw.source_id,
        fetched_at=raw.fetched_at,
        title=title.strip() if title else None,
        text=text,
        text_simplified=simplified,
        script=script,
        published_at=published,
        published_at_source=published_source,
        written_at=written,
        # The page's own fields first; what the crawler read from the page is the fallback.
        issuer=fields.get("发布机构") or metadata.issuer(visible) or raw.hints.get("issuer"),
        doc_number=metadata.doc_number(fields.get("文号") or visible) or raw.hints.get("doc_no"),
        index_number=fields.get("索引号") or metadata.index_number(visible) or raw.hints.get("index_no"),
        bylines=bylines,
        gov_fields=fields,
        content_type=_CONTENT_TYPES.get(kind, raw.content_type),
        encoding=encoding,
        content_sha256=content_sha256(text),
        simhash=to_hex(fingerprint),
        duplicate_of=None,
        cluster_id=raw.doc_id,
        attachment_names=attachment_names,
        trace=[*raw.trace, trace_step(STAGE)],
    )


def clean_batch(raws: list[RawDocument], store: FingerprintStore) -> list[CleanedDocument]:
    """Clean a batch and link near-duplicates to the first copy seen (raises a refused item's error)."""
    docs = [prepare(raw) for raw in raws]
    reposts = frozenset(raw.doc_id for raw in raws if raw.hints.get("is_repost") == "true")
    out: list[CleanedDocument] = []
    for doc in link_duplicates(docs, store, reposts):
        if isinstance(doc, Exception):
            raise doc
        out.append(doc)
    return out


def link_duplicates(docs: list[CleanedDocument], store: FingerprintStore,
                    reposts: frozenset[str] = frozenset()) -> list[CleanedDocument | Exception]:
    """Each document with duplicate_of / cluster_id set, or the exception the store refused it with.
    ``reposts``: doc_ids the crawler saw naming another outlet as their source."""
    assignments = store.assign([
        Fingerprint(doc.doc_id, from_hex(doc.simhash), doc.fetched_at, doc.url,
                    published=doc.published_at, numbers=numbers_of(doc.text_simplified or doc.text),
                    repost=doc.doc_id in reposts)
        for doc in docs
    ])
    out: list[CleanedDocument | Exception] = []
    for doc in docs:
        assignment = assignments[doc.doc_id]
        if isinstance(assignment, Exception):
            out.append(assignment)
            continue
        out.append(doc.model_copy(update={"duplicate_of": assignment.duplicate_of,
                                          "cluster_id": assignment.cluster_id}))
    return out


def clean(raw: RawDocument, store: FingerprintStore | None = None) -> CleanedDocument:
    """Clean one document (with a throwaway in-memory store unless one is given)."""
    return clean_batch([raw], store or MemoryFingerprintStore())[0]
