"""Search across scripts and reposts, against the real local Elasticsearch (marker `integration`)."""

from __future__ import annotations

import pytest

from policywatch.search import SearchRequest, make_filters, search

pytestmark = pytest.mark.integration


def _ids(es, index: str, query: str, **filters) -> list[str]:
    result = search(es, SearchRequest(query, filters=make_filters(**filters), limit=20), index=index)
    return [h.doc_id for h in result.hits]


def test_traditional_query_finds_the_simplified_documents(es, web_indices, corpus_docs) -> None:
    ids = _ids(es, web_indices["docs"], "生物醫藥")
    assert corpus_docs["001"].doc_id in ids and corpus_docs["000"].doc_id in ids
    assert ids == _ids(es, web_indices["docs"], "生物医药")


def test_simplified_query_finds_the_traditional_document(es, web_indices, corpus_docs) -> None:
    trad = corpus_docs["trad"]
    assert trad.script == "traditional" and "全面轉型高質量發展" in trad.text
    # the only document with the phrase ranks first (others have its words apart)
    simplified = _ids(es, web_indices["docs"], "全面转型高质量发展")
    assert simplified[0] == trad.doc_id
    assert _ids(es, web_indices["docs"], "全面轉型高質量發展") == simplified


def test_pinyin_noise_in_document_and_query_does_not_hide_it(es, web_indices, corpus_docs) -> None:
    trad = corpus_docs["trad"]
    assert "產(chǎn)業鏈" in trad.text
    assert trad.doc_id in _ids(es, web_indices["docs"], "产业链")
    assert trad.doc_id in _ids(es, web_indices["docs"], "產(chǎn)業鏈")


def test_a_repost_shows_once_with_its_copy_listed(es, web_indices, corpus_docs) -> None:
    first, repost = corpus_docs["000"], corpus_docs["repost"]
    assert repost.cluster_id == first.doc_id and repost.duplicate_of == first.doc_id
    result = search(es, SearchRequest("生物医药", limit=20), index=web_indices["docs"])
    clusters = [h.cluster_id for h in result.hits]
    assert clusters.count(first.doc_id) == 1 and repost.doc_id not in [h.doc_id for h in result.hits]
    hit = next(h for h in result.hits if h.cluster_id == first.doc_id)
    assert hit.doc_id == first.doc_id  # the canonical copy stands for the cluster
    assert [c["doc_id"] for c in hit.copies] == [repost.doc_id]
    assert result.total == result.clusters + 1


def test_undated_documents_match_a_date_filter_on_their_year_and_say_so(es, web_indices, corpus_docs) -> None:
    docs = corpus_docs
    assert docs["001"].published_at is None and docs["001"].extraction.year == 2023
    result = search(es, SearchRequest("生物医药", filters=make_filters(since="2023-01", until="2023-12"),
                                      limit=20), index=web_indices["docs"])
    assert [h.doc_id for h in result.hits] == [docs["001"].doc_id]
    assert result.hits[0].date_note and "2023" in result.hits[0].date_note and result.notes
