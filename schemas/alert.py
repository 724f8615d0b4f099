"""policy.alerts.v1, policy.dlq.v1 and policy.dlq-redrives.v1."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, Field

from schemas.base import SCHEMA_VERSION, CompressedBytes, Contract, utcnow


class Alert(Contract):
    schema_version: Literal[1] = SCHEMA_VERSION
    alert_id: str  # sha256(watch name + doc_id): one alert per (watch, document)
    watch: str
    owner: str | None = None
    doc_id: str
    title: str | None = None
    url: str
    zone: str | None = None
    year: int | None = None
    matched_at: AwareDatetime = Field(default_factory=utcnow)
    highlights: list[str] = Field(default_factory=list)
    delivery: Literal["none", "pending", "delivered", "failed"] = "none"
    delivery_error: str | None = None


class DeadLetter(Contract):
    schema_version: Literal[1] = SCHEMA_VERSION
    stage: str
    error: str  # exception type and message
    attempts: int
    topic: str
    partition: int
    offset: int
    key: str | None = None
    original: CompressedBytes  # the message value exactly as consumed (the first 8 MiB of a bigger one)
    original_size: int | None = None  # length of the consumed value in bytes
    failed_at: AwareDatetime = Field(default_factory=utcnow)


class Redrive(Contract):
    """A dead letter sent back onto its stage's input topic; keyed by ``dlq_id`` so a second redrive of the
    same letter can be refused."""

    schema_version: Literal[1] = SCHEMA_VERSION
    dlq_id: str  # "<partition>-<offset>" of the dead letter in policy.dlq.v1
    dlq_topic: str
    stage: str
    topic: str  # where the original bytes were sent again (the stage's input topic)
    partition: int  # of the redriven message in `topic`
    offset: int
    forced: bool = False  # sent although an earlier redrive of the same letter was recorded
    redriven_at: AwareDatetime = Field(default_factory=utcnow)
