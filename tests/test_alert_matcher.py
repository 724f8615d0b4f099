"""Watch validation and the alert stage's matching logic (no services)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from policywatch.errors import PolicywatchError
from policywatch.search.segment import normalize
from policywatch.watches import Watch, match_body, new_watch
from processors.alert.matcher import BatchDoc, Candidate, alert_id, candidates, msearch_lines, parse_msearch


def _doc(doc_id: str, text: str) -> BatchDoc:
    return BatchDoc(doc_id=doc_id, haystack=normalize(text))


DOCS = [
    _doc("d0", "进一步明确了以生物医药化工、智能制造与高端装备两大优势产业为主导"),
    _doc("d1", "起步区生产总值达到113.2亿元，同比增长37.8%"),
    _doc("d2", "招商引资：新签约项目12个，其中生物、医药类项目3个"),
]


def test_new_watch_validates() -> None:
    w = new_watch("bio", query="生物医药", metric="GDP", min_growth=10, webhook="http://127.0.0.1:9/h")
    assert w.metric == "gdp" and w.enabled and w.created_at.tzinfo is not None
    with pytest.raises(PolicywatchError, match="http"):
        new_watch("bio", query="x", webhook="ftp://example.org")
    with pytest.raises(PolicywatchError, match="needs --query"):
        new_watch("bio")
    with pytest.raises(PolicywatchError, match="unknown metric"):
        new_watch("bio", query="x", metric="nope")
    with pytest.raises(PolicywatchError, match="not valid"):
        new_watch("a b", query="x")
    assert new_watch("山东-生物医药_1", zone="起步区").zone == "起步区"


def test_alert_id_is_stable_per_watch_and_document() -> None:
    assert alert_id("bio", "d0") == alert_id("bio", "d0")
    assert alert_id("bio", "d0") != alert_id("bio", "d1") != alert_id("bio2", "d0")
    assert len(alert_id("bio", "d0")) == 64


def test_prefilter_keeps_only_watches_that_can_match() -> None:
    watches = [
        new_watch("bio", query="生物医药"),
        new_watch("gdp", query="起步区 生产总值"),
        new_watch("none", query="半导体"),
        new_watch("zone-only", zone="起步区"),
    ]
    got = {c.watch.name: c.doc_ids for c in candidates(watches, DOCS)}
    # d2 has 生物 and 医药 apart (、): text_seg could still match it, so it stays a candidate
    assert got["bio"] == ["d0", "d2"]
    assert got["gdp"] == ["d1"]
    assert "none" not in got
    assert got["zone-only"] == ["d0", "d1", "d2"]  # no terms: Elasticsearch decides


def test_prefilter_off_sends_every_watch() -> None:
    watches = [new_watch("none", query="半导体")]
    assert candidates(watches, DOCS, prefilter=False)[0].doc_ids == ["d0", "d1", "d2"]


def test_disabled_watches_are_skipped() -> None:
    w = new_watch("bio", query="生物医药").model_copy(update={"enabled": False})
    assert candidates([w], DOCS) == []


def test_match_body_restricts_to_batch_and_watch_age() -> None:
    created = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    w = new_watch("gdp", query="起步区", metric="gdp", min_growth=10, created_at=created)
    body = match_body(w, ["d1", "d2"])
    flt = body["query"]["bool"]["filter"]
    assert {"ids": {"values": ["d1", "d2"]}} in flt
    assert {"range": {"indexed_at": {"gte": "2024-01-02T03:04:05+00:00"}}} in flt
    nested = [c for c in flt if "nested" in c][0]["nested"]
    assert "inner_hits" not in nested  # not needed for alerts
    assert body["size"] == 2 and body["track_total_hits"] is False
    assert list(body["highlight"]["fields"]) == ["text"]


def test_msearch_lines_and_parse() -> None:
    w1, w2 = new_watch("a", query="生物医药"), new_watch("b", query="起步区")
    cands = [Candidate(w1, ["d0"]), Candidate(w2, ["d1"])]
    lines = msearch_lines(cands, "policy-docs")
    assert len(lines) == 4 and lines[0] == {"index": "policy-docs"} and lines[2] == {"index": "policy-docs"}
    responses = [
        {"hits": {"hits": [{"_id": "d0", "_source": {"title": "t", "url": "http://u", "year": 2022},
                            "highlight": {"text": ["以<em>生</em><em>物</em>"]}}]}},
        {"error": {"type": "search_phase_execution_exception", "reason": "boom"}, "status": 400},
    ]
    matches, errors = parse_msearch(cands, responses)
    assert [(m.watch.name, m.doc_id) for m in matches] == [("a", "d0")]
    assert matches[0].highlights == ["以<em>生物</em>"]
    assert errors == [(w2, "boom")]
    alert = matches[0].to_alert()
    assert alert.alert_id == alert_id("a", "d0") and alert.delivery == "none" and alert.year == 2022


def test_watch_round_trips_through_its_stored_document() -> None:
    w = new_watch("bio", query="生物医药", zone="开发区", webhook="https://example.org/h", owner="ana")
    assert Watch.model_validate(w.to_doc()) == w
