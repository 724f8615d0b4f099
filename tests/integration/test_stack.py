"""The local stack: real Kafka and Elasticsearch, and its refusals."""

from __future__ import annotations

import json
import os
import time

import pytest

from tests.unit.test_stack_refusals import _cli  # `python -m policywatch ...`, the same runner


def test_produce_and_consume_on_a_real_topic(kafka_settings, kafka_admin, unique_name):
    from kafka.admin import NewTopic

    from policywatch.core.kafka import make_consumer, make_producer

    topic = unique_name("roundtrip")
    kafka_admin.create_topics([NewTopic(topic, 2, 1)])
    producer = make_producer(kafka_settings)
    for i in range(10):
        producer.send(topic, key=f"doc-{i}".encode(), value=json.dumps({"n": i, "text": "生物医药"}).encode())
    producer.flush(timeout=30)
    producer.close()

    group = unique_name("group")
    consumer = make_consumer(kafka_settings, group, [topic], consumer_timeout_ms=1000)
    got = {}
    deadline = time.monotonic() + 60
    while len(got) < 10 and time.monotonic() < deadline:
        for records in consumer.poll(timeout_ms=1000).values():
            for r in records:
                got[r.key.decode()] = json.loads(r.value)
        consumer.commit()
    consumer.close()
    assert sorted(v["n"] for v in got.values()) == list(range(10))
    assert got["doc-3"]["text"] == "生物医药"

    # the group's offsets were committed: a new member of the group starts after them
    again = make_consumer(kafka_settings, group, [topic], consumer_timeout_ms=3000)
    assert list(again) == []
    again.close()
    kafka_admin.delete_topics([topic])


def test_a_32_mib_message_passes(kafka_settings, kafka_admin, unique_name):
    """Raw pages go up to 32 MiB: broker, topic, producer and consumer limits all allow it."""
    from kafka.admin import NewTopic

    from policywatch.core.kafka import make_consumer, make_producer

    topic = unique_name("big")
    kafka_admin.create_topics(
        [
            NewTopic(
                topic, 1, 1, topic_configs={"max.message.bytes": str(kafka_settings.kafka_message_max_bytes)}
            )
        ]
    )
    payload = os.urandom(32 * 1024 * 1024 - 4096)
    producer = make_producer(kafka_settings, compression_type=None)
    producer.send(topic, key=b"big", value=payload).get(timeout=120)
    producer.close()
    consumer = make_consumer(kafka_settings, unique_name("g"), [topic], consumer_timeout_ms=10_000)
    record = next(iter(consumer))
    consumer.close()
    assert record.value == payload
    kafka_admin.delete_topics([topic])


def test_status_reports_both_services(stack):
    proc = _cli("stack", "status", "--json")
    states = {s["name"]: s for s in json.loads(proc.stdout)}
    if states["kafka"]["state"] == "stopped":
        pytest.skip("services run outside this home's local stack (external cluster or another home)")
    assert proc.returncode == 0, proc.stderr
    assert states["kafka"]["state"] == "healthy" and states["elasticsearch"]["state"] == "healthy"
    assert states["elasticsearch"]["version"] == stack.es_version
    assert states["kafka"]["address"] == f"127.0.0.1:{stack.kafka_port}"
    assert all(isinstance(s["pid"], int) for s in states.values())


def test_up_is_idempotent(stack):
    before = json.loads(_cli("stack", "status", "--json").stdout)
    if before[0]["state"] == "stopped":
        pytest.skip("services run outside this home's local stack")
    t0 = time.monotonic()
    proc = _cli("stack", "up", "--json")
    assert proc.returncode == 0, proc.stderr
    assert "already running" in proc.stderr
    after = json.loads(proc.stdout)["services"]
    assert [s["pid"] for s in after] == [s["pid"] for s in before]  # not restarted
    assert time.monotonic() - t0 < 30


