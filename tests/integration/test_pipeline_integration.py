"""The pipeline against the real local Kafka and Elasticsearch.

Each test has its own topics, consumer groups and indices (``pwtest-*``; the indices are named
``policy-docs-v9-pwtest-…`` so the policy-docs/policy-indicators templates apply), so it never
shares data with other tests running on the same stack.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from policywatch.bootstrap import build_stage, replay
from processors.runner import Runner, RunnerConfig, RunStats
from processors.synthetic import raw_documents
from schemas import DeadLetter, RawDocument
from schemas.indices import DOCS_INDEX, INDICATORS_INDEX

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds"


@dataclass
class Lane:
    """One private pipeline: topics, groups and indices of a single test."""

    name: str
    settings: object
    es: object

    @property
    def topics(self) -> dict[str, str]:
        return {kind: f"{self.name}-{kind}" for kind in ("raw", "cleaned", "extracted", "indexed")}

    @property
    def dlq(self) -> str:
        return f"{self.name}-dlq"

    @property
    def docs_index(self) -> str:
        return f"{DOCS_INDEX}-v9-{self.name}"

    @property
    def indicators_index(self) -> str:
        return f"{INDICATORS_INDEX}-v9-{self.name}"

    @property
    def fingerprint_index(self) -> str:
        return f"{self.name}-fingerprints"

    def stage(self, name: str):
        return build_stage(name, self.settings, es=self.es, docs_index=self.docs_index,
                           indicators_index=self.indicators_index,
                           fingerprint_index=self.fingerprint_index, topics=self.topics)

    def config(self, **kw) -> RunnerConfig:
        base = {"group_id": f"{self.name}-grp", "until_idle": True, "idle_s": 2.0, "dlq_topic": self.dlq,
                "transient_backoff_max_s": 3.0}
        return RunnerConfig(**{**base, **kw})

    def run(self, stage: str, **kw) -> RunStats:
        from policywatch.core.kafka import make_consumer, make_producer

        built = self.stage(stage)
        cfg = self.config(**kw)
        consumer = make_consumer(self.settings, f"{cfg.group_id}-{stage}", [built.input_topic],
                                 max_poll_records=cfg.batch_size)
        producer = make_producer(self.settings)
        try:
            return Runner(built, consumer, producer, cfg).run()
        finally:
            producer.close(timeout=10)

    def run_all(self, **kw) -> dict[str, RunStats]:
        return {s: self.run(s, **kw) for s in ("clean", "extract", "index")}

    def produce(self, topic: str, values: list[tuple[str, bytes]]) -> None:
        from policywatch.core.kafka import make_producer

        producer = make_producer(self.settings)
        try:
            futures = [producer.send(topic, key=k.encode(), value=v) for k, v in values]
            producer.flush(60)
            for f in futures:
                f.get(60)
        finally:
            producer.close(10)

    def read(self, topic: str, timeout_s: float = 15.0) -> list[bytes]:
        from kafka.structs import TopicPartition

        from policywatch.core.kafka import make_consumer

        consumer = make_consumer(self.settings, None, ())
        try:
            tps = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
            consumer.assign(tps)
            consumer.seek_to_beginning(*tps)
            ends = consumer.end_offsets(tps)
            out: list[bytes] = []
            deadline = time.monotonic() + timeout_s
            while time.monotonic() < deadline and any(consumer.position(tp) < ends[tp] for tp in tps):
                for records in consumer.poll(timeout_ms=500).values():
                    out.extend(r.value for r in records)
            return out
        finally:
            consumer.close()

    def doc_ids(self) -> list[str]:
        self.es.indices.refresh(index=self.docs_index)
        resp = self.es.search(index=self.docs_index, size=10_000, source=False, query={"match_all": {}})
        return [hit["_id"] for hit in resp["hits"]["hits"]]


@pytest.fixture
def lane(stack, es, kafka_admin, unique_name) -> Iterator[Lane]:
    from kafka.admin import NewTopic

    lane = Lane(unique_name("pipe"), stack, es)
    big = {"max.message.bytes": str(stack.raw_max_message_bytes)}
    names = [*lane.topics.values(), lane.dlq]
    kafka_admin.create_topics([NewTopic(t, 3, 1, topic_configs=big) for t in names])
    for index in (lane.docs_index, lane.indicators_index):
        es.indices.create(index=index)
    yield lane
    es.options(ignore_status=404).indices.delete(index=f"{lane.docs_index},{lane.indicators_index},"
                                                       f"{lane.fingerprint_index}")
    kafka_admin.delete_topics([*lane.topics.values(), lane.dlq])


def test_seeds_searchable_with_title_zone_year_and_replay_is_idempotent(lane):
    report = replay([SEEDS], lane.settings, topic=lane.topics["raw"])
    assert report.sent == 5
    stats = lane.run_all()
    assert stats["index"].processed == 5 and stats["clean"].dead_lettered == 0
    assert len(lane.doc_ids()) == 5
    hits = lane.es.search(index=lane.docs_index, size=10, query={"match_all": {}})["hits"]["hits"]
    for hit in hits:
        src = hit["_source"]
        assert src["title"] and src["zone"] and src["year"], src.get("url")
        assert src["text_seg"] and src["doc_id"] == hit["_id"]
    zones = {h["_source"]["zone"] for h in hits}
    assert "济南新旧动能转换起步区" in zones and "商河经济开发区" in zones
    # Search by phrase on the per-character field and by word on text_seg.
    found = lane.es.search(index=lane.docs_index, query={"match_phrase": {"text": "新旧动能转换起步区"}})
    assert found["hits"]["total"]["value"] >= 1
    found = lane.es.search(index=lane.docs_index, query={"match": {"text_seg": "开发区"}})
    assert found["hits"]["total"]["value"] >= 3

    replay([SEEDS], lane.settings, topic=lane.topics["raw"])
    stats = lane.run_all()
    assert stats["index"].processed == 5
    assert sorted(lane.doc_ids()) == sorted(report.doc_ids)


def test_poison_messages_go_to_the_dlq_and_later_ones_are_processed(lane):
    good = raw_documents(4, source_id="poison-test")
    garbage = RawDocument(doc_id="f" * 64, url="http://garbage.example/x", canonical_url="http://garbage.example/x",
                          source_id="poison-test", fetched_at=good[0].fetched_at,
                          body=random.Random(1).randbytes(20 * 1024 * 1024))
    values = [
        (good[0].doc_id, good[0].model_dump_json().encode()),
        ("not-json", b"\x00\x01 this is not JSON {"),
        ("wrong-schema", json.dumps({"doc_id": "x", "hello": "world"}).encode()),
        (garbage.doc_id, garbage.model_dump_json().encode()),
        *[(d.doc_id, d.model_dump_json().encode()) for d in good[1:]],
    ]
    # One partition order: send everything with the same key so the poison sits between good messages.
    lane.produce(lane.topics["raw"], [("same-key", v) for _, v in values])
    stats = lane.run_all()
    assert stats["clean"].dead_lettered == 3
    assert stats["index"].processed == 4
    assert sorted(lane.doc_ids()) == sorted(d.doc_id for d in good)
    letters = [DeadLetter.model_validate_json(v) for v in lane.read(lane.dlq)]
    assert len(letters) == 3 and {d.stage for d in letters} == {"clean"}
    reasons = " | ".join(d.error for d in letters)
    assert "JSON" in reasons or "json" in reasons
    assert "Field required" in reasons  # the wrong-schema message
    assert "over the" in reasons  # the 20 MB page
    not_json = next(d for d in letters if d.original.startswith(b"\x00\x01"))
    assert not_json.original == b"\x00\x01 this is not JSON {" and not_json.attempts == 1


def _spawn_index(lane: Lane, batch_size: int, log: Path) -> subprocess.Popen:
    code = (
        "import sys, json; from policywatch.bootstrap import build_stage, run_stage; "
        "from processors.runner import RunnerConfig; from policywatch.core.settings import get_settings; "
        "a = json.loads(sys.argv[1]); s = get_settings(); "
        "st = build_stage('index', s, docs_index=a['docs'], indicators_index=a['ind'], "
        "topics=a['topics']); "
        "run_stage(st, s, config=RunnerConfig(group_id=a['group'], batch_size=a['batch'], until_idle=True, "
        "idle_s=2.0, dlq_topic=a['dlq']))"
    )
    args = json.dumps({"docs": lane.docs_index, "ind": lane.indicators_index, "topics": lane.topics,
                       "group": f"{lane.name}-grp-index", "batch": batch_size, "dlq": lane.dlq})
    return subprocess.Popen([sys.executable, "-c", code, args], cwd=ROOT,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"},
                            stdout=subprocess.DEVNULL, stderr=log.open("ab"))


def _count(lane: Lane) -> int:
    lane.es.indices.refresh(index=lane.docs_index)
    return int(lane.es.count(index=lane.docs_index)["count"])


def test_sigkill_mid_batch_then_restart_indexes_each_document_exactly_once(lane, tmp_path):
    log = tmp_path / "index.log"
    docs = raw_documents(500, source_id="sigkill-test")
    lane.produce(lane.topics["raw"], [(d.doc_id, d.model_dump_json().encode()) for d in docs])
    lane.run("clean", batch_size=100)
    lane.run("extract", batch_size=100)
    child = _spawn_index(lane, batch_size=50, log=log)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and _count(lane) < 120:
        time.sleep(0.05)
    child.send_signal(signal.SIGKILL)
    child.wait(30)
    killed_at = _count(lane)
    assert 0 < killed_at < 500, "the kill must land in the middle of the run"
    restarted = _spawn_index(lane, batch_size=50, log=log)
    assert restarted.wait(240) == 0, log.read_text()[-3000:]
    ids = lane.doc_ids()
    assert len(ids) == 500 == len(set(ids))
    assert set(ids) == {d.doc_id for d in docs}


def test_elasticsearch_stopped_during_index_then_started_loses_and_duplicates_nothing(lane):
    from policywatch import stack as local_stack
    from policywatch.stack import procs

    if not lane.settings.uses_local_stack:
        pytest.skip("stops Elasticsearch: only against the local stack")
    docs = raw_documents(200, source_id="es-outage-test")
    lane.produce(lane.topics["raw"], [(d.doc_id, d.model_dump_json().encode()) for d in docs])
    lane.run("clean")
    lane.run("extract")
    result: dict[str, RunStats] = {}
    worker = threading.Thread(
        target=lambda: result.update(index=lane.run("index", batch_size=20, idle_s=5.0)))
    _, es_service = local_stack.services(lane.settings)
    record = es_service.record()
    assert record is not None, "the local stack's Elasticsearch is not running"
    worker.start()
    time.sleep(0.5)
    procs.stop_group(record)  # Elasticsearch goes away in the middle of the run
    time.sleep(5)
    local_stack.up(lane.settings, timeout=240)
    worker.join(300)
    assert not worker.is_alive()
    assert result["index"].transient_retries >= 1
    ids = lane.doc_ids()
    assert len(ids) == 200 == len(set(ids)) and set(ids) == {d.doc_id for d in docs}
