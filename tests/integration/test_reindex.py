"""Rebuilding an aliased index from its Kafka topic: target naming, then real Kafka + Elasticsearch."""

from __future__ import annotations

import json

import pytest

from processors.index.reindex import (
    ReindexError,
    ReindexMismatch,
    alias_indices,
    build,
    catch_up,
    plan,
    swap,
)


def convert(value: bytes) -> dict | None:
    doc = json.loads(value)
    if doc.get("bad"):
        raise ValueError("not a document")
    return {"_id": doc["doc_id"], "_source": doc, "version": doc["version"], "version_type": "external"}


@pytest.fixture
def docs_world(stack, es, kafka_admin, unique_name):
    """A topic of document versions and an alias over `<alias>-v1` filled the way the live indexer would."""
    from kafka.admin import NewTopic

    from policywatch.core.kafka import make_consumer, make_producer

    topic, alias = unique_name("extracted"), unique_name("docs")
    kafka_admin.create_topics([NewTopic(topic, 3, 1)])
    producer = make_producer(stack)

    def produce(*docs: dict) -> None:
        for d in docs:
            producer.send(topic, key=d["doc_id"].encode(), value=json.dumps(d).encode())
        producer.flush(30)

    es.indices.create(
        index=f"{alias}-v1",
        aliases={alias: {"is_write_index": True}},
        mappings={"properties": {"doc_id": {"type": "keyword"}, "title": {"type": "text"}}},
    )
    consumer = make_consumer(stack, group_id=None)
    yield {"topic": topic, "alias": alias, "produce": produce, "consumer": consumer}
    consumer.close()
    producer.close()
    _drop_indices(es, alias)
    kafka_admin.delete_topics([topic])


def _drop_indices(es, alias: str) -> None:
    names = list(es.indices.get(index=f"{alias}-v*", allow_no_indices=True))  # no wildcard deletes
    if names:
        es.indices.delete(index=",".join(names))


def _docs(n: int, version: int = 1, start: int = 0) -> list[dict]:
    return [
        {"doc_id": f"d{i:03d}", "version": version, "title": f"报告 {i} v{version}"}
        for i in range(start, start + n)
    ]


def test_rebuild_keeps_the_count_and_swaps_the_alias(es, docs_world):
    w = docs_world
    alias = w["alias"]
    w["produce"](*_docs(30), *_docs(10, version=2), {"doc_id": "x", "bad": True, "version": 1})
    for d in _docs(30) + _docs(10, version=2):  # the live index, as the ES sink left it
        es.index(index=alias, id=d["doc_id"], document=d, version=d["version"], version_type="external")
    es.indices.refresh(index=alias)

    the_plan = plan(es, w["consumer"], alias=alias, topic=w["topic"])
    assert the_plan.target == f"{alias}-v2" and the_plan.previous == [f"{alias}-v1"]
    assert sum(the_plan.end_offsets.values()) == 41
    w["produce"](*_docs(2, start=30))  # arrives while the rebuild runs: caught up before the check

    result = build(es, w["consumer"], the_plan, convert)
    assert (result.messages, result.skipped, result.documents) == (43, 1, 32)
    assert result.target_count == 32 and result.previous_count == 30
    assert alias_indices(es, alias) == ([f"{alias}-v1"], f"{alias}-v1")  # not switched yet

    assert swap(es, the_plan) == [f"{alias}-v1"]
    assert alias_indices(es, alias) == ([f"{alias}-v2"], f"{alias}-v2")
    assert es.count(index=alias)["count"] == 32
    assert es.get(index=alias, id="d003")["_source"]["version"] == 2  # the newest version won
    assert es.indices.exists(index=f"{alias}-v1")  # the old index is kept

    w["produce"](*_docs(1, start=40))  # written to the old index between check and swap
    assert catch_up(es, w["consumer"], the_plan, convert, result.positions) == 1
    es.indices.refresh(index=alias)
    assert es.count(index=alias)["count"] == 33


def test_mismatch_leaves_the_alias_alone(es, docs_world):
    w = docs_world
    alias = w["alias"]
    w["produce"](*_docs(5))
    for d in _docs(6):  # the live index holds a document the topic no longer has
        es.index(index=alias, id=d["doc_id"], document=d)
    es.indices.refresh(index=alias)

    the_plan = plan(es, w["consumer"], alias=alias, topic=w["topic"])
    with pytest.raises(ReindexMismatch, match=r"holds 5 documents, fewer than the 6"):
        build(es, w["consumer"], the_plan, convert)
    assert alias_indices(es, alias) == ([f"{alias}-v1"], f"{alias}-v1")

    with pytest.raises(ReindexError, match="half done"):  # the filled target is not silently reused
        plan(es, w["consumer"], alias=alias, topic=w["topic"])
    es.indices.delete(index=the_plan.target)
    again = plan(es, w["consumer"], alias=alias, topic=w["topic"])
    assert build(es, w["consumer"], again, convert, allow_shrink=True).target_count == 5


def test_missing_topic_is_a_clear_error(es, stack, unique_name):
    from policywatch.core.kafka import make_consumer

    alias = unique_name("docs")
    consumer = make_consumer(stack, group_id=None)
    try:
        with pytest.raises(ReindexError, match="does not exist"):
            plan(es, consumer, alias=alias, topic=unique_name("nope"))
    finally:
        consumer.close()
        _drop_indices(es, alias)
