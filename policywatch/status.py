"""`policywatch status`: per stage, messages processed, lag and dead letters; per index, its count."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

from policywatch.bootstrap import STAGE_TOPICS, STAGES
from policywatch.core.elasticsearch import make_es
from policywatch.core.errors import ServiceUnavailable
from policywatch.core.kafka import make_admin, make_consumer, unreachable_message
from policywatch.core.settings import Settings
from schemas import DLQ_TOPIC
from schemas.indices import DOCS_INDEX, FINGERPRINTS_INDEX, INDICATORS_INDEX


def _dlq_counts(settings: Settings, timeout_s: float = 20.0, topic: str = DLQ_TOPIC) -> dict[str, int]:
    from kafka.structs import TopicPartition

    consumer = make_consumer(settings, None, (), enable_auto_commit=False, consumer_timeout_ms=2000)
    counts: dict[str, int] = {}
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in partitions]
        if not tps:
            return counts
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        ends = consumer.end_offsets(tps)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and any(consumer.position(tp) < ends[tp] for tp in tps):
            for records in consumer.poll(timeout_ms=500).values():
                for record in records:
                    try:
                        stage = json.loads(record.value).get("stage", "?")
                    except ValueError:
                        stage = "?"
                    counts[stage] = counts.get(stage, 0) + 1
    finally:
        consumer.close()
    return counts


def status(settings: Settings, *, groups: dict[str, str] | None = None,
           indices: Sequence[str] = (DOCS_INDEX, INDICATORS_INDEX, FINGERPRINTS_INDEX),
           topics: dict[str, str] | None = None, dlq_topic: str = DLQ_TOPIC) -> dict:
    """Per stage: committed (messages processed by the group), lag and dead letters; per index: count.
    The alert stage's lag is on policy.indexed.v1: documents indexed that no watch has run on yet.
    ``topics`` (stage -> input topic) and ``dlq_topic`` let a private pipeline be inspected."""
    from kafka.structs import TopicPartition

    s = settings
    groups = groups or {name: f"policywatch-{name}" for name in STAGES}
    result: dict[str, Any] = {"stages": {}, "indices": {}}
    try:
        admin = make_admin(s)
        consumer = make_consumer(s, None, ())
    except Exception as exc:
        raise ServiceUnavailable(unreachable_message(s, exc)) from exc
    try:
        dlq = _dlq_counts(s, topic=dlq_topic)
        for name, group in groups.items():
            topic = (topics or {}).get(name) or STAGE_TOPICS[name]
            partitions = consumer.partitions_for_topic(topic) or set()
            tps = [TopicPartition(topic, p) for p in partitions]
            ends = consumer.end_offsets(tps) if tps else {}
            committed = admin.list_group_offsets({group: None}).get(group, {})
            at = {tp: max(committed[tp].offset, 0) if tp in committed else 0 for tp in tps}
            done = sum(at.values())
            lag = sum(ends[tp] - at[tp] for tp in tps)
            result["stages"][name] = {"group": group, "topic": topic, "processed": done, "lag": lag,
                                      "topic_messages": sum(ends.values()), "dead_lettered": dlq.get(name, 0)}
    finally:
        consumer.close()
        admin.close()
    es = make_es(s)
    try:
        for index in indices:
            try:
                result["indices"][index] = int(es.count(index=index)["count"])
            except Exception as exc:
                result["indices"][index] = f"unavailable ({type(exc).__name__})"
    finally:
        es.close()
    return result
