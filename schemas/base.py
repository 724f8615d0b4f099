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


def _compress(data: bytes) -> str:
    return base64.b64encode(zstandard.ZstdCompressor(level=3).compress(data)).decode("ascii")


def _decompress(value: object) -> bytes:
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    if isinstance(value, str):
        packed = base64.b64decode(value, validate=True)
        return zstandard.ZstdDecompressor().decompress(packed, max_output_size=256 * 1024 * 1024)
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
