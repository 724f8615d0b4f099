"""Relevance, checked rather than assumed: the judged queries of relevance/judgments.yaml over the
seeds and our own documents, on the real Elasticsearch, through `policywatch.search`."""

from __future__ import annotations

import pytest

from policywatch.search import SearchRequest, make_filters, search
from tests.golden.relevance.corpus import corpus_files, index_corpus, judgments

pytestmark = pytest.mark.integration

MIN_PRECISION_AT_1 = 1.0


@pytest.fixture(scope="module")
def corpus(es, settings):
    import uuid

    suffix = uuid.uuid4().hex[:8]
    docs, indicators = f"pwtest-rel-docs-{suffix}", f"pwtest-rel-ind-{suffix}"
    ids = index_corpus(es, settings, docs, indicators)
    yield docs, ids
    es.indices.delete(index=[docs, indicators], ignore_unavailable=True)


def _run(es, index: str, query: str, **filters) -> list[str]:
    result = search(es, SearchRequest(query, make_filters(**filters), limit=20), index=index)
    return [h.doc_id for h in result.hits]


def test_judgments_name_existing_documents() -> None:
    names = set(corpus_files())
    for j in judgments():
        assert set(j["first"]) | set(j["relevant"]) | set(j.get("absent", [])) <= names, j["query"]
        assert set(j["first"]) <= set(j["relevant"])


def test_precision_at_1(es, corpus) -> None:
    index, ids = corpus
    by_id = {v: k for k, v in ids.items()}
    rows, hits_at_1 = [], 0
    for j in judgments():
        ranked = [by_id[i] for i in _run(es, index, j["query"])]
        ok = bool(ranked) and ranked[0] in j["first"]
        hits_at_1 += ok
        rows.append(f"{'ok ' if ok else 'MISS'} {j['query']:<20} -> {ranked[:4]} (want {j['first']})")
    p_at_1 = hits_at_1 / len(judgments())
    print("\n".join(rows) + f"\nprecision@1 = {p_at_1:.2f}")
    assert p_at_1 >= MIN_PRECISION_AT_1, "\n".join(rows)


def test_relevant_found_and_absent_not(es, corpus) -> None:
    index, ids = corpus
    by_id = {v: k for k, v in ids.items()}
    for j in judgments():
        found = {by_id[i] for i in _run(es, index, j["query"])}
        assert set(j["relevant"]) <= found, (j["query"], set(j["relevant"]) - found)
        assert not set(j.get("absent", [])) & found, (j["query"], set(j.get("absent", [])) & found)


def test_hits_carry_highlights_and_url(es, corpus) -> None:
    index, ids = corpus
    result = search(es, SearchRequest("生物医药", limit=3), index=index)
    top = result.hits[0]
    assert top.url and top.url.startswith("file://")
    assert any("<em>生物医药</em>" in h for h in top.highlights), top.highlights
    assert result.total >= 3


def test_filters_narrow_results(es, corpus) -> None:
    index, ids = corpus
    assert _run(es, index, "起步区", zone="起步区") == [ids["004"]]
    assert ids["004"] not in _run(es, index, "招商引资", zone="商河")
    assert set(_run(es, index, "*", since="2099-01-01")) == set()
