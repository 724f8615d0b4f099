"""policy.indexed.v1: a document Elasticsearch has acknowledged (keyed by doc_id).

The index stage publishes one event per document only after the ``_bulk`` item for it succeeded (or
answered 409: this or a newer version was already stored), so a consumer of this topic, the alert stage,
can never run ahead of the index. The event carries the document as indexed, so the consumer needs no
second read of policy.extracted.v1.
"""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, Field

from schemas.base import SCHEMA_VERSION, Contract, utcnow
from schemas.extracted import ExtractedDocument


class IndexedDocument(Contract):
    schema_version: Literal[1] = SCHEMA_VERSION
    doc_id: str
    docs_index: str  # the index or alias written to
    version: int  # the external version stored (see processors.index.clamp_version)
    result: Literal["stored", "current"]  # current: Elasticsearch already had this or a newer version
    indexed_at: AwareDatetime = Field(default_factory=utcnow)
    document: ExtractedDocument
