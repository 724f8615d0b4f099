"""Watch validation and the alert stage's matching logic (no services)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from policywatch.core.errors import PolicywatchError
from policywatch.core.textseg import normalize
from policywatch.search.watches import Watch, match_body, new_watch
from processors.alert.matcher import BatchDoc, Candidate, alert_id, candidates, msearch_lines, parse_msearch
from schemas.indices import DOCS_INDEX


def _doc(doc_id: str, text: str) -> BatchDoc:
    return BatchDoc(doc_id=doc_id, haystack=normalize(text))


DOCS = [
    _doc("d0", "进一步明确了以生物医药化工、智能制造与高端装备两大优势产业为主导"),
    _doc("d1", "起步区生产总值达到113.2亿元，同比增长37.8%"),
    _doc("d2", "招商引资：新签约项目12个，其中生物、医药类项目3个"),
]


def test_new_watch_validates() -> None:
    w = new_watch("bio", query="生物医药", metric="GDP", min_growth=10, webhook="http://127.0.0.1:9/h",
                  allow_private=True)
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
    lines = msearch_lines(cands, DOCS_INDEX)
    assert len(lines) == 4 and lines[0] == {"index": DOCS_INDEX} and lines[2] == {"index": DOCS_INDEX}
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


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:9200/", "http://localhost:9200/", "http://10.0.0.8/h", "http://169.254.169.254/latest",
    "http://[::1]/h", "http://[fd00::5]/h", "http://0.0.0.0/h", "http://[::ffff:127.0.0.1]/h",
    "http://[::ffff:a9fe:a9fe]/h",
])
def test_watch_webhook_to_an_internal_address_is_refused(url: str) -> None:
    with pytest.raises(PolicywatchError, match="refused: .* address|refused: .* name"):
        new_watch("bio", query="x", webhook=url, allow_private=False)
    assert new_watch("bio", query="x", webhook=url, allow_private=True).webhook == url


def test_refusal_message_does_not_show_credentials() -> None:
    with pytest.raises(PolicywatchError) as info:
        new_watch("bio", query="x", webhook="http://u:hunter2@10.0.0.1/h", allow_private=False)
    assert "hunter2" not in str(info.value) and "http://***@10.0.0.1/h" in str(info.value)


def test_watch_secret_is_stored_but_never_shown() -> None:
    w = new_watch("bio", query="x", webhook="https://93.184.216.34/h", webhook_secret="s3")
    assert w.to_doc()["webhook_secret"] == "s3" and "s3" not in repr(w)
    public = w.public_doc()
    assert "webhook_secret" not in public and public["webhook_signed_by_own_secret"] is True
    assert public["webhook"] == "https://93.184.216.34/…"  # a webhook's path may hold its token
    with pytest.raises(PolicywatchError, match="needs --webhook"):
        new_watch("bio", query="x", webhook_secret="s3")


def test_watch_round_trips_through_its_stored_document() -> None:
    w = new_watch("bio", query="生物医药", zone="开发区", webhook="https://example.org/h", owner="ana")
    assert Watch.model_validate(w.to_doc()) == w


def test_snippets_cut_from_the_text() -> None:
    from processors.alert.matcher import snippets

    text = ("一、主要工作。" + "甲" * 60 + "以生物医药化工、智能制造为主导。" + "乙" * 60
            + "起步区生产总值113.2亿元")
    got = snippets(text, "生物医药 生产总值", width=5)
    assert got == ["甲甲甲甲以<em>生物医药</em>化工、智能", "乙乙起步区<em>生产总值</em>113.2"]
    # a term matched word by word (not as a phrase) highlights its words
    from policywatch.core.textseg import segment

    words = segment("招商引资签约项目")
    assert len(words) >= 2
    apart = "，".join(words)
    assert snippets(apart, "招商引资签约项目", width=0, max_fragments=9) == [f"<em>{w}</em>" for w in words]
    assert snippets("无关", "生物医药") == []
    assert len(snippets(text, "生物医药 生产总值 起步区", width=5)) == 2


def test_msearch_lines_leave_highlighting_to_python_by_default() -> None:
    lines = msearch_lines([Candidate(new_watch("a", query="生物医药"), ["d0"])], "i")
    assert "highlight" not in lines[1]
    lines = msearch_lines([Candidate(new_watch("a", query="生物医药"), ["d0"])], "i", highlight=True)
    assert "highlight" in lines[1]


def test_grouped_search_names_each_watch_and_parses_matched_queries() -> None:
    from processors.alert.matcher import group_candidates, group_lines, parse_group_msearch

    ws = [new_watch(f"w{i}", query="生物医药") for i in range(5)]
    cands = [Candidate(w, ["d0"] if i % 2 else ["d0", "d2"]) for i, w in enumerate(ws)]
    groups = group_candidates(cands, 2)
    assert [len(g.watches) for g in groups] == [2, 2, 1]
    assert sum(len(g.watches) for g in groups) == 5
    lines = group_lines(groups, DOCS_INDEX)
    inner = lines[1]["query"]["constant_score"]["filter"]["bool"]
    assert inner["filter"][0]["ids"]["values"] == groups[0].doc_ids
    assert [c["bool"]["_name"] for c in inner["should"]] == [w.name for w in groups[0].watches]
    assert any("range" in f and "indexed_at" in f["range"] for f in inner["should"][0]["bool"]["filter"])
    responses = [{"hits": {"hits": [{"_id": "d0", "matched_queries": [groups[0].watches[0].name]}]}},
                 {"error": {"reason": "boom"}}, {"hits": {"hits": []}}]
    matches, errors = parse_group_msearch(groups, responses)
    assert [(m.watch.name, m.doc_id) for m in matches] == [(groups[0].watches[0].name, "d0")]
    assert [w.name for w, _ in errors] == [w.name for w in groups[1].watches]


def test_one_alert_id_per_watch_and_cluster() -> None:
    from processors.alert.engine import one_per_cluster
    from processors.alert.matcher import Match

    w = new_watch("bio", query="生物医药")
    assert alert_id("bio", "copy", "first") == alert_id("bio", "first", "first") == alert_id("bio", "first")
    assert alert_id("bio", "copy", "first") != alert_id("gdp", "copy", "first")
    repost, original = Match(w, "copy", cluster_id="first"), Match(w, "first", cluster_id="first")
    assert list(one_per_cluster([repost, original]).values()) == [original]  # the first copy wins
    assert list(one_per_cluster([repost]).values()) == [repost]


def test_digest_watches_leave_the_webhook_to_the_digest() -> None:
    from processors.alert.matcher import Match

    daily = new_watch("d", query="x", webhook="https://93.184.216.34/h", digest="daily")
    now = new_watch("n", query="x", webhook="https://93.184.216.34/h")
    assert Match(daily, "d1").to_alert().delivery == "none"
    assert Match(now, "d1").to_alert().delivery == "pending"
