"""The crawler against the mirror with the real Kafka and Elasticsearch (marker `integration`).

Each test module run uses its own topic and crawl-status index, read from offset 0, so runs never
see each other's data. Crawls run in fresh processes (one reactor per process).
"""

from __future__ import annotations

import json
from collections import Counter

import pytest

from schemas.raw import RawDocument, decode_raw
from tests.golden.mirror.harness import load_expected, path_of, run_crawl_process
from tests.golden.mirror.server import MirrorServer

EXPECTED = load_expected()


def _read_all(settings, topic: str) -> list[RawDocument]:
    from kafka import TopicPartition

    from policywatch.core.kafka import make_consumer

    consumer = make_consumer(settings, None, (), consumer_timeout_ms=2000)
    try:
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        end = consumer.end_offsets(partitions)
        out: list[RawDocument] = []
        while any(consumer.position(tp) < end[tp] for tp in partitions):
            for records in consumer.poll(timeout_ms=1000).values():
                out.extend(decode_raw(r.value) for r in records)
        return out
    finally:
        consumer.close()


@pytest.fixture(scope="module")
def env(stack, tmp_path_factory):
    import uuid

    from kafka.admin import NewTopic

    from policywatch.core.elasticsearch import make_es
    from policywatch.core.kafka import make_admin

    topic = f"pwtest-raw-{uuid.uuid4().hex[:8]}"
    index = f"pwtest-crawl-status-{uuid.uuid4().hex[:8]}"
    admin = make_admin(stack)
    admin.create_topics([NewTopic(topic, num_partitions=3, replication_factor=1)])
    admin.close()
    es = make_es(stack)
    tmp = tmp_path_factory.mktemp("kafka-crawl")
    with MirrorServer() as mirror:
        sources = mirror.write_sources(tmp / "sources.yaml")
        yield {
            "mirror": mirror,
            "sources": sources,
            "topic": topic,
            "index": index,
            "settings": stack,
            "es": es,
        }
    es.indices.delete(index=index, ignore_unavailable=True)
    es.close()
    admin = make_admin(stack)
    admin.delete_topics([topic])
    admin.close()


def test_kafka_first_run_second_run_and_change(env):
    sink, status = f"kafka:{env['topic']}", f"es:{env['index']}"

    report = run_crawl_process(env["sources"], sink=sink, status=status)
    docs = _read_all(env["settings"], env["topic"])
    assert [i for i, n in Counter(d.doc_id for d in docs).items() if n > 1] == [], "duplicates in Kafka"
    for source_id, expected in EXPECTED.items():
        got = sorted(path_of(d.url) for d in docs if d.source_id == source_id)
        assert got == sorted(expected["reports"]), source_id
        assert report[source_id]["status"] == expected["status"], source_id
    assert all(d.doc_id == RawDocument.id_for_url(d.canonical_url) for d in docs)
    first_count = len(docs)

    report = run_crawl_process(env["sources"], sink=sink, status=status)
    assert len(_read_all(env["settings"], env["topic"])) == first_count, "second run emitted something"
    assert sum(r["counts"]["new"] + r["counts"]["changed"] for r in report.values()) == 0

    env["mirror"].set_changed(True)
    try:
        report = run_crawl_process(env["sources"], sink=sink, status=status, ids=["mirror_a"])
    finally:
        env["mirror"].set_changed(False)
    docs = _read_all(env["settings"], env["topic"])
    assert len(docs) == first_count + 1
    twice = sorted(path_of(d.url) for d in docs if Counter(x.doc_id for x in docs)[d.doc_id] == 2)
    assert twice == EXPECTED["mirror_a"]["changed_on_switch"] * 2
    assert report["mirror_a"]["counts"]["changed"] == 1


def test_crawl_status_index_holds_pages_and_runs(env):
    es, index = env["es"], env["index"]
    es.indices.refresh(index=index)
    pages = es.count(index=index, query={"term": {"kind": "page"}})["count"]
    expected_docs = sum(len(e["reports"]) for e in EXPECTED.values())
    assert pages == expected_docs
    runs = es.search(index=index, query={"term": {"kind": "run"}}, size=100)["hits"]["hits"]
    by_source = Counter(h["_source"]["source_id"] for h in runs)
    assert set(by_source) == set(EXPECTED)
    blocked = [h["_source"] for h in runs if h["_source"]["source_id"] == "mirror_c"]
    assert all(r["status"] == "blocked" for r in blocked)
    assert json.dumps(blocked[0]["counts"])  # counts stored with the run
