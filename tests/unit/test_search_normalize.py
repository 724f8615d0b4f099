"""Queries normalised as documents are: simplified script, pinyin-in-brackets noise removed (pure)."""

from __future__ import annotations

from policywatch.core.normalize import normalize_query, strip_pinyin_noise
from policywatch.search.query import SearchRequest, build_search_body, query_terms
from policywatch.search.service import shape_response


def test_traditional_query_becomes_simplified() -> None:
    assert normalize_query("生物醫藥 產業園區") == "生物医药 产业园区"
    assert query_terms("生物醫藥") == query_terms("生物医药") == ["生物医药"]


def test_pinyin_in_brackets_is_removed_but_other_brackets_stay() -> None:
    assert strip_pinyin_noise("產(chǎn)業（yè）") == "產業"
    assert normalize_query("產(chǎn)業") == "产业"
    assert strip_pinyin_noise("地区生产总值(GDP)") == "地区生产总值(GDP)"
    assert strip_pinyin_noise("第（a）项") == "第（a）项"  # no tone mark: not pinyin


def test_search_body_collapses_on_cluster_and_pages() -> None:
    from policywatch.search.query import copies_body

    body = build_search_body(SearchRequest("生物医药", limit=5, offset=10, facets=True))
    assert body["collapse"] == {"field": "cluster_id"}
    assert body["from"] == 10 and body["size"] == 5
    assert body["aggs"]["clusters"] == {"cardinality": {"field": "cluster_id"}}
    assert body["aggs"]["facet_year"]["terms"]["field"] == "year"
    assert "collapse" not in build_search_body(SearchRequest("x", collapse=False))
    copies = copies_body(["c1", "c2"], ["d1", "d2"])
    assert copies["query"]["bool"] == {"filter": [{"terms": {"cluster_id": ["c1", "c2"]}}],
                                       "must_not": [{"ids": {"values": ["d1", "d2"]}}]}


def test_a_ranked_repost_gives_way_to_the_canonical_copy() -> None:
    raw = {"hits": {"total": {"value": 2}, "hits": [{
        "_id": "repost", "_score": 3.0,
        "_source": {"doc_id": "repost", "title": "转载", "url": "https://b/1", "cluster_id": "first",
                    "duplicate_of": "first"},
    }]}, "aggregations": {"clusters": {"value": 1}}}
    copies = [{"doc_id": "first", "title": "原文", "url": "https://a/1", "cluster_id": "first"},
              {"doc_id": "other", "url": "https://c/1", "cluster_id": "elsewhere"}]
    result = shape_response(raw, SearchRequest("x"), copies)
    hit = result.hits[0]
    assert (hit.doc_id, hit.url, result.clusters) == ("first", "https://a/1", 1)
    assert [c["doc_id"] for c in hit.copies] == ["repost"]


def test_clean_stage_search_copy_drops_pinyin_noise() -> None:
    from processors.clean.text import detect_script

    assert detect_script("推动產(chǎn)業發展，建設園區") == ("traditional", "推动产业发展，建设园区")
    assert detect_script("推动产(chǎn)业发展") == ("simplified", "推动产业发展")
    assert detect_script("推动产业发展") == ("simplified", None)


def test_the_earliest_published_non_duplicate_is_canonical() -> None:
    from policywatch.search.service import SearchHit, prefer_canonical

    # the cluster's first member (seen first) and a copy published earlier that joined as canonical
    hit = SearchHit(doc_id="first-seen", title="a", url="https://a", zone=None, year=None, score=1.0,
                    published_at="2023-05-02", cluster_id="first-seen", copies=[
                        {"doc_id": "earlier", "url": "https://e", "published_at": "2023-05-01",
                         "cluster_id": "first-seen"},
                        {"doc_id": "repost", "url": "https://r", "published_at": "2023-04-01",
                         "duplicate_of": "earlier", "cluster_id": "first-seen"}])
    prefer_canonical(hit)
    assert (hit.doc_id, hit.url) == ("earlier", "https://e")
    assert [c["doc_id"] for c in hit.copies] == ["first-seen", "repost"]
