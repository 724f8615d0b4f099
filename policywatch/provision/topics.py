"""The pipeline's Kafka topics: created when missing, managed configs brought in line when they differ."""

from __future__ import annotations

from typing import Any

from policywatch.core.errors import ServiceUnavailable
from policywatch.core.kafka import unreachable_message
from policywatch.core.settings import Settings
from policywatch.provision import Report
from schemas.topics import ALL_TOPICS as TOPICS
from schemas.topics import DLQ_TOPIC, RAW_TOPIC

BIG_MESSAGE_TOPICS = (RAW_TOPIC, DLQ_TOPIC)  # raw pages and dead letters (which carry them) up to 32 MiB


def desired_topics(settings: Settings) -> dict[str, dict[str, str]]:
    """Topic name -> the configs init manages on it."""
    out = {}
    for name in TOPICS:
        cfg = {"retention.ms": str(settings.topic_retention_ms), "cleanup.policy": "delete"}
        if name in BIG_MESSAGE_TOPICS:
            cfg["max.message.bytes"] = str(settings.kafka_message_max_bytes)
        out[name] = cfg
    return out


def ensure_topics(admin: Any, settings: Settings, report: Report, topics: dict | None = None) -> None:
    from kafka.admin import ConfigResource, ConfigResourceType, NewPartitions, NewTopic

    wanted = topics if topics is not None else desired_topics(settings)
    try:
        existing = set(admin.list_topics())
    except Exception as exc:
        raise ServiceUnavailable(unreachable_message(settings, exc)) from exc
    missing = [n for n in wanted if n not in existing]
    if missing:
        admin.create_topics(
            [
                NewTopic(n, settings.topic_partitions, settings.topic_replication, topic_configs=wanted[n])
                for n in missing
            ]
        )
        for n in missing:
            configs = ", ".join(f"{k}={v}" for k, v in wanted[n].items())
            report.add("topic", n, "created", f"{settings.topic_partitions} partitions, {configs}")
    present = [n for n in wanted if n in existing]
    if not present:
        return
    described = admin.describe_configs(
        [ConfigResource(ConfigResourceType.TOPIC, n, list(wanted[n])) for n in present], config_filter="all"
    )["topic"]
    for name in present:
        current = {k: v["value"] for k, v in described.get(name, {}).items()}
        diff = {k: v for k, v in wanted[name].items() if current.get(k) != v}
        details = []
        if diff:
            admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, name, diff)], incremental=True)
            details.append(", ".join(f"{k}: {current.get(k)} -> {v}" for k, v in diff.items()))
        parts = len(admin.describe_topics([name])[0]["partitions"])
        if parts < settings.topic_partitions:
            admin.create_partitions({name: NewPartitions(total_count=settings.topic_partitions)})
            details.append(f"partitions {parts} -> {settings.topic_partitions}")
        report.add("topic", name, "updated" if details else "unchanged", "; ".join(details))
