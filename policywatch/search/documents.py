"""Reading single documents from policy-docs: one by id, the latest ones, and the copies of a report."""

from __future__ import annotations

from typing import Any

from policywatch.search.query import COPY_FIELDS, F_CLUSTER, F_INDEXED, MAX_COPIES, SOURCE_FIELDS
from schemas.indices import DOCS_INDEX

DOC_FIELDS = [*SOURCE_FIELDS, "text", "text_simplified", "indicators", "attachment_names", "doc_number",
              "index_number", "issuer", "fetched_at", "indexed_at", "published_at_source", "script", "topics"]


def _body(resp: Any) -> Any:
    return resp.body if hasattr(resp, "body") else resp


def get_document(es: Any, doc_id: str, *, index: str = DOCS_INDEX) -> dict[str, Any] | None:
    """The stored document (flattened ExtractedDocument) or None when no document has that id."""
    from elasticsearch import NotFoundError

    try:
        resp = _body(es.search(index=index, query={"ids": {"values": [doc_id]}}, size=1, source=DOC_FIELDS))
    except NotFoundError:
        return None
    hits = resp["hits"]["hits"]
    return hits[0]["_source"] if hits else None


def cluster_copies(es: Any, doc: dict[str, Any], *, index: str = DOCS_INDEX) -> list[dict[str, Any]]:
    """The other documents of `doc`'s cluster (reposts of the same report), first seen first."""
    cluster = doc.get("cluster_id")
    if not cluster:
        return []
    resp = _body(es.search(index=index, size=MAX_COPIES, source=COPY_FIELDS,
                           query={"bool": {"filter": [{"term": {F_CLUSTER: cluster}}],
                                           "must_not": [{"ids": {"values": [doc["doc_id"]]}}]}},
                           sort=[{F_INDEXED: {"order": "asc", "unmapped_type": "date"}}]))
    return [h["_source"] for h in resp["hits"]["hits"]]


def latest_documents(es: Any, *, limit: int = 10, index: str = DOCS_INDEX) -> list[dict[str, Any]]:
    """The most recently indexed reports, one per cluster; [] before anything was indexed."""
    from elasticsearch import NotFoundError

    try:
        resp = _body(es.search(index=index, size=limit, source=SOURCE_FIELDS, query={"match_all": {}},
                               collapse={"field": F_CLUSTER},
                               sort=[{F_INDEXED: {"order": "desc", "unmapped_type": "date"}}]))
    except NotFoundError:
        return []
    return [h["_source"] for h in resp["hits"]["hits"]]


def highlight_spans(text: str, indicators: list[dict[str, Any]]) -> list[tuple[str, int | None]]:
    """`text` cut into pieces, each (piece, n): n is the number of the indicator whose span the piece is,
    None for text between indicators. Overlapping or out-of-range spans are skipped."""
    spans = sorted((tuple(ind["span"]), n) for n, ind in enumerate(indicators)
                   if isinstance(ind.get("span"), list | tuple) and len(ind["span"]) == 2)
    out: list[tuple[str, int | None]] = []
    pos = 0
    for (start, end), n in spans:
        if start < pos or end > len(text) or start >= end:
            continue
        if start > pos:
            out.append((text[pos:start], None))
        out.append((text[start:end], n))
        pos = end
    if pos < len(text):
        out.append((text[pos:], None))
    return out
