"""Run searches against policy-docs and shape the hits for the CLI and --json."""

from __future__ import annotations

import logging
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from policywatch.core.errors import PolicywatchError, ServiceUnavailable
from policywatch.core.textseg import segment
from policywatch.search.query import (
    COPY_FIELDS,
    F_TEXT,
    F_TITLE,
    FACETS,
    MAX_COPIES,
    SearchRequest,
    build_search_body,
    copies_body,
    query_terms,
)
from schemas.indices import DOCS_INDEX

logger = logging.getLogger(__name__)

DOCS_ALIAS = DOCS_INDEX
TEXT_FOR_SNIPPETS_MAX = 50  # up to this many hits, their text is fetched to complete the snippets

_ADJACENT_TAGS = re.compile(r"</em>(\s*)<em>")
_BLANKS = re.compile(r"\s+")


@dataclass(slots=True)
class SearchHit:
    doc_id: str
    title: str | None
    url: str | None
    zone: str | None
    year: int | None
    score: float | None
    doc_type: str | None = None
    region: dict[str, Any] | None = None
    published_at: str | None = None
    highlights: list[str] = field(default_factory=list)
    indicators: list[dict[str, Any]] = field(default_factory=list)
    period: str | None = None
    cluster_id: str | None = None
    duplicate_of: str | None = None  # the canonical copy's doc_id when this is a repost
    copies: list[dict[str, Any]] = field(default_factory=list)  # the other copies of the same report
    date_note: str | None = None  # set when a date filter matched this hit on its year (no publication date)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class SearchResult:
    total: int  # documents matching
    hits: list[SearchHit]
    took_ms: int = 0
    clusters: int | None = None  # reports matching (copies collapsed), when collapsed
    offset: int = 0
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"total": self.total, "clusters": self.clusters, "offset": self.offset,
                "took_ms": self.took_ms,
                "facets": {k: [list(b) for b in v] for k, v in self.facets.items()}, "notes": self.notes,
                "hits": [h.to_dict() for h in self.hits]}


def clean_fragment(fragment: str) -> str:
    """One snippet: per-character <em> runs merged into one, line breaks flattened."""
    merged = _ADJACENT_TAGS.sub(r"\1", fragment)
    return _BLANKS.sub(" ", merged).strip()


_INDICATOR_KEYS = ("metric", "label", "value", "unit", "value_normalized", "growth_pct", "period", "year",
                   "scope", "redacted")


def shape_hit(raw: dict[str, Any]) -> SearchHit:
    src = raw.get("_source") or {}
    hl = raw.get("highlight") or {}
    fragments = [clean_fragment(f) for f in hl.get(F_TEXT, [])]
    title = src.get("title")
    title_hl = clean_fragment(hl[F_TITLE][0]) if hl.get(F_TITLE) else None
    indicators: list[dict[str, Any]] = []
    inner = (raw.get("inner_hits") or {}).get("indicators")
    if inner:
        for ih in inner.get("hits", {}).get("hits", []):
            isrc = ih.get("_source") or {}
            indicators.append({k: isrc.get(k) for k in _INDICATOR_KEYS if isrc.get(k) is not None})
    hit = SearchHit(
        doc_id=src.get("doc_id") or raw.get("_id"),
        title=title,
        url=src.get("url"),
        zone=src.get("zone"),
        year=src.get("year"),
        score=raw.get("_score"),
        doc_type=src.get("doc_type"),
        region=src.get("region") or None,
        published_at=src.get("published_at"),
        highlights=([title_hl] if title_hl and "<em>" in title_hl else []) + fragments,
        indicators=indicators,
        period=src.get("period"),
        cluster_id=src.get("cluster_id"),
        duplicate_of=src.get("duplicate_of"),
    )
    return hit


def attach_copies(hits: list[SearchHit], copies: list[dict[str, Any]]) -> None:
    """Each hit gets the other copies of its report (from copies_body's search), up to MAX_COPIES."""
    by_cluster: dict[str, list[dict[str, Any]]] = {}
    for c in copies:
        by_cluster.setdefault(c.get("cluster_id") or "", []).append(
            {k: c.get(k) for k in COPY_FIELDS if c.get(k) is not None})
    for hit in hits:
        if hit.cluster_id:
            hit.copies = [c for c in by_cluster.get(hit.cluster_id, []) if c.get("doc_id") != hit.doc_id]
            hit.copies = hit.copies[:MAX_COPIES]


def canonical_key(copy: dict[str, Any]) -> tuple[bool, str, bool]:
    """Sort key of a report's copies, canonical first: not a duplicate (the clean stage's verdict), then
    the earliest published, then the cluster's first member."""
    return (copy.get("duplicate_of") is not None, copy.get("published_at") or "9999",
            copy.get("doc_id") != copy.get("cluster_id"))


def prefer_canonical(hit: SearchHit) -> None:
    """Show the report's canonical copy in the hit's place when a repost ranked first; the ranked copy
    joins the list of others. The snippets stay: the copies share their text."""
    ranked = {k: v for k, v in (("doc_id", hit.doc_id), ("title", hit.title), ("url", hit.url),
                                ("published_at", hit.published_at), ("duplicate_of", hit.duplicate_of),
                                ("cluster_id", hit.cluster_id)) if v is not None}
    if not hit.copies:
        return
    canonical = min([ranked, *hit.copies], key=canonical_key)
    if canonical is ranked:
        return
    hit.copies = [ranked, *(c for c in hit.copies if c is not canonical)]
    hit.doc_id = canonical["doc_id"]
    hit.url = canonical.get("url", hit.url)
    hit.title = canonical.get("title", hit.title)
    hit.published_at = canonical.get("published_at")
    hit.duplicate_of = canonical.get("duplicate_of")


def shape_response(resp: dict[str, Any], request: SearchRequest | None = None,
                   copies: list[dict[str, Any]] | None = None) -> SearchResult:
    """The result page from the search response and, when collapsed, the copies search's documents."""
    hits = resp.get("hits", {})
    total = hits.get("total", {})
    total_n = total.get("value", 0) if isinstance(total, dict) else int(total or 0)
    aggs = resp.get("aggregations") or {}
    result = SearchResult(total=total_n, hits=[shape_hit(h) for h in hits.get("hits", [])],
                          took_ms=int(resp.get("took", 0)),
                          clusters=(aggs.get("clusters") or {}).get("value"),
                          offset=request.offset if request else 0)
    for name in FACETS:
        buckets = (aggs.get(f"facet_{name}") or {}).get("buckets")
        if buckets:
            result.facets[name] = [(str(b["key"]), int(b["doc_count"])) for b in buckets]
    if copies:
        attach_copies(result.hits, copies)
    for hit in result.hits:
        prefer_canonical(hit)
    if request is not None and (request.filters.since or request.filters.until):
        undated = [h for h in result.hits if not h.published_at]
        for h in undated:
            h.date_note = (f"no publication date: matched on its year {h.year}"
                           + (f" ({h.period})" if h.period else ""))
        if undated:
            result.notes.append(f"{len(undated)} of these hits have no publication date and were matched "
                                "on the year they report on")
    return result


def snippets(text: str, query: str, *, width: int = 40, max_fragments: int = 2) -> list[str]:
    """Up to `max_fragments` windows of `text` around the first occurrence of each query term (or, for a
    term only matched word by word, of its words), the occurrence wrapped in <em>."""
    spans: list[tuple[int, int]] = []
    for term in query_terms(query):
        pos = text.find(term)
        if pos >= 0:
            spans.append((pos, pos + len(term)))
            continue
        for word in segment(term):
            pos = text.find(word)
            if pos >= 0:
                spans.append((pos, pos + len(word)))
    out: list[str] = []
    covered_to = -1
    for start, end in sorted(spans):
        if start < covered_to or len(out) >= max_fragments:
            continue
        a, b = max(0, start - width), min(len(text), end + width)
        frag = f"{text[a:start]}<em>{text[start:end]}</em>{text[end:b]}"
        out.append(clean_fragment(frag))
        covered_to = b
    return out


def search(es: Any, request: SearchRequest, *, index: str = DOCS_ALIAS) -> SearchResult:
    """Run `request` on `index`; a missing index or a refused query becomes a PolicywatchError."""
    from elasticsearch import ApiError, NotFoundError
    from elasticsearch import ConnectionError as ESConnectionError

    body = build_search_body(request)
    with_text = request.limit <= TEXT_FOR_SNIPPETS_MAX
    if with_text:
        body["_source"] = [*body["_source"], "text", "text_simplified"]
    try:
        resp = es.search(index=index, body=body)
        raw = resp.body if hasattr(resp, "body") else resp
        copies: list[dict[str, Any]] = []
        hits = raw["hits"]["hits"]
        clusters = sorted({(h.get("_source") or {}).get("cluster_id") for h in hits} - {None})
        if request.collapse and clusters:
            more = es.search(index=index, body=copies_body(clusters, [h["_id"] for h in hits]))
            copies = [h["_source"] for h in (more.body if hasattr(more, "body") else more)["hits"]["hits"]]
    except NotFoundError as exc:
        raise PolicywatchError(
            f"index {index!r} does not exist: run `policywatch init`, then process some documents"
        ) from exc
    except ESConnectionError as exc:
        from policywatch.core.elasticsearch import client_unreachable_message

        raise ServiceUnavailable(client_unreachable_message(es, exc)) from exc
    except ApiError as exc:
        raise PolicywatchError(f"Elasticsearch refused the search: {exc}") from exc
    result = shape_response(raw, request, copies)
    if with_text:
        for raw_hit, hit in zip(raw["hits"]["hits"], result.hits, strict=True):
            src = raw_hit.get("_source") or {}
            add_missing_terms(hit, src.get("text_simplified") or src.get("text") or "", request.query)
    return result


def add_missing_terms(hit: SearchHit, text: str, query: str) -> None:
    """The highlighter picks the densest passages, which can all be about one term: add a snippet around
    the first occurrence of each query term no fragment shows yet."""
    shown = "".join(hit.highlights)
    for term in query_terms(query):
        if f"<em>{term}</em>" in shown or term in shown.replace("<em>", "").replace("</em>", ""):
            continue
        hit.highlights.extend(snippets(text, term, max_fragments=1))
