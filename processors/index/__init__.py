"""The index stage's pure core: ExtractedDocument -> Elasticsearch bulk actions.

- ``policy-docs``: one document per publication, extraction fields at the top level, ``text_seg`` and
  ``title_seg`` (jieba words joined by spaces) beside ``text`` and ``title``.
- ``policy-indicators``: one flat document per indicator, ``_id`` = ``<doc_id>-<n>``.
- Both carry ``@timestamp`` (the publication date, else the fetch time of the version first seen) and
  ``timestamp_source`` (``published`` or ``first_seen``), so no document falls outside Kibana's
  time filter because it has no publication date.

Every action uses ``_id`` = doc_id and ``version_type=external`` with the fetch time in milliseconds as
the version: a replay (same version) is a no-op conflict, an older fetch never overwrites a newer one,
and no script is needed (painless is not in the core distribution). The version is clamped into
``[1, now + FUTURE_SKEW_S]``: Elasticsearch refuses a negative version (a ``fetched_at`` before 1970),
and a fetch time far in the future (year 9999) would otherwise out-rank every later real fetch forever.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from policywatch.core.textseg import segmented
from schemas import ExtractedDocument
from schemas.indices import DOCS_INDEX, INDICATORS_INDEX

MIN_VERSION = 1
FUTURE_SKEW_S = 60  # clocks of crawler and indexer may disagree by this much


def clamp_version(fetched_at: datetime, *, now: datetime | None = None) -> int:
    """The external version for a fetch time: its epoch milliseconds, within [1, now + skew]."""
    ceiling = int(((now or datetime.now(UTC)).timestamp() + FUTURE_SKEW_S) * 1000)
    return min(max(int(fetched_at.timestamp() * 1000), MIN_VERSION), ceiling)


def version_of(doc: ExtractedDocument, *, now: datetime | None = None) -> int:
    return clamp_version(doc.fetched_at, now=now)


def timestamp_fields(doc: ExtractedDocument) -> dict[str, str]:
    """``@timestamp``: when the publication is dated (its publication date, else when it was fetched)."""
    if doc.published_at is not None:
        return {"@timestamp": doc.published_at.isoformat(), "timestamp_source": "published"}
    return {"@timestamp": doc.fetched_at.isoformat(), "timestamp_source": "first_seen"}


def docs_source(doc: ExtractedDocument, *, indexed_at: datetime | None = None) -> dict[str, Any]:
    source = doc.model_dump(mode="json", exclude={"extraction"})
    source.update(doc.extraction.model_dump(mode="json"))
    analysed = doc.text_simplified or doc.text
    source["text_seg"] = segmented(analysed)
    title = doc.title or ""
    source["title_seg"] = segmented(title) if title else ""
    source["indicator_count"] = len(doc.extraction.indicators)
    source["indexed_at"] = (indexed_at or datetime.now(UTC)).isoformat()
    source.update(timestamp_fields(doc))
    return source


def indicator_id(doc_id: str, n: int) -> str:
    return f"{doc_id}-{n}"


def indicator_sources(doc: ExtractedDocument, *, indexed_at: datetime | None = None) -> list[dict[str, Any]]:
    ext = doc.extraction
    common = {
        "doc_id": doc.doc_id,
        "url": doc.url,
        "title": doc.title,
        "source_id": doc.source_id,
        "zone": ext.zone,
        "zones": ext.zones,
        "region": ext.region.model_dump(mode="json"),
        "doc_type": ext.doc_type,
        "doc_year": ext.year,
        "doc_period": ext.period,
        "published_at": doc.published_at.isoformat() if doc.published_at else None,
        "indexed_at": (indexed_at or datetime.now(UTC)).isoformat(),
        **timestamp_fields(doc),
    }
    out = []
    for n, indicator in enumerate(ext.indicators):
        item = {**common, **indicator.model_dump(mode="json"), "indicator_id": indicator_id(doc.doc_id, n)}
        if item.get("year") is None:
            item["year"] = ext.year
        if item.get("zone") is None:  # a figure of no named sub-zone is the document's zone's
            item["zone"] = ext.zone
        out.append(item)
    return out


def bulk_actions(doc: ExtractedDocument, *, docs_index: str = DOCS_INDEX,
                 indicators_index: str = INDICATORS_INDEX,
                 stale_indicators: range = range(0)) -> list[tuple[dict, dict | None]]:
    """``(header, body)`` for ``_bulk``: the doc, its indicators, deletes of indicators it no longer has."""
    now = datetime.now(UTC)
    version = version_of(doc, now=now)
    meta = {"version": version, "version_type": "external"}
    ops: list[tuple[dict, dict | None]] = [
        ({"index": {"_index": docs_index, "_id": doc.doc_id, **meta}}, docs_source(doc, indexed_at=now)),
    ]
    for source in indicator_sources(doc, indexed_at=now):
        ops.append(({"index": {"_index": indicators_index, "_id": source["indicator_id"], **meta}}, source))
    for n in stale_indicators:
        stale_id = indicator_id(doc.doc_id, n)
        ops.append(({"delete": {"_index": indicators_index, "_id": stale_id, **meta}}, None))
    return ops
