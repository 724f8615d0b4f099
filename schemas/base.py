"""Shared pieces of every message: strict models, ids, and the trace of what produced a message."""

from __future__ import annotations

import base64
import hashlib
import socket
from datetime import UTC, datetime
from typing import Annotated

import zstandard
from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer

SCHEMA_VERSION = 1


def utcnow() -> datetime:
    return datetime.now(UTC)


def sha256_hex(data: bytes | str) -> str:
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.sha256(data).hexdigest()


# The documented page limit: a page (or an attachment) is at most this many bytes once decompressed.
MAX_PAGE_BYTES = 32 * 1024 * 1024
_CHUNK = 1024 * 1024


class PayloadTooLarge(ValueError):
    """A compressed payload that would expand past the page limit (a zstd bomb, or a page too big)."""


def zstd_pack(data: bytes) -> bytes:
    return zstandard.ZstdCompressor(level=3, write_content_size=True).compress(data)


def zstd_unpack(packed: bytes, limit: int = MAX_PAGE_BYTES) -> bytes:
    """Decompress at most ``limit`` bytes, in 1 MiB steps: memory never runs ahead of the limit.

    A frame that declares a bigger size is refused before anything is allocated; one that does not
    declare it is refused as soon as its output passes the limit.
    """
    try:
        declared = zstandard.frame_content_size(packed)
    except zstandard.ZstdError as exc:
        raise ValueError(f"not a zstd frame: {exc}") from exc
    if declared > limit:
        raise PayloadTooLarge(
            f"compressed payload declares {declared} bytes, over the {limit}-byte page limit")
    out = bytearray()
    reader = zstandard.ZstdDecompressor().stream_reader(packed, read_across_frames=True)
    try:
        while chunk := reader.read(_CHUNK):
            if len(out) + len(chunk) > limit:
                raise PayloadTooLarge(f"compressed payload expands past the {limit}-byte page limit")
            out += chunk
    except zstandard.ZstdError as exc:
        raise ValueError(f"corrupt zstd payload: {exc}") from exc
    return bytes(out)


def _compress(data: bytes) -> str:
    return base64.b64encode(zstd_pack(data)).decode("ascii")


def _decompress(value: object) -> bytes:
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    if isinstance(value, str):
        return zstd_unpack(base64.b64decode(value, validate=True))
    raise TypeError("expected bytes or a zstd+base64 string")


# Page bytes: raw bytes in memory, zstd-compressed and base64-encoded in JSON.
CompressedBytes = Annotated[
    bytes,
    BeforeValidator(_decompress),
    PlainSerializer(lambda b: _compress(b), return_type=str, when_used="json"),
]


class Contract(BaseModel):
    """Base of every topic contract: frozen, unknown fields rejected."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class TraceStep(Contract):
    """One stage that handled the message."""

    stage: str
    at: AwareDatetime = Field(default_factory=utcnow)
    host: str = Field(default_factory=socket.gethostname)
    version: str = "0.1.0"


def trace_step(stage: str) -> TraceStep:
    return TraceStep(stage=stage)
