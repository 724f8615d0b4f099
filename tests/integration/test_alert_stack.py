"""The alert stage against the real local Kafka and Elasticsearch (marker `integration`).

Every test works in its own indices and topics (unique names), created from the project's templates, so
it never touches policy-* data and runs beside other tests."""

from __future__ import annotations

import email
import json
import threading
import time
from collections.abc import Iterator
from email.header import decode_header, make_header
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from policywatch.bootstrap import alert_config, build_alert, run_stage
from policywatch.core.settings import get_settings
from policywatch.provision.elasticsearch import index_body
from policywatch.search.query import SearchRequest, make_filters
from policywatch.search.service import search
from policywatch.search.watches import WatchStore, new_watch
from processors.alert.engine import AlertStage
from processors.alert.signing import verify
from processors.index import bulk_actions
from schemas.indices import ALERTS_INDEX, DOCS_INDEX, INDICATORS_INDEX, WATCHES_INDEX
from tests.golden.relevance.corpus import corpus_files, extracted


@pytest.fixture(scope="module")
def docs() -> dict[str, Any]:
    """ExtractedDocuments of the corpus (seeds "000".."004" and our own), by short name."""
    return {name: extracted(path) for name, path in corpus_files().items()}


@pytest.fixture
def indices(es, settings, unique_name) -> Iterator[dict[str, str]]:
    names = {"docs": unique_name("docs"), "indicators": unique_name("ind"), "alerts": unique_name("alerts"),
             "watches": unique_name("watches")}
    for key, alias in (("docs", DOCS_INDEX), ("indicators", INDICATORS_INDEX),
                       ("alerts", ALERTS_INDEX), ("watches", WATCHES_INDEX)):
        es.indices.create(index=names[key], **index_body(alias, settings))
    yield names
    es.indices.delete(index=list(names.values()), ignore_unavailable=True)


def _index(es, indices: dict[str, str], *docs: Any, refresh: bool | str = False) -> None:
    ops: list[dict] = []
    for doc in docs:
        actions = bulk_actions(doc, docs_index=indices["docs"], indicators_index=indices["indicators"])
        for header, body in actions:
            ops.append(header)
            if body is not None:
                ops.append(body)
    resp = es.bulk(operations=ops, refresh=refresh)
    assert not resp["errors"]


def _stage(es, indices: dict[str, str], published: list, **cfg: Any) -> AlertStage:
    """An alert stage with the deployment's webhook policy and secret (POLICYWATCH_WEBHOOK_*)."""
    config = alert_config(get_settings(), docs_index=indices["docs"], alerts_index=indices["alerts"],
                          watches_index=indices["watches"], watch_ttl_s=0, poll_s=0.05,
                          searchable_timeout_s=15, **cfg)
    return AlertStage(es, published.extend, config)


def _alerts(es, index: str) -> list[dict]:
    es.indices.refresh(index=index)
    return [h["_source"] for h in es.search(index=index, size=100, query={"match_all": {}})["hits"]["hits"]]


def test_biomedicine_watch_fires_for_seed_000_and_not_004(es, indices, docs) -> None:
    WatchStore(es, indices["watches"]).add(new_watch("bio", query="生物医药", owner="analyst"))
    _index(es, indices, docs["000"], docs["004"])  # not refreshed: the stage waits until searchable
    published: list = []
    stage = _stage(es, indices, published)
    report = stage.handle_batch([docs["000"], docs["004"]])
    stage.close()
    assert report.searchable == 2 and not report.missing
    assert [(a.watch, a.doc_id) for a in published] == [("bio", docs["000"].doc_id)]
    stored = _alerts(es, indices["alerts"])
    assert [s["doc_id"] for s in stored] == [docs["000"].doc_id]
    assert stored[0]["owner"] == "analyst" and stored[0]["delivery"] == "none"
    assert any("<em>生物医药</em>" in h for h in stored[0]["highlights"])


def test_watch_added_after_indexing_fires_only_for_later_documents(es, indices, docs) -> None:
    _index(es, indices, docs["000"], docs["001"], refresh="wait_for")
    time.sleep(0.05)
    WatchStore(es, indices["watches"]).add(new_watch("bio-late", query="生物医药"))
    time.sleep(0.05)
    _index(es, indices, docs["r01_bio_plan"])
    published: list = []
    stage = _stage(es, indices, published)
    # one batch holding the old documents (seen again, e.g. by a second consumer group) and the new one
    stage.handle_batch([docs["000"], docs["001"], docs["r01_bio_plan"]])
    stage.close()
    assert [a.doc_id for a in published] == [docs["r01_bio_plan"].doc_id]


class _Hook:
    def __init__(self, delay_s: float = 0.0) -> None:
        self.bodies: list[dict] = []
        self.raw: list[tuple[dict[str, str], bytes]] = []
        self.delay_s = delay_s
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                hook.raw.append((dict(self.headers.items()), raw))
                hook.bodies.append(json.loads(raw))
                time.sleep(hook.delay_s)
                try:
                    self.send_response(200)
                    self.end_headers()
                except OSError:
                    pass  # the client gave up (timeout)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/alerts"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_webhook_on_loopback_receives_the_alert(es, indices, docs, allow_private_webhooks) -> None:
    hook = _Hook()
    try:
        WatchStore(es, indices["watches"]).add(new_watch("gdp-qibuqu", query="起步区 生产总值",
                                                         webhook=hook.url, allow_private=True))
        _index(es, indices, docs["004"])
        stage = _stage(es, indices, [])
        report = stage.handle_batch([docs["004"]])
        assert report.new_alerts == 1 and report.webhooks == 1
        assert stage.deliverer.drain(10)
        stage.close()
    finally:
        hook.close()
    assert len(hook.bodies) == 1
    body = hook.bodies[0]
    assert body["watch"] == "gdp-qibuqu" and body["doc_id"] == docs["004"].doc_id
    assert body["url"] == docs["004"].url and body["alert_id"] and body["highlights"]
    headers, raw = hook.raw[0]
    assert verify("stack-test-secret", headers, raw)  # signed with POLICYWATCH_WEBHOOK_SECRET
    stored = _alerts(es, indices["alerts"])[0]
    assert stored["delivery"] == "delivered" and stored["delivery_attempts"] == 1 and stored["delivered_at"]


def test_timing_out_webhook_is_recorded_and_the_stage_goes_on(
    es, indices, docs, allow_private_webhooks
) -> None:
    hook = _Hook(delay_s=3.0)
    try:
        store = WatchStore(es, indices["watches"])
        store.add(new_watch("slow-hook", query="生物医药", webhook=hook.url, allow_private=True))
        store.add(new_watch("no-hook", query="新旧动能转换"))
        _index(es, indices, docs["000"], docs["004"], refresh="wait_for")
        published: list = []
        stage = _stage(es, indices, published, webhook_timeout_s=1.0, webhook_attempts=2,
                       webhook_backoff_s=0.1)
        first = stage.handle_batch([docs["000"]])
        second = stage.handle_batch([docs["004"]])  # goes on while the webhook is still timing out
        assert first.new_alerts == 1 and second.new_alerts == 1
        # the slow delivery (two 1 s timeouts) is still under way: the stage did not wait for it
        assert stage.deliverer.pending >= 1, "the stage waited for the webhook"
        assert stage.deliverer.drain(20)
        stage.close()
    finally:
        hook.close()
    by_watch = {a["watch"]: a for a in _alerts(es, indices["alerts"])}
    slow = by_watch["slow-hook"]
    assert slow["delivery"] == "failed" and slow["delivery_attempts"] == 2
    assert slow["delivery_error"].startswith("timeout")
    assert by_watch["no-hook"]["delivery"] == "none"
    assert len(hook.bodies) == 2  # one try and one retry


def test_send_time_check_refuses_a_loopback_webhook_the_deployment_does_not_allow(es, indices, docs) -> None:
    """A watch stored when private targets were allowed (or whose name now resolves inside): the stage
    checks again at send time, sends nothing and records why."""
    hook = _Hook()
    try:
        WatchStore(es, indices["watches"]).add(new_watch("inside", query="起步区", webhook=hook.url,
                                                         allow_private=True))
        _index(es, indices, docs["004"])
        stage = _stage(es, indices, [])
        stage.deliverer.close()
        from processors.alert.webhook import WebhookDeliverer

        stage.deliverer = WebhookDeliverer(stage.record_delivery, attempts=3, backoff_s=0.05,
                                           allow_private=False)
        assert stage.handle_batch([docs["004"]]).new_alerts == 1
        assert stage.deliverer.drain(10)
        stage.close()
    finally:
        hook.close()
    assert hook.raw == []
    [stored] = _alerts(es, indices["alerts"])
    assert stored["delivery"] == "failed" and stored["delivery_attempts"] == 1
    assert stored["delivery_error"] == "refused: 127.0.0.1 is a loopback address"


def test_filter_values_are_literal_text_in_searches_and_watches(es, indices, docs) -> None:
    """`--zone '?'` matched every document when it was pasted into a wildcard; 002's zone is really
    `**经开区` (a redacted name), so `*` must match that one document only."""
    names = ["000", "002", "004", "r01_bio_plan"]
    store = WatchStore(es, indices["watches"])
    store.add(new_watch("any-char", zone="?"))
    store.add(new_watch("star", zone="*"))
    store.add(new_watch("qibuqu", zone="起步区"))
    _index(es, indices, *(docs[n] for n in names), refresh="wait_for")

    def zone_hits(zone: str | None = None, region: str | None = None) -> set[str]:
        request = SearchRequest("", make_filters(zone=zone, region=region), limit=50)
        return {h.doc_id for h in search(es, request, index=indices["docs"]).hits}

    assert zone_hits("?") == set() and zone_hits("??") == set() and zone_hits("*?*") == set()
    assert zone_hits("*") == {docs["002"].doc_id}
    assert zone_hits("起步区") == {docs["004"].doc_id}  # containment still works
    assert zone_hits(region="?") == set()
    assert zone_hits(region="济南") == {docs["000"].doc_id, docs["004"].doc_id}
    published: list = []
    stage = _stage(es, indices, published)
    stage.handle_batch([docs[n] for n in names])
    stage.close()
    assert sorted((a.watch, a.doc_id) for a in published) == sorted(
        [("star", docs["002"].doc_id), ("qibuqu", docs["004"].doc_id)])


def test_a_repost_fires_no_second_alert(es, settings, indices, unique_name, allow_private_webhooks) -> None:
    """The report and a repost of it (another site, a source line added) go through the real clean stage
    with the Elasticsearch fingerprint store: the repost joins the first copy's cluster, and the watch
    fires once per (watch, cluster) — one alert, one webhook — however the copies are batched."""
    from datetime import UTC, datetime, timedelta

    from processors.clean import clean_batch
    from processors.clean.dedup import EsFingerprintStore
    from processors.extract import extract_document
    from processors.replay import raw_document_for_file
    from schemas import RawDocument
    from tests.golden.relevance.corpus import corpus_files

    original = raw_document_for_file(corpus_files()["004"], fetched_at=datetime.now(UTC) - timedelta(hours=1))
    url = "https://www.example.gov.cn/zhuanzai/2024/qibuqu.html"
    repost = original.model_copy(update={
        "doc_id": RawDocument.id_for_url(url), "url": url, "canonical_url": url,
        "fetched_at": datetime.now(UTC), "body": "来源：济南日报\n".encode() + original.body,
    })
    fp_index = unique_name("fp")
    store = EsFingerprintStore(es, index=fp_index, settings=settings)
    hook = _Hook()
    try:
        first = extract_document(clean_batch([original], store)[0])
        copy = extract_document(clean_batch([repost], store)[0])
        assert copy.doc_id != first.doc_id and copy.cluster_id == first.doc_id == first.cluster_id
        WatchStore(es, indices["watches"]).add(new_watch("qibuqu", query="起步区", webhook=hook.url,
                                                         allow_private=True))
        _index(es, indices, first, copy)
        published: list = []
        stage = _stage(es, indices, published)
        assert stage.handle_batch([first]).new_alerts == 1
        second = stage.handle_batch([copy])  # the repost, later
        assert second.new_alerts == 0 and second.duplicates == 1
        both = stage.handle_batch([copy, first])  # both again in one batch (a replay)
        assert both.new_alerts == 0
        assert stage.deliverer.drain(10)
        stage.close()
    finally:
        hook.close()
        es.indices.delete(index=fp_index, ignore_unavailable=True)
    assert [(a.watch, a.doc_id) for a in published] == [("qibuqu", first.doc_id)]
    assert len(hook.bodies) == 1 and len(_alerts(es, indices["alerts"])) == 1


def test_channel_outcomes_are_stored_on_the_alert_and_failures_counted_per_watch(
    es, indices, docs, allow_private_webhooks
) -> None:
    """One watch e-mails through a loopback SMTP server (apprise), one posts to DingTalk with a token
    DingTalk does not know (or, offline, cannot reach): both outcomes land on the alerts, and the failure
    is what `watch list` shows for that watch."""
    from policywatch.search.watches import delivery_failures
    from tests.smtp_receiver import SmtpReceiver

    smtp = SmtpReceiver()
    try:
        store = WatchStore(es, indices["watches"])
        store.add(new_watch("mail", query="起步区", notify=[smtp.url], allow_private=True))
        store.add(new_watch("ding", query="起步区", notify=["dingtalk://0123456789abcdef0123/"]))
        _index(es, indices, docs["004"])
        stage = _stage(es, indices, [])
        assert stage.handle_batch([docs["004"]]).new_alerts == 2
        assert stage.channels.drain(60)
        stage.close()
    finally:
        smtp.close()
    by_watch = {a["watch"]: a for a in _alerts(es, indices["alerts"])}
    assert by_watch["mail"]["channels"] == "delivered" and by_watch["mail"]["channel_error"] is None
    assert by_watch["mail"]["channel_deliveries"][0]["target"] == "mailto://…"
    assert by_watch["ding"]["channels"] == "failed"
    assert by_watch["ding"]["channel_error"].startswith("dingtalk: ")
    [mail] = smtp.messages
    subject = email.message_from_bytes(mail["data"])["Subject"]
    assert str(make_header(decode_header(subject))).startswith("policywatch · mail: ")
    failures = delivery_failures(es, indices["alerts"])
    assert set(failures) == {"ding"} and failures["ding"]["failed"] == 1
    assert failures["ding"]["last_error"] == by_watch["ding"]["channel_error"]


def test_channel_deliveries_left_pending_by_a_dead_process_are_sent_at_start(
    es, indices, docs, allow_private_webhooks
) -> None:
    from tests.smtp_receiver import SmtpReceiver

    class Crashed:  # stores the alert, dies before any channel delivery
        def submit(self, *args: object) -> None:
            pass

        def drain(self, timeout_s: float = 0) -> bool:
            return True

        def close(self) -> None:
            pass

    smtp = SmtpReceiver()
    try:
        WatchStore(es, indices["watches"]).add(new_watch("mail", query="起步区", notify=[smtp.url],
                                                         allow_private=True))
        _index(es, indices, docs["004"])
        config = alert_config(get_settings(), docs_index=indices["docs"], alerts_index=indices["alerts"],
                              watches_index=indices["watches"], watch_ttl_s=0, poll_s=0.05, sweep_after_s=0)
        first = AlertStage(es, [].extend, config, channels=Crashed())  # type: ignore[arg-type]
        assert first.handle_batch([docs["004"]]).new_alerts == 1
        first.close()
        assert [a["channels"] for a in _alerts(es, indices["alerts"])] == ["pending"]
        restarted = AlertStage(es, [].extend, config)
        assert restarted.sweep_channels() == 1
        assert restarted.channels.drain(30)
        restarted.close()
    finally:
        smtp.close()
    assert len(smtp.messages) == 1
    assert [a["channels"] for a in _alerts(es, indices["alerts"])] == ["delivered"]


def test_daily_digest_sends_one_message_per_watch_and_nothing_per_alert(
    es, indices, docs, allow_private_webhooks
) -> None:
    from processors.alert.digest import send_digests
    from tests.smtp_receiver import SmtpReceiver

    hook, smtp = _Hook(), SmtpReceiver()
    try:
        WatchStore(es, indices["watches"]).add(new_watch("shanghe-daily", query="商河", webhook=hook.url,
                                                         notify=[smtp.url], digest="daily",
                                                         allow_private=True))
        _index(es, indices, docs["000"], docs["001"])
        stage = _stage(es, indices, [])
        assert stage.handle_batch([docs["000"], docs["001"]]).new_alerts == 2
        stage.close()
        assert hook.bodies == [] and smtp.messages == []  # nothing per alert
        stored = _alerts(es, indices["alerts"])
        assert {a["digest"] for a in stored} == {"pending"} and {a["delivery"] for a in stored} == {"none"}

        [report] = send_digests(es, watches_index=indices["watches"], alerts_index=indices["alerts"],
                                settings=get_settings())
        assert report.alerts == 2 and report.sent and not report.errors
        [again] = send_digests(es, watches_index=indices["watches"], alerts_index=indices["alerts"],
                                settings=get_settings())
        assert again.alerts == 0  # sent once
    finally:
        hook.close()
        smtp.close()
    [body] = hook.bodies
    assert body["watch"] == "shanghe-daily" and body["digest"] == "daily" and body["count"] == 2
    assert {a["doc_id"] for a in body["alerts"]} == {docs["000"].doc_id, docs["001"].doc_id}
    assert verify("stack-test-secret", *hook.raw[0])
    assert len(smtp.messages) == 1
    assert {a["digest"] for a in _alerts(es, indices["alerts"])} == {"sent"}


def _consume_all(settings, topic: str, group: str) -> list[dict]:
    from policywatch.core.kafka import make_consumer

    consumer = make_consumer(settings, group, [topic], consumer_timeout_ms=3000)
    out = [json.loads(r.value) for r in consumer]
    consumer.close()
    return out


def test_replaying_through_kafka_fires_nothing_twice(es, settings, indices, docs, kafka_admin, unique_name):
    from kafka.admin import NewTopic

    from policywatch.core.kafka import make_producer
    from processors.index.sink import IndexSink
    from processors.runner import RunnerConfig

    extracted_topic, alerts_topic = unique_name("extracted"), unique_name("alerts")
    indexed_topic = unique_name("indexed")
    kafka_admin.create_topics([NewTopic(extracted_topic, 2, 1), NewTopic(indexed_topic, 2, 1),
                               NewTopic(alerts_topic, 1, 1)])
    WatchStore(es, indices["watches"]).add(new_watch("bio", query="生物医药"))
    WatchStore(es, indices["watches"]).add(new_watch("qibuqu", query="起步区"))
    seeds = [docs[n] for n in ("000", "001", "002", "003", "004")]

    producer = make_producer(settings)

    def replay() -> None:
        for d in seeds:
            producer.send(extracted_topic, key=d.doc_id.encode(), value=d.model_dump_json().encode())
        producer.flush()

    def run(group_suffix: str) -> None:
        cfg = RunnerConfig(until_idle=True, idle_s=1.0, group_id=f"{extracted_topic}-index")
        run_stage(IndexSink(es, input_topic=extracted_topic, docs_index=indices["docs"],
                            indicators_index=indices["indicators"], output_topic=indexed_topic),
                  settings, config=cfg, install_signals=False)
        stage = build_alert(
            settings, es=es, topics={"indexed": indexed_topic}, alerts_topic=alerts_topic,
            config=alert_config(settings, docs_index=indices["docs"], alerts_index=indices["alerts"],
                                watches_index=indices["watches"], watch_ttl_s=0, searchable_timeout_s=15))
        cfg = RunnerConfig(until_idle=True, idle_s=1.0, group_id=f"{extracted_topic}-alert-{group_suffix}")
        run_stage(stage, settings, config=cfg, install_signals=False)  # opens and closes the stage

    replay()
    run("a")
    first = _consume_all(settings, alerts_topic, unique_name("reader"))
    pairs = sorted((a["watch"], a["doc_id"]) for a in first)
    assert pairs == sorted([("bio", docs["000"].doc_id), ("bio", docs["001"].doc_id),
                            ("qibuqu", docs["000"].doc_id), ("qibuqu", docs["004"].doc_id)])

    replay()  # the same messages again: the alert group reads them as new input
    run("a")
    run("b")  # and a new consumer group reads the whole topic from offset 0
    producer.close()
    again = _consume_all(settings, alerts_topic, unique_name("reader"))
    assert len(again) == len(first)
    assert len(_alerts(es, indices["alerts"])) == 4
