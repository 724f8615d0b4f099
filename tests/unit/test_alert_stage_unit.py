"""The alert stage's flow with an in-memory stand-in for Elasticsearch: searchable waiting, one alert per
(watch, document), produce-before-create, webhook hand-off. The real thing is in test_alert_stack.py."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from policywatch.core.errors import ServiceUnavailable
from policywatch.search.watches import new_watch
from processors.alert.engine import AlertStage, StageConfig
from processors.alert.webhook import DeliveryResult
from schemas import ExtractedDocument, Extraction
from schemas.indices import WATCHES_INDEX


class FakeES:
    """Every candidate (watch, doc) the pre-filter lets through "matches"; alerts are kept in a dict."""

    def __init__(self, watches: list, searchable: set[str], stored: set[str] = frozenset()) -> None:
        self.watches = watches
        self.searchable_ids = searchable
        self.stored_ids = set(searchable) | set(stored)  # what a realtime get finds
        self.alerts: dict[str, dict] = {}
        self.updates: list[tuple[str, dict]] = []
        self.msearch_calls = 0

    def search(self, index: str, **kw: Any) -> dict:
        if index == WATCHES_INDEX:
            return {"hits": {"hits": [{"_source": w.to_doc(), "sort": [w.name]} for w in self.watches]}}
        ids = kw["query"]["ids"]["values"]
        return {"hits": {"hits": [{"_id": i} for i in ids if i in self.searchable_ids]}}

    def msearch(self, searches: list[dict]) -> dict:
        self.msearch_calls += 1
        out = []
        for body in searches[1::2]:
            if "constant_score" in body["query"]:  # a group of named watch clauses
                inner = body["query"]["constant_score"]["filter"]["bool"]
                ids = inner["filter"][0]["ids"]["values"]
                names = [c["bool"]["_name"] for c in inner["should"]]
                out.append({"hits": {"hits": [{"_id": i, "matched_queries": names} for i in ids]}})
                continue
            ids = next(c["ids"]["values"] for c in body["query"]["bool"]["filter"] if "ids" in c)
            out.append({"hits": {"hits": [{"_id": i, "_source": {"url": f"http://x/{i}"}} for i in ids]}})
        return {"responses": out}

    def mget(self, index: str, ids: list[str], source: bool) -> dict:
        if index == "policy-docs":
            return {"docs": [{"_id": i, "found": i in self.stored_ids} for i in ids]}
        return {"docs": [{"_id": i, "found": i in self.alerts} for i in ids]}

    def bulk(self, operations: list[dict], refresh: bool) -> dict:
        items = []
        for head, doc in zip(operations[::2], operations[1::2], strict=True):
            _id = head["create"]["_id"]
            if _id in self.alerts:
                items.append({"create": {"_id": _id, "status": 409}})
            else:
                self.alerts[_id] = doc
                items.append({"create": {"_id": _id, "status": 201}})
        return {"items": items}

    def update(self, index: str, id: str, doc: dict, **kw: Any) -> None:
        self.updates.append((id, doc))
        self.alerts[id].update(doc)


class FakeDeliverer:
    def __init__(self) -> None:
        self.sent: list[tuple[str, dict, str]] = []

    def submit(self, url: str, body: dict, alert_id: str, secret: str | None = None) -> None:
        self.sent.append((url, body, alert_id))


def _extracted(doc_id: str, text: str) -> ExtractedDocument:
    now = datetime.now(UTC)
    return ExtractedDocument(doc_id=doc_id, url=f"http://x/{doc_id}", canonical_url=f"http://x/{doc_id}",
                             source_id="t", fetched_at=now, text=text, content_sha256="0", simhash="0",
                             cluster_id=doc_id, extraction=Extraction())


def _stage(es: FakeES, published: list, **cfg: Any) -> tuple[AlertStage, FakeDeliverer]:
    deliverer = FakeDeliverer()
    cfg = {"poll_s": 0.01, "group_size": 1, **cfg}  # the fake evaluates no queries: one search per watch
    stage = AlertStage(es, published.extend, StageConfig(**cfg), deliverer=deliverer)  # type: ignore[arg-type]
    return stage, deliverer


def test_one_alert_per_watch_and_document_across_replays() -> None:
    watches = [new_watch("bio", query="生物医药", webhook="http://127.0.0.1:1/h", allow_private=True),
               new_watch("gdp", query="生产总值")]
    es = FakeES(watches, {"a", "b"})
    published: list = []
    stage, deliverer = _stage(es, published)
    docs = [_extracted("a", "生物医药化工"), _extracted("b", "生产总值113.2亿元"),
            _extracted("a", "生物医药化工")]
    report = stage.handle_batch(docs)
    assert report.docs == 2 and report.searchable == 2 and report.new_alerts == 2
    assert sorted((a.watch, a.doc_id) for a in published) == [("bio", "a"), ("gdp", "b")]
    assert [s[2] for s in deliverer.sent] == [published[0].alert_id if published[0].watch == "bio"
                                              else published[1].alert_id]
    # the same batch again (a replay or a restart): nothing new anywhere
    report2 = stage.handle_batch(docs)
    assert report2.new_alerts == 0 and report2.duplicates == 2
    assert len(published) == 2 and len(es.alerts) == 2 and len(deliverer.sent) == 1


def test_a_document_gone_from_the_index_is_reported_missing() -> None:
    es = FakeES([new_watch("bio", query="生物医药")], {"a"})
    published: list = []
    stage, _ = _stage(es, published, searchable_timeout_s=0.05)
    report = stage.handle_batch([_extracted("a", "生物医药"), _extracted("gone", "生物医药")])
    assert report.missing == ["gone"] and [a.doc_id for a in published] == ["a"]


def test_a_stored_but_unsearchable_document_is_an_outage_not_a_skip() -> None:
    es = FakeES([new_watch("bio", query="生物医药")], {"a"}, stored={"late"})
    published: list = []
    stage, _ = _stage(es, published, searchable_timeout_s=0.05)
    with pytest.raises(ServiceUnavailable, match="not searchable"):
        stage.handle_batch([_extracted("a", "生物医药"), _extracted("late", "生物医药")])
    es.searchable_ids.add("late")  # the refresh came: the retried batch matches it, "a" only once
    report = stage.handle_batch([_extracted("a", "生物医药"), _extracted("late", "生物医药")])
    assert not report.missing and sorted(a.doc_id for a in published) == ["a", "late"]


def test_create_conflict_from_another_worker_is_not_a_second_alert() -> None:
    watch = new_watch("bio", query="生物医药", webhook="http://127.0.0.1:1/h", allow_private=True)
    es = FakeES([watch], {"a"})
    published: list = []
    stage, deliverer = _stage(es, published)
    original_mget = es.mget
    es.mget = lambda **kw: {"docs": [{"_id": i, "found": False} for i in kw["ids"]]}  # type: ignore[method-assign]
    stage.handle_batch([_extracted("a", "生物医药")])
    stage.handle_batch([_extracted("a", "生物医药")])  # existence check "misses", create conflicts
    es.mget = original_mget  # type: ignore[method-assign]
    assert len(es.alerts) == 1 and len(deliverer.sent) == 1


def test_grouped_searches_give_the_same_alerts() -> None:
    es = FakeES([new_watch(f"bio{i}", query="生物医药") for i in range(7)], {"a", "b"})
    published: list = []
    stage, _ = _stage(es, published, group_size=3)
    report = stage.handle_batch([_extracted("a", "生物医药"), _extracted("b", "生物医药化工")])
    assert es.msearch_calls == 1 and report.new_alerts == 14
    assert sorted({a.watch for a in published}) == [f"bio{i}" for i in range(7)]


def test_delivery_outcome_is_recorded() -> None:
    es = FakeES([], set())
    stage, _ = _stage(es, [])
    es.alerts["x"] = {"delivery": "pending"}
    stage.record_delivery(DeliveryResult("x", False, 3, None, "timeout: ReadTimeout", 3.1))
    assert es.alerts["x"]["delivery"] == "failed" and es.alerts["x"]["delivery_attempts"] == 3
    stage.record_delivery(DeliveryResult("x", True, 1, 200, None, 0.01))
    assert es.alerts["x"]["delivery"] == "delivered" and es.alerts["x"]["delivered_at"]
