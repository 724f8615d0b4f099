"""Topic contracts: one pydantic model per topic, the version in the topic name."""

from schemas.alert import Alert, DeadLetter, Redrive
from schemas.base import SCHEMA_VERSION, TraceStep, sha256_hex, trace_step
from schemas.cleaned import CleanedDocument
from schemas.extracted import Entity, ExtractedDocument, Extraction, Indicator, OutlineItem, Region
from schemas.indexed import IndexedDocument
from schemas.raw import Attachment, ListContext, RawDocument
from schemas.topics import (
    ALERTS_TOPIC,
    ALL_TOPICS,
    CLEANED_TOPIC,
    DLQ_TOPIC,
    EXTRACTED_TOPIC,
    INDEXED_TOPIC,
    RAW_TOPIC,
    REDRIVE_TOPIC,
)

__all__ = [
    "ALERTS_TOPIC", "ALL_TOPICS", "CLEANED_TOPIC", "DLQ_TOPIC", "EXTRACTED_TOPIC", "INDEXED_TOPIC",
    "RAW_TOPIC", "REDRIVE_TOPIC", "SCHEMA_VERSION", "Alert", "Attachment", "CleanedDocument", "DeadLetter",
    "Entity", "ExtractedDocument", "Extraction", "IndexedDocument", "Indicator", "ListContext", "OutlineItem",
    "RawDocument", "Redrive", "Region", "TraceStep", "sha256_hex", "trace_step",
]
