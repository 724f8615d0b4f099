"""Pure matching logic of the alert stage: which watches can match a batch, the `_msearch` lines, and
what the responses mean. No service calls here.

The pre-filter is a necessary condition computed in Python: a watch term can only match a document when
each of its jieba words occurs in the document's normalized text (title, text, simplified text). The
`_msearch` then decides exactly; the pre-filter only saves Elasticsearch from searches that cannot hit,
which is what lets thousands of watches keep up (see bench/alerts.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from policywatch.core.textseg import normalize, segment
from policywatch.search.query import query_terms
from policywatch.search.service import clean_fragment, snippets  # noqa: F401 (snippets: re-exported)
from policywatch.search.watches import Watch, group_match_body, match_body
from schemas import Alert, ExtractedDocument, sha256_hex


def alert_id(watch_name: str, doc_id: str, cluster_id: str | None = None) -> str:
    """One alert per (watch, cluster): reposts of a report share the cluster of its first copy
    (`cluster_id`, which is the first copy's doc_id), so a repost maps to the alert already fired. The id
    is stable across replays and restarts, and equals sha256(watch + doc_id) for a first copy."""
    return sha256_hex(watch_name + (cluster_id or doc_id))


@dataclass(slots=True)
class BatchDoc:
    """What the pre-filter needs of one document of the batch."""

    doc_id: str
    haystack: str  # normalized title + text (+ simplified text)
    text: str = ""  # the text snippets are cut from (the simplified copy when there is one)
    source: dict[str, Any] = field(default_factory=dict)  # title, url, zone, year for the alert
    cluster_id: str | None = None  # the report's cluster (first copy's doc_id): one alert per cluster

    @classmethod
    def from_extracted(cls, doc: ExtractedDocument) -> BatchDoc:
        parts = [doc.title or "", doc.text, doc.text_simplified or "", doc.extraction.zone or "",
                 " ".join(doc.extraction.zones)]
        ext = doc.extraction
        source = {"title": doc.title, "url": doc.url, "zone": ext.zone, "year": ext.year}
        return cls(doc_id=doc.doc_id, haystack=normalize("\n".join(parts)),
                   text=doc.text_simplified or doc.text, source=source, cluster_id=doc.cluster_id or None)


@dataclass(slots=True)
class Candidate:
    watch: Watch
    doc_ids: list[str]


@dataclass(slots=True)
class Match:
    watch: Watch
    doc_id: str
    source: dict[str, Any] = field(default_factory=dict)
    highlights: list[str] = field(default_factory=list)
    cluster_id: str | None = None

    @property
    def alert_id(self) -> str:
        return alert_id(self.watch.name, self.doc_id, self.cluster_id)

    def to_alert(self) -> Alert:
        src = self.source
        year = src.get("year")
        return Alert(
            alert_id=self.alert_id,
            watch=self.watch.name,
            owner=self.watch.owner,
            doc_id=self.doc_id,
            title=src.get("title"),
            url=src.get("url") or "",
            zone=src.get("zone"),
            year=year if isinstance(year, int) else None,
            highlights=self.highlights,
            # a daily-digest watch sends its webhook with the digest, not per alert
            delivery="pending" if self.watch.webhook and self.watch.digest == "off" else "none",
        )


class TermIndex:
    """Which batch documents could contain each watch term; each distinct term is tested once."""

    def __init__(self, docs: Sequence[BatchDoc]) -> None:
        self.docs = docs
        self._term_docs: dict[str, frozenset[str]] = {}
        self._word_docs: dict[str, frozenset[str]] = {}

    def _docs_with_word(self, word: str) -> frozenset[str]:
        found = self._word_docs.get(word)
        if found is None:
            w = word.lower()
            found = frozenset(d.doc_id for d in self.docs if w in d.haystack)
            self._word_docs[word] = found
        return found

    def docs_for_term(self, term: str) -> frozenset[str]:
        found = self._term_docs.get(term)
        if found is None:
            words = [w for w in (segment(term) or [normalize(term)]) if w]
            found = frozenset(d.doc_id for d in self.docs)
            for word in words:
                found = found & self._docs_with_word(word)
            self._term_docs[term] = found
        return found


def candidates(
    watches: Iterable[Watch], docs: Sequence[BatchDoc], *, prefilter: bool = True
) -> list[Candidate]:
    """Each enabled watch with the batch documents it could match (watches with none are dropped)."""
    all_ids = [d.doc_id for d in docs]
    if not all_ids:
        return []
    index = TermIndex(docs)
    out: list[Candidate] = []
    for watch in watches:
        if not watch.enabled:
            continue
        terms = query_terms(watch.query)
        if not prefilter or not terms:
            out.append(Candidate(watch, all_ids))
            continue
        possible = frozenset(all_ids)
        for term in terms:
            possible = possible & index.docs_for_term(term)
            if not possible:
                break
        if possible:
            out.append(Candidate(watch, [i for i in all_ids if i in possible]))
    return out


def msearch_lines(cands: Sequence[Candidate], index: str, *, highlight: bool = False) -> list[dict[str, Any]]:
    """Header and body lines of one `_msearch` request, in the order of `cands`.

    Highlighting in Elasticsearch re-analyses the whole text of every hit (per-character tokens, no
    stored offsets): it cost ~10 ms per alert in bench/alerts.py, so by default the stage cuts the
    snippets in Python from the text it already holds (`snippets`)."""
    lines: list[dict[str, Any]] = []
    for c in cands:
        lines.append({"index": index})
        lines.append(match_body(c.watch, c.doc_ids, highlight=highlight, source=highlight))
    return lines


@dataclass(slots=True)
class Group:
    """Watches sent as one search (named clauses); `doc_ids` is the union of their candidates."""

    watches: list[Watch]
    doc_ids: list[str]


def group_candidates(cands: Sequence[Candidate], size: int) -> list[Group]:
    """Candidates in groups of `size` watches, watches with the same candidate documents together."""
    ordered = sorted(cands, key=lambda c: (c.doc_ids, c.watch.name))
    groups: list[Group] = []
    for start in range(0, len(ordered), size):
        part = ordered[start:start + size]
        ids = sorted({i for c in part for i in c.doc_ids})
        groups.append(Group([c.watch for c in part], ids))
    return groups


def group_lines(groups: Sequence[Group], index: str) -> list[dict[str, Any]]:
    lines: list[dict[str, Any]] = []
    for g in groups:
        lines.append({"index": index})
        lines.append(group_match_body(g.watches, g.doc_ids))
    return lines


def _error_reason(resp: dict[str, Any]) -> str | None:
    """Why one `_msearch` response failed (its `error`), or None when it did not."""
    if "error" not in resp:
        return None
    err = resp["error"]
    return str(err.get("reason") if isinstance(err, dict) else err)


def parse_group_msearch(
    groups: Sequence[Group], responses: Sequence[dict[str, Any]]
) -> tuple[list[Match], list[tuple[Watch, str]]]:
    """Matches from `matched_queries`; a failed group search reports each of its watches."""
    matches: list[Match] = []
    errors: list[tuple[Watch, str]] = []
    for group, resp in zip(groups, responses, strict=True):
        reason = _error_reason(resp)
        if reason is not None:
            errors.extend((w, reason) for w in group.watches)
            continue
        by_name = {w.name: w for w in group.watches}
        for hit in resp.get("hits", {}).get("hits", []):
            names = hit.get("matched_queries") or []
            if isinstance(names, dict):  # include_named_queries_score form
                names = list(names)
            for name in names:
                if name in by_name:
                    matches.append(Match(by_name[name], hit["_id"]))
    return matches, errors


def parse_msearch(
    cands: Sequence[Candidate], responses: Sequence[dict[str, Any]]
) -> tuple[list[Match], list[tuple[Watch, str]]]:
    """Matches, and (watch, error) for searches that failed (a bad stored watch must not stop the stage)."""
    matches: list[Match] = []
    errors: list[tuple[Watch, str]] = []
    for cand, resp in zip(cands, responses, strict=True):
        reason = _error_reason(resp)
        if reason is not None:
            errors.append((cand.watch, reason))
            continue
        for hit in resp.get("hits", {}).get("hits", []):
            hl = [clean_fragment(f) for f in (hit.get("highlight") or {}).get("text", [])]
            matches.append(Match(cand.watch, hit["_id"], hit.get("_source") or {}, hl))
    return matches, errors
