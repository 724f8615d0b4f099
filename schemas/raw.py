"""policy.raw.v1: a fetched page (or local file) as the crawler or `replay` saw it.

Write messages with :func:`encode_raw` and read them with :func:`decode_raw` (see the frame below).
"""

from __future__ import annotations

import json
import struct
from typing import Literal

from pydantic import AwareDatetime, Field

from schemas.base import (
    MAX_PAGE_BYTES,
    SCHEMA_VERSION,
    CompressedBytes,
    Contract,
    PayloadTooLarge,
    TraceStep,
    sha256_hex,
    zstd_pack,
    zstd_unpack,
)

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

    @classmethod
    def from_kafka(cls, value: bytes) -> RawDocument:
        """Read a policy.raw.v1 value: the binary frame or plain JSON (see :func:`decode_raw`)."""
        return decode_raw(value)

    def to_kafka(self) -> bytes:
        """The policy.raw.v1 value for this document (the binary frame, see :func:`encode_raw`)."""
        return encode_raw(self)


# -- the wire: a binary frame, so page bytes are not inflated by base64 -----------------------------
#
#   b"\x00PWRAW" | frame version (1 byte) | header length (4 bytes, big-endian) | header JSON | parts
#
# The header is {"doc": <RawDocument JSON without the bodies>, "body": n, "attachments": [n | null, ...]}
# and the parts are the zstd-compressed body, then each attachment body that is present, of the lengths
# given. A JSON text never starts with a NUL byte, so a reader tells the two forms apart by the first byte
# and still reads every message written as plain JSON (the RawDocument JSON Schema) before the frame.
FRAME_MAGIC = b"\x00PWRAW"
FRAME_VERSION = 1
MAX_TOTAL_BYTES = 4 * MAX_PAGE_BYTES  # page and attachments together, decompressed


def encode_raw(doc: RawDocument) -> bytes:
    """The Kafka value for ``doc``: header JSON plus zstd-compressed bodies, no base64."""
    total = len(doc.body) + sum(len(a.body) for a in doc.attachments if a.body is not None)
    for size in (len(doc.body), *(len(a.body) for a in doc.attachments if a.body is not None)):
        if size > MAX_PAGE_BYTES:
            raise PayloadTooLarge(f"a body of {size} bytes is over the {MAX_PAGE_BYTES}-byte page limit")
    if total > MAX_TOTAL_BYTES:
        raise PayloadTooLarge(
            f"page and attachments are {total} bytes, over the {MAX_TOTAL_BYTES}-byte limit")
    parts = [zstd_pack(doc.body)]
    lengths: list[int | None] = []
    for attachment in doc.attachments:
        if attachment.body is None:
            lengths.append(None)
        else:
            parts.append(zstd_pack(attachment.body))
            lengths.append(len(parts[-1]))
    header = {
        "doc": doc.model_dump(mode="json", exclude={"body": True, "attachments": {"__all__": {"body"}}}),
        "body": len(parts[0]),
        "attachments": lengths,
    }
    head = json.dumps(header, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return b"".join([FRAME_MAGIC, bytes([FRAME_VERSION]), struct.pack(">I", len(head)), head, *parts])


def decode_raw(value: bytes) -> RawDocument:
    """A RawDocument from a Kafka value, framed or plain JSON; bodies bounded by the page limit.

    Raises ``ValueError`` (or pydantic's ``ValidationError``, a subclass) for anything malformed.
    """
    if not value.startswith(FRAME_MAGIC):
        return RawDocument.model_validate_json(value)
    at = len(FRAME_MAGIC)
    if len(value) < at + 5:
        raise ValueError("truncated raw frame")
    if value[at] != FRAME_VERSION:
        raise ValueError(
            f"raw frame version {value[at]} is not supported (this reader knows {FRAME_VERSION})")
    (head_len,) = struct.unpack(">I", value[at + 1:at + 5])
    at += 5
    try:
        header = json.loads(value[at:at + head_len])
        doc = dict(header["doc"])
        body_len = int(header["body"])
        att_lens = list(header["attachments"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"raw frame header unreadable: {exc}") from exc
    at += head_len
    budget = MAX_TOTAL_BYTES

    def part(length: int) -> bytes:
        nonlocal at, budget
        if length < 0 or at + length > len(value):
            raise ValueError("raw frame shorter than its header says")
        data = zstd_unpack(value[at:at + length], min(MAX_PAGE_BYTES, budget))
        at += length
        budget -= len(data)
        return data

    doc["body"] = part(body_len)
    attachments = list(doc.get("attachments") or [])
    if len(attachments) != len(att_lens):
        raise ValueError("raw frame header lists a different number of attachments than the document")
    for attachment, length in zip(attachments, att_lens, strict=True):
        if length is not None:
            attachment["body"] = part(int(length))
    doc["attachments"] = attachments
    if at != len(value):
        raise ValueError(f"{len(value) - at} unexpected bytes after the raw frame's parts")
    return RawDocument.model_validate(doc)
