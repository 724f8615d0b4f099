"""Query building and filter validation for `policywatch search` (no services)."""

from __future__ import annotations

import json
from datetime import date

import pytest

from policywatch.core.errors import PolicywatchError
from policywatch.search.query import (
    Filters,
    SearchRequest,
    build_query,
    build_search_body,
    make_filters,
    parse_date,
    query_terms,
    validate_metric,
)
from policywatch.search.service import clean_fragment, shape_response


def _dump(obj: object) -> str:
    return json.dumps(obj, ensure_ascii=False)


@pytest.mark.parametrize(
    ("text", "end", "expected"),
    [
        ("2023-05-01", False, date(2023, 5, 1)),
        ("2023/05/01", False, date(2023, 5, 1)),
        ("20230501", False, date(2023, 5, 1)),
        ("2023-05", False, date(2023, 5, 1)),
        ("2023-02", True, date(2023, 2, 28)),
        ("2023-12", True, date(2023, 12, 31)),
        ("2023", False, date(2023, 1, 1)),
        ("2023", True, date(2023, 12, 31)),
    ],
)
def test_parse_date(text: str, end: bool, expected: date) -> None:
    assert parse_date(text, end=end) == expected


@pytest.mark.parametrize("bad", ["2023-13-01", "yesterday", "2023-02-30", "", "23-1-1x"])
def test_bad_date_says_the_format(bad: str) -> None:
    with pytest.raises(PolicywatchError, match="YYYY-MM-DD"):
        parse_date(bad)


def test_since_after_until_is_refused() -> None:
    with pytest.raises(PolicywatchError, match="after --until"):
        make_filters(since="2024", until="2023-06")


def test_unknown_metric_lists_the_vocabulary_and_suggests() -> None:
    with pytest.raises(PolicywatchError) as err:
        validate_metric("export")
    assert "exports" in str(err.value) and "Did you mean" in str(err.value)
    with pytest.raises(PolicywatchError, match="Known metrics: gdp"):
        validate_metric("happiness")


def test_metric_accepts_case_and_chinese_labels() -> None:
    assert validate_metric("GDP") == "gdp"
    assert validate_metric("地区生产总值") == "gdp"
    assert validate_metric("fixed_asset_investment") == "fixed_asset_investment"


def test_metrics_added_with_the_corpus_have_search_words() -> None:
    assert validate_metric("第一产业增加值") == "primary_industry_added_value"
    assert validate_metric("财政支出") == "fiscal_expenditure"
    assert validate_metric("用电量") == "electricity_consumption"
    assert validate_metric("规上企业") == "above_scale_enterprises_count"
    assert validate_metric("利润总额") == "profit"
    assert validate_metric("孵化器") == "institutions_count"
    assert validate_metric("新增企业") == "new_enterprises_count"


def test_unknown_doc_type() -> None:
    with pytest.raises(PolicywatchError, match="工作总结"):
        make_filters(doc_type="report")
    assert make_filters(doc_type="计划执行情况").doc_type == "计划执行情况"


@pytest.mark.parametrize("limit", [0, -1, 1001])
def test_limit_out_of_range(limit: int) -> None:
    with pytest.raises(PolicywatchError, match="--limit"):
        build_search_body(SearchRequest("生物医药", limit=limit))


def test_query_terms_split_on_blanks_and_chinese_commas() -> None:
    assert query_terms(" 起步区　地区生产总值，起步区 ") == ["起步区", "地区生产总值"]
    assert query_terms("*") == [] and query_terms("") == []


def test_every_term_is_required_as_phrase_or_segmented_words() -> None:
    q = build_query("起步区 地区生产总值", Filters())
    must = q["bool"]["must"]
    assert len(must) == 2
    first = must[0]["bool"]
    assert first["minimum_should_match"] == 1
    kinds = {next(iter(c)) for c in first["should"]}
    assert kinds == {"match_phrase", "match"}
    assert {"match_phrase": {"text": {"query": "起步区"}}} in first["should"]
    seg = [c for c in first["should"] if "match" in c][0]["match"]["text_seg"]
    assert seg["operator"] == "and"
    # the term is cut with the index side's segmentation (policywatch.core.textseg), words joined by spaces
    from policywatch.core.textseg import segment

    seg2 = [c for c in must[1]["bool"]["should"] if "match" in c][0]["match"]["text_seg"]["query"]
    assert seg2 == " ".join(segment("地区生产总值"))
    multi = build_query("招商引资签约项目", Filters())["bool"]["must"][0]["bool"]["should"]
    assert " " in [c for c in multi if "match" in c][0]["match"]["text_seg"]["query"]


def test_query_words_naming_a_metric_pull_in_its_indicators() -> None:
    q = build_query("起步区 地区生产总值", Filters())
    nested = [c["nested"] for c in q["bool"]["should"] if "nested" in c]
    assert nested and nested[0]["path"] == "indicators"
    assert {"terms": {"indicators.metric": ["gdp"]}} in nested[0]["query"]["bool"]["should"]
    assert nested[0]["inner_hits"]["name"] == "indicators"


def test_filters_become_filter_clauses() -> None:
    f = make_filters(zone="起步区", region="济南", doc_type="计划执行情况", since="2023-01", until="2023",
                     metric="gdp", min_growth=10)
    q = build_query("生物医药", f)
    text = _dump(q["bool"]["filter"])
    assert '"*起步区*"' in text and '"region.city"' in text
    assert {"term": {"doc_type": "计划执行情况"}} in q["bool"]["filter"]
    dates = [c for c in q["bool"]["filter"] if "bool" in c and "must_not" in _dump(c)][0]["bool"]["should"]
    assert {"range": {"published_at": {"gte": "2023-01-01", "lte": "2023-12-31"}}} in dates
    undated = [c for c in dates if "bool" in c][0]["bool"]  # no publication date: the report's year
    assert undated["must_not"] == [{"exists": {"field": "published_at"}}]
    assert undated["filter"] == [{"range": {"year": {"gte": 2023, "lte": 2023}}}]
    nested = [c["nested"] for c in q["bool"]["filter"] if "nested" in c][0]
    assert nested["query"]["bool"]["filter"] == [
        {"term": {"indicators.metric": "gdp"}},
        {"range": {"indicators.growth_pct": {"gte": 10}}},
    ]
    assert "inner_hits" in nested


def test_filters_only_query_matches_all() -> None:
    q = build_query("*", make_filters(zone="起步区"))
    assert q["bool"]["must"] == [{"match_all": {}}]


def test_search_body_has_highlight_on_text_and_sort() -> None:
    body = build_search_body(SearchRequest("生物医药", limit=5))
    assert body["size"] == 5 and body["track_total_hits"] is True
    assert body["sort"][0] == "_score"
    assert body["highlight"]["fields"]["text"]["highlight_query"] == {
        "bool": {"should": [{"match_phrase": {"text": "生物医药"}}]}
    }


def test_clean_fragment_merges_per_character_tags() -> None:
    got = clean_fragment("以<em>生</em><em>物</em><em>医</em><em>药</em>化工\n为主")
    assert got == "以<em>生物医药</em>化工 为主"


def test_shape_response() -> None:
    resp = {
        "took": 3,
        "hits": {"total": {"value": 1, "relation": "eq"}, "hits": [{
            "_id": "abc", "_score": 2.5,
            "_source": {"doc_id": "abc", "title": "t", "url": "http://x", "zone": "起步区", "year": 2023},
            "highlight": {"text": ["<em>起</em><em>步</em><em>区</em>生产总值"]},
            "inner_hits": {"indicators": {"hits": {"hits": [
                {"_source": {"metric": "gdp", "label": "生产总值", "value": 113.2, "unit": "亿元",
                             "growth_pct": 37.8, "span": [1, 2]}}
            ]}}},
        }]},
    }
    result = shape_response(resp)
    assert result.total == 1 and result.took_ms == 3
    hit = result.hits[0]
    assert hit.highlights == ["<em>起步区</em>生产总值"]
    assert hit.indicators == [{"metric": "gdp", "label": "生产总值", "value": 113.2, "unit": "亿元",
                               "growth_pct": 37.8}]
    assert set(hit.to_dict()) >= {"doc_id", "title", "url", "zone", "year", "score", "highlights"}
