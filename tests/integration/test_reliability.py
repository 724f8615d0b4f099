"""Issue 12 on the real local Kafka and Elasticsearch: no single message stalls a stage, alerts wait for
the index, webhooks survive a SIGKILL, replay skips what Kafka cannot carry, an outage logs one line per
retry. Every test has its own topics, groups and indices (unique names)."""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from policywatch.provision.elasticsearch import index_body
from processors.runner import Runner, RunnerConfig, RunStats
from processors.synthetic import raw_documents
from schemas import DeadLetter, ExtractedDocument, Extraction, IndexedDocument, RawDocument
from schemas.raw import decode_raw, encode_raw

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Lane:
    name: str
    settings: object
    es: object

    def topic(self, kind: str) -> str:
        return f"{self.name}-{kind}"

    @property
    def index(self) -> dict[str, str]:
        return {"docs": f"policy-docs-v9-{self.name}", "indicators": f"policy-indicators-v9-{self.name}",
                "fingerprints": f"{self.name}-fingerprints", "alerts": f"{self.name}-alerts",
                "watches": f"{self.name}-watches"}

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

    def read(self, topic: str, timeout_s: float = 20.0) -> list[tuple[str, bytes]]:
        from kafka.structs import TopicPartition

        from policywatch.core.kafka import make_consumer

        consumer = make_consumer(self.settings, None, ())
        try:
            tps = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
            consumer.assign(tps)
            consumer.seek_to_beginning(*tps)
            ends = consumer.end_offsets(tps)
            out: list[tuple[str, bytes]] = []
            deadline = time.monotonic() + timeout_s
            while time.monotonic() < deadline and any(consumer.position(tp) < ends[tp] for tp in tps):
                for records in consumer.poll(timeout_ms=500).values():
                    out.extend((r.key.decode() if r.key else "", r.value) for r in records)
            return out
        finally:
            consumer.close()

    def dead_letters(self) -> list[DeadLetter]:
        return [DeadLetter.model_validate_json(v) for _, v in self.read(self.topic("dlq"))]

    def run(self, stage, *, limit_s: float = 180.0, **kw) -> RunStats:
        """Run ``stage`` until its input is drained; fail (not hang) if it takes longer than ``limit_s``."""
        from policywatch.core.kafka import make_consumer, make_producer

        cfg = RunnerConfig(**{"group_id": f"{self.name}-{stage.name}", "until_idle": True, "idle_s": 2.0,
                              "dlq_topic": self.topic("dlq"), "transient_backoff_max_s": 2.0,
                              "retry_backoff_s": 0.05, **kw})
        consumer = make_consumer(self.settings, cfg.group_id, [stage.input_topic],
                                 max_poll_records=cfg.batch_size)
        producer = make_producer(self.settings)
        runner = Runner(stage, consumer, producer, cfg)
        result: list[RunStats] = []
        thread = threading.Thread(target=lambda: result.append(runner.run()), daemon=True)
        thread.start()
        thread.join(limit_s)
        if thread.is_alive():
            runner.stop()
            thread.join(30)
            pytest.fail(f"stage {stage.name} still busy after {limit_s} s: stuck on a message?")
        producer.close(timeout=10)
        return result[0]

    def docs_in_es(self) -> dict[str, dict]:
        self.es.indices.refresh(index=self.index["docs"])
        resp = self.es.search(index=self.index["docs"], size=10_000, version=True, query={"match_all": {}},
                              source=["source_id", "title"])
        return {h["_id"]: {"version": h["_version"], **h["_source"]} for h in resp["hits"]["hits"]}


@pytest.fixture
def lane(stack, es, kafka_admin, unique_name) -> Iterator[Lane]:
    from kafka.admin import NewTopic

    lane = Lane(unique_name("rel"), stack, es)
    big = {"max.message.bytes": str(stack.kafka_message_max_bytes)}
    kinds = ("raw", "cleaned", "extracted", "indexed", "alerts", "dlq")
    kafka_admin.create_topics([NewTopic(lane.topic(k), 2, 1, topic_configs=big) for k in kinds])
    for key, alias in (("docs", "policy-docs"), ("indicators", "policy-indicators"),
                       ("alerts", "policy-alerts"), ("watches", "policy-watches")):
        es.indices.create(index=lane.index[key], **index_body(alias, stack))
    yield lane
    es.indices.delete(index=",".join(lane.index.values()), ignore_unavailable=True)
    kafka_admin.delete_topics([lane.topic(k) for k in kinds])


def _extracted(n: int, *, fetched_at: datetime | None = None, source_id: str = "rel",
               text: str = "") -> ExtractedDocument:
    doc_id = f"{n:064x}"
    return ExtractedDocument(
        doc_id=doc_id, url=f"http://rel.example/{n}.html", canonical_url=f"http://rel.example/{n}.html",
        source_id=source_id, fetched_at=fetched_at or datetime.now(UTC), title=f"第{n}号开发区生物医药通知",
        text=text or f"第{n}号：开发区生物医药产业园招商引资项目签约，生产总值增长。",
        content_sha256="0" * 64, simhash="0" * 16, cluster_id=doc_id, extraction=Extraction())


def _index_stage(lane: Lane):
    from processors.index.sink import IndexSink

    return IndexSink(lane.es, input_topic=lane.topic("extracted"), docs_index=lane.index["docs"],
                      indicators_index=lane.index["indicators"], output_topic=lane.topic("indexed"))


# -- 1. one refused item is that message's failure; versions never negative nor absurd ---------------
def test_index_stage_dead_letters_a_refused_document_and_indexes_pre_1970_and_year_9999(lane):
    good = [_extracted(i) for i in range(6)]
    old = _extracted(100, fetched_at=datetime(1960, 5, 1, tzinfo=UTC))
    future = _extracted(101, fetched_at=datetime(9999, 12, 31, tzinfo=UTC))
    refused = _extracted(102, source_id="s" * 40_000)  # a keyword over Lucene's 32 766-byte term limit
    batch = [*good[:3], old, refused, future, *good[3:]]
    lane.produce(lane.topic("extracted"), [(d.doc_id, d.model_dump_json().encode()) for d in batch])
    started = time.time()

    stats = lane.run(_index_stage(lane), max_attempts=2)

    stored = lane.docs_in_es()
    assert set(stored) == {d.doc_id for d in [*good, old, future]}
    assert stored[old.doc_id]["version"] == 1
    assert stored[future.doc_id]["version"] <= (time.time() + 61) * 1000
    assert stored[future.doc_id]["version"] >= started * 1000
    letters = lane.dead_letters()
    assert [(dl.stage, dl.key, dl.attempts) for dl in letters] == [("index", refused.doc_id, 2)]
    assert "400" in letters[0].error and "source_id" in letters[0].error
    assert stats.dead_lettered == 1 and stats.processed == len(batch)
    # 2. the index stage publishes an event per acknowledged document, keyed by doc_id, none for the refused
    events = [(k, IndexedDocument.model_validate_json(v)) for k, v in lane.read(lane.topic("indexed"))]
    assert sorted(k for k, _ in events) == sorted(d.doc_id for d in [*good, old, future])
    assert all(k == e.doc_id == e.document.doc_id and e.result == "stored" for k, e in events)


def test_whole_request_refusal_and_outage_are_told_apart(es):
    from policywatch.core import es_bulk
    from policywatch.core.elasticsearch import make_es
    from policywatch.core.errors import ServiceUnavailable
    from policywatch.core.settings import Settings

    ops = [{"index": {"_index": "rel-never-created", "_id": "x", "version": -5, "version_type": "external"}},
           {"a": 1}]
    with pytest.raises(es_bulk.RequestRefused, match="400"):
        es_bulk.call(es.bulk, "bulk", operations=ops)
    down = make_es(Settings(es_url="http://127.0.0.1:9"), max_retries=0, request_timeout=2)
    with pytest.raises(ServiceUnavailable, match="unavailable"):
        es_bulk.call(down.bulk, "bulk", operations=ops)


# -- 1, 8, 10: the clean stage's bad messages go to the DLQ with their reasons; the rest flows ---------
def _raw_page(n: int, html: bytes, **kw) -> RawDocument:
    url = kw.pop("url", f"http://rel.example/page{n}.html")
    return RawDocument(doc_id=RawDocument.id_for_url(url), url=url, canonical_url=url, source_id="rel",
                       fetched_at=datetime.now(UTC), content_type="text/html; charset=utf-8", body=html, **kw)


def test_clean_stage_refusals_and_repairs(lane, tmp_path):
    import zstandard

    from processors.clean.dedup import EsFingerprintStore
    from processors.clean.stage import CleanStage

    good = list(raw_documents(4, seed=12))
    text = "开发区2023年工作总结：招商引资项目签约，生物医药产业产值增长百分之十二。" * 30
    page = f"<html><head><title>工作总结</title></head><body><p>{text}</p></body></html>"
    fixable = _raw_page(1, page.encode("utf-8").decode("latin-1").encode("utf-8"))
    lost = _raw_page(2, page.encode("utf-8").decode("cp1252", errors="replace").encode("utf-8"),
                     hints={"mojibake_score": "0.0600"})
    deep = _raw_page(3, ("<html><body>" + "<div>" * 300 + text + "</div>" * 300 + "</body></html>").encode())
    long_url = _raw_page(4, page.encode(), url="http://rel.example/" + "q" * 40_000)
    cctx = zstandard.ZstdCompressor(level=19, write_content_size=False).compressobj()
    packed = b"".join(cctx.compress(b"\0" * (1 << 20)) for _ in range(512)) + cctx.flush()
    bomb_json = _raw_page(5, b"x").model_dump_json()
    bomb = bomb_json.replace(json.loads(bomb_json)["body"], base64.b64encode(packed).decode()).encode()
    values = [(r.doc_id, encode_raw(r)) for r in good[:2]]
    values += [(fixable.doc_id, encode_raw(fixable)), (lost.doc_id, encode_raw(lost)),
               (deep.doc_id, encode_raw(deep)), (long_url.doc_id, encode_raw(long_url)), ("bomb", bomb)]
    values += [(r.doc_id, r.model_dump_json().encode()) for r in good[2:]]  # the JSON form still reads
    lane.produce(lane.topic("raw"), values)

    store = EsFingerprintStore(lane.es, index=lane.index["fingerprints"], settings=lane.settings)
    stage = CleanStage(store, input_topic=lane.topic("raw"), output_topic=lane.topic("cleaned"))
    lane.run(stage, max_attempts=2)

    cleaned = {k: json.loads(v) for k, v in lane.read(lane.topic("cleaned"))}
    assert set(cleaned) == {r.doc_id for r in good} | {fixable.doc_id}
    repaired = cleaned[fixable.doc_id]["text"]
    assert "招商引资项目签约" in repaired and "å" not in repaired
    reasons = {dl.key: dl.error for dl in lane.dead_letters()}
    assert set(reasons) == {lost.doc_id, deep.doc_id, long_url.doc_id, "bomb"}
    assert "mojibake" in reasons[lost.doc_id] and "crawler's score 0.06" in reasons[lost.doc_id]
    assert "depth limit" in reasons[deep.doc_id]
    assert "fingerprint write refused" in reasons[long_url.doc_id] and "400" in reasons[long_url.doc_id]
    assert "page limit" in reasons["bomb"]


# -- 2. the alert stage cannot run ahead of the index -------------------------------------------------
def _alert_stage(lane: Lane, **cfg):
    from policywatch.bootstrap import alert_config, build_alert

    config = alert_config(lane.settings, docs_index=lane.index["docs"], alerts_index=lane.index["alerts"],
                          watches_index=lane.index["watches"], watch_ttl_s=0, poll_s=0.05, **cfg)
    return build_alert(lane.settings, es=lane.es, topics={"indexed": lane.topic("indexed")},
                       alerts_topic=lane.topic("alerts"), config=config)


def _alerts(lane: Lane) -> list[dict]:
    lane.es.indices.refresh(index=lane.index["alerts"])
    resp = lane.es.search(index=lane.index["alerts"], size=10_000, query={"match_all": {}})
    return [h["_source"] for h in resp["hits"]["hits"]]


def _alert_status(lane: Lane) -> dict:
    from policywatch.status import status

    report = status(lane.settings, groups={"alert": f"{lane.name}-alert"}, indices=(lane.index["docs"],),
                    topics={"alert": lane.topic("indexed")}, dlq_topic=lane.topic("dlq"))
    return report["stages"]["alert"]


def test_alert_stage_waits_for_the_index_and_loses_no_alert(lane):
    from policywatch.search.watches import WatchStore, new_watch

    WatchStore(lane.es, lane.index["watches"]).add(new_watch("bio", query="生物医药"))
    docs = [_extracted(i) for i in range(30)]
    lane.produce(lane.topic("extracted"), [(d.doc_id, d.model_dump_json().encode()) for d in docs])

    ahead = lane.run(_alert_stage(lane), idle_s=3.0)  # index has not run: nothing to read, nothing skipped
    assert ahead.processed == 0 and ahead.skipped == 0 and _alerts(lane) == []

    lane.run(_index_stage(lane))
    assert _alert_status(lane)["lag"] == 30  # `status` shows what no watch has run on yet
    after = lane.run(_alert_stage(lane))  # the runner opens and closes the stage
    assert _alert_status(lane)["lag"] == 0
    assert after.processed == 30 and after.skipped == 0 and after.dead_lettered == 0
    assert sorted(a["doc_id"] for a in _alerts(lane)) == sorted(d.doc_id for d in docs)


# -- 3. webhook outbox: every stored alert delivered at least once after a SIGKILL --------------------
class _Receiver:
    """Loopback webhook receiver; ``delay_s`` per request keeps deliveries pending for a while."""

    def __init__(self, delay_s: float = 0.0) -> None:
        self.ids: list[str] = []
        self.delay_s = delay_s
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                self.rfile.read(int(self.headers["Content-Length"]))
                time.sleep(receiver.delay_s)
                receiver.ids.append(self.headers["X-Policywatch-Alert"])
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


_ALERT_WORKER = """
import sys
from policywatch.bootstrap import alert_config, build_alert, run_stage
from policywatch.core.settings import Settings
from processors.runner import RunnerConfig
name, docs, alerts, watches, indexed, alerts_topic, dlq = sys.argv[1:]
settings = Settings()
cfg = alert_config(settings, docs_index=docs, alerts_index=alerts, watches_index=watches, watch_ttl_s=0,
                   poll_s=0.05, webhook_workers=1, webhook_timeout_s=20)
stage = build_alert(settings, topics={"indexed": indexed}, alerts_topic=alerts_topic, config=cfg)
run_stage(stage, settings, config=RunnerConfig(group_id=name + "-alert", dlq_topic=dlq))
"""


def test_webhooks_pending_at_a_sigkill_are_delivered_promptly_after(lane, allow_private_webhooks):
    from policywatch.search.watches import WatchStore, new_watch

    slow = _Receiver(delay_s=0.5)  # one worker, 0.5 s per POST: most alerts are still pending at the kill
    try:
        WatchStore(lane.es, lane.index["watches"]).add(new_watch("bio", query="生物医药", webhook=slow.url,
                                                                 allow_private=True))
        docs = [_extracted(i) for i in range(40)]
        lane.produce(lane.topic("extracted"), [(d.doc_id, d.model_dump_json().encode()) for d in docs])
        lane.run(_index_stage(lane))
        i = lane.index
        env = {**os.environ, "PYTHONPATH": str(ROOT), "POLICYWATCH_WEBHOOK_ALLOW_PRIVATE": "true"}
        worker = subprocess.Popen(
            [sys.executable, "-c", _ALERT_WORKER, lane.name, i["docs"], i["alerts"], i["watches"],
             lane.topic("indexed"), lane.topic("alerts"), lane.topic("dlq")],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and len(_alerts(lane)) < 40:
            time.sleep(0.5)
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
        stored = _alerts(lane)
        assert len(stored) == 40
        pending_at_kill = sum(a["delivery"] == "pending" for a in stored)
        assert pending_at_kill > 0, "the kill came after every delivery: nothing was tested"

        slow.delay_s = 0.0
        killed_at = time.monotonic()
        # another process on this host (allowed to post to the loopback receiver): takes the dead one's claims
        restarted = _alert_stage(lane, webhook_allow_private=True)
        restarted.open()  # what the runner does first: the outbox poller starts
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and any(a["delivery"] == "pending" for a in _alerts(lane)):
            time.sleep(0.3)
        took_s = time.monotonic() - killed_at
        restarted.close()
    finally:
        slow.close()
    stored = _alerts(lane)
    assert all(a["delivery"] == "delivered" and a["delivered_at"] for a in stored), \
        [a["delivery"] for a in stored if a["delivery"] != "delivered"]
    assert set(slow.ids) == {a["alert_id"] for a in stored}  # every alert at least once, by its stable id
    assert took_s < 60


# -- 6. replay skips what Kafka cannot carry and sends the rest, 32 MiB pages included ----------------
def test_replay_skips_oversize_files_and_sends_a_real_32_mib_page(lane, tmp_path):
    from policywatch.bootstrap import replay

    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a_notice.html").write_text("<html><body><p>开发区通知</p></body></html>", encoding="utf-8")
    with (folder / "b_huge.pdf").open("wb") as fh:  # sparse: over the limit without filling the disk
        fh.truncate(33 * 1024 * 1024)
    page = os.urandom(32 * 1024 * 1024 - 64 * 1024)  # incompressible: base64 in JSON would not fit
    (folder / "c_scan.pdf").write_bytes(page)
    (folder / "d_after.txt").write_text("开发区工作总结，在超大文件之后。", encoding="utf-8")

    report = replay([folder], lane.settings, topic=lane.topic("raw"))

    assert report.files == 4 and report.sent == 3
    assert len(report.skipped) == 1 and "b_huge.pdf" in report.skipped[0] and "limit" in report.skipped[0]
    messages = lane.read(lane.topic("raw"), timeout_s=60)
    bodies = {decode_raw(v).url.rsplit("/", 1)[-1]: decode_raw(v).body for _, v in messages}
    assert set(bodies) == {"a_notice.html", "c_scan.pdf", "d_after.txt"}
    assert bodies["c_scan.pdf"] == page


# -- 10. an Elasticsearch outage: one log line per retry with its backoff, no tracebacks --------------
_INDEX_WORKER = """
import sys
from policywatch.bootstrap import run_stage
from policywatch.core.elasticsearch import make_es
from policywatch.core.settings import Settings
from processors.index.sink import IndexSink
from processors.runner import RunnerConfig
topic, group, dlq = sys.argv[1:]
settings = Settings(es_url="http://127.0.0.1:9")
stage = IndexSink(make_es(settings), input_topic=topic, output_topic=None, docs_index="rel-unreachable")
run_stage(stage, settings, config=RunnerConfig(group_id=group, dlq_topic=dlq,
          transient_backoff_s=0.25, transient_backoff_max_s=1.0))
"""


def test_elasticsearch_outage_logs_one_line_per_retry_without_tracebacks(lane):
    doc = _extracted(1)
    lane.produce(lane.topic("extracted"), [(doc.doc_id, doc.model_dump_json().encode())])
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    code = "from processors.observability import configure_logging; configure_logging()\n" + _INDEX_WORKER
    worker = subprocess.Popen([sys.executable, "-c", code, lane.topic("extracted"), f"{lane.name}-idx",
                               lane.topic("dlq")], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True)
    try:
        time.sleep(20)
    finally:
        worker.send_signal(signal.SIGTERM)
        out, _ = worker.communicate(timeout=30)
    retries = [json.loads(line) for line in out.splitlines()
               if line.startswith("{") and "service unavailable" in line]
    assert len(retries) >= 3, out[-2000:]
    assert "Traceback" not in out, out[-3000:]
    waits = [r["wait_s"] for r in retries]
    assert waits[:3] == [0.25, 0.5, 1.0] and all(w == 1.0 for w in waits[3:])
    assert all("Elasticsearch" in r["error"] and "\n" not in r["error"] for r in retries)
    assert lane.dead_letters() == []  # an outage is nobody's bad message
