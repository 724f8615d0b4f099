"""Replay local files into the pipeline: each file becomes a RawDocument on policy.raw.v1.

    replay(["seeds/"], producer=producer)    # txt/html/pdf/docx/doc, folders recursively
"""

from __future__ import annotations

import logging
import mimetypes
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from policywatch.core.errors import PolicywatchError, ServiceUnavailable
from schemas import RAW_TOPIC, RawDocument, trace_step
from schemas.base import MAX_PAGE_BYTES, PayloadTooLarge

logger = logging.getLogger(__name__)

REPLAY_SUFFIXES = {".txt", ".text", ".html", ".htm", ".shtml", ".pdf", ".docx", ".doc"}
_TYPES = {".txt": "text/plain", ".text": "text/plain", ".shtml": "text/html", ".doc": "application/msword"}


@dataclass(slots=True)
class ReplayReport:
    files: int = 0
    sent: int = 0
    bytes: int = 0
    skipped: list[str] = field(default_factory=list)
    doc_ids: list[str] = field(default_factory=list)


def iter_replay_files(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Files to replay: each path itself, or every txt/html/pdf/docx/doc below a folder (sorted)."""
    out: list[Path] = []
    for item in paths:
        path = Path(item)
        if path.is_dir():
            found = (p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in REPLAY_SUFFIXES)
            out.extend(sorted(found))
        elif path.is_file():
            out.append(path)
        else:
            raise PolicywatchError(f"{path}: no such file or folder")
    return out


def raw_document_for_file(path: Path, *, source_id: str = "replay",
                          fetched_at: datetime | None = None) -> RawDocument:
    """A RawDocument for a local file; its doc_id is the sha256 of the file's bytes."""
    data = path.read_bytes()
    url = path.resolve().as_uri()
    suffix = path.suffix.lower()
    content_type = _TYPES.get(suffix) or mimetypes.guess_type(path.name)[0]
    return RawDocument(
        doc_id=RawDocument.id_for_bytes(data), url=url, canonical_url=url, source_id=source_id,
        source_kind="replay", fetched_at=fetched_at or datetime.now(UTC), content_type=content_type,
        body=data, trace=[trace_step("replay")],
    )


def replay(paths: Sequence[str | os.PathLike[str]], *, producer: Any, topic: str = RAW_TOPIC,
           source_id: str = "replay", progress: Callable[[int, int], None] | None = None,
           page_limit: int = MAX_PAGE_BYTES, message_limit: int = MAX_PAGE_BYTES + 1_048_576) -> ReplayReport:
    """Publish local files (txt, html, pdf, docx, doc; folders recursively) to ``topic`` as RawDocuments,
    keyed by doc_id, and wait until every send is acknowledged. ``progress(done, total)`` is called after
    each file. The caller owns ``producer`` (``policywatch.bootstrap.replay`` builds and closes one).

    A file over ``page_limit`` bytes, or whose message is over ``message_limit`` or refused by Kafka as too
    large, is skipped and listed in ``report.skipped``; the other files are still sent.
    """
    files = iter_replay_files(paths)
    report = ReplayReport(files=len(files))
    sent: list[tuple[Path, str, int, Any]] = []
    for n, path in enumerate(files, 1):
        why = _replay_one(path, producer, topic=topic, source_id=source_id,
                          page_limit=min(page_limit, MAX_PAGE_BYTES), message_limit=message_limit, sent=sent)
        if why:
            report.skipped.append(why)
            logger.warning("replay: file skipped: %s", why)
        if progress:
            progress(n, len(files))
    producer.flush(timeout=120)
    for path, doc_id, size, future in sent:
        try:
            future.get(timeout=120)
        except Exception as exc:
            if type(exc).__name__ in _TOO_LARGE:
                report.skipped.append(f"{path}: Kafka refused the message as too large ({size} bytes)")
                continue
            raise ServiceUnavailable(f"Kafka did not acknowledge a replayed file: {exc}") from exc
        report.sent += 1
        report.bytes += size
        report.doc_ids.append(doc_id)
    return report


_TOO_LARGE = ("MessageSizeTooLargeError", "RecordTooLargeError")


def _replay_one(path: Path, producer: Any, *, topic: str, source_id: str, page_limit: int,
                message_limit: int, sent: list[tuple[Path, str, int, Any]]) -> str | None:
    """Send one file; the reason it was skipped, or None once it is on its way."""
    try:
        size = path.stat().st_size
        if size > page_limit:
            return f"{path}: {size} bytes, over the {page_limit}-byte page limit; not sent"
        raw = raw_document_for_file(path, source_id=source_id)
    except OSError as exc:
        return f"{path}: {exc}"
    try:
        value = raw.to_kafka()  # the binary frame: page bytes without base64's third on top
    except PayloadTooLarge as exc:
        return f"{path}: {exc}; not sent"
    if len(value) > message_limit:
        return f"{path}: message of {len(value)} bytes, over Kafka's {message_limit}-byte limit; not sent"
    try:
        future = producer.send(topic, key=raw.doc_id.encode(), value=value)
    except Exception as exc:
        if type(exc).__name__ in _TOO_LARGE:
            return f"{path}: Kafka refused the message as too large ({len(value)} bytes); not sent"
        raise
    sent.append((path, raw.doc_id, len(value), future))
    return None
