"""Kafka clients built from Settings (kafka-python). The one place that knows about security options.

    producer = make_producer(settings)                       # bytes in, bytes out
    consumer = make_consumer(settings, "clean", ["policy.raw.v1"])
    admin = make_admin(settings)

Message-size limits match the topics: a 32 MiB raw page can be produced and fetched. Secrets go to the
client only; nothing here logs them (use `describe(settings)` for a loggable summary).
"""

from __future__ import annotations

from typing import Any

from policywatch.core.errors import KAFKA, ServiceUnavailable, unreachable
from policywatch.core.settings import Settings


def connection_config(settings: Settings) -> dict[str, Any]:
    """Bootstrap, security protocol, SASL and TLS options common to every client."""
    s = settings
    cfg: dict[str, Any] = {
        "bootstrap_servers": s.kafka_servers.split(","),
        "security_protocol": s.kafka_security_protocol,
        "client_id": s.kafka_client_id,
    }
    if s.kafka_security_protocol.startswith("SASL"):
        cfg["sasl_mechanism"] = s.kafka_sasl_mechanism or "PLAIN"
        cfg["sasl_plain_username"] = s.kafka_sasl_username
        if s.kafka_sasl_password is not None:
            cfg["sasl_plain_password"] = s.kafka_sasl_password.get_secret_value()
    if s.kafka_security_protocol.endswith("SSL"):
        cfg["ssl_check_hostname"] = s.kafka_ssl_check_hostname
        if s.kafka_ssl_cafile:
            cfg["ssl_cafile"] = str(s.kafka_ssl_cafile)
        if s.kafka_ssl_certfile:
            cfg["ssl_certfile"] = str(s.kafka_ssl_certfile)
        if s.kafka_ssl_keyfile:
            cfg["ssl_keyfile"] = str(s.kafka_ssl_keyfile)
        if s.kafka_ssl_password is not None:
            cfg["ssl_password"] = s.kafka_ssl_password.get_secret_value()
    return cfg


def describe(settings: Settings) -> dict[str, Any]:
    """The connection config with secrets masked: safe to log or print."""
    cfg = connection_config(settings)
    return {k: ("***" if "password" in k and v else v) for k, v in cfg.items()}


def make_producer(settings: Settings, **overrides: Any):
    """A KafkaProducer that waits for all in-sync replicas, retries, compresses with zstd, and accepts
    raw-size messages."""
    from kafka import KafkaProducer

    s = settings
    cfg: dict[str, Any] = {
        **connection_config(s),
        "acks": "all",
        "retries": 5,
        "linger_ms": 20,
        # zstd (the `zstandard` dependency): kafka-python's gzip is level 9, ~1.2-1.6 ms of CPU per 25-45 KB
        # document to compress, against ~0.1 ms for zstd, with smaller batches; the broker decompresses
        # each batch to validate it, also cheaper for zstd (bench/README.md, "Pipeline CPU").
        "compression_type": "zstd",
        "max_request_size": s.kafka_message_max_bytes,
        "request_timeout_ms": 60_000,
    }
    cfg.update(overrides)
    return KafkaProducer(**cfg)


def make_consumer(settings: Settings, group_id: str | None = None, topics=(), **overrides: Any):
    """A KafkaConsumer in `group_id` with manual commits (commit after the outputs are acknowledged)
    and fetch limits large enough for the biggest raw message."""
    from kafka import KafkaConsumer

    s = settings
    cfg: dict[str, Any] = {
        **connection_config(s),
        "group_id": group_id,
        "enable_auto_commit": False,
        "auto_offset_reset": "earliest",
        "fetch_max_bytes": max(s.consumer_fetch_max_bytes, s.kafka_message_max_bytes),
        "max_partition_fetch_bytes": s.kafka_message_max_bytes,
        "max_poll_records": 100,
        "max_poll_interval_ms": 600_000,
        "session_timeout_ms": s.consumer_session_timeout_ms,
        "heartbeat_interval_ms": s.consumer_heartbeat_interval_ms,
    }
    cfg.update(overrides)
    consumer = KafkaConsumer(**cfg)
    if topics:
        consumer.subscribe(list(topics))
    return consumer


def make_admin(settings: Settings, **overrides: Any):
    from kafka import KafkaAdminClient

    cfg: dict[str, Any] = {**connection_config(settings), "request_timeout_ms": 30_000}
    cfg.update(overrides)
    return KafkaAdminClient(**cfg)


def unreachable_message(settings: Settings, exc: BaseException | None = None) -> str:
    """One line naming Kafka, the address tried and what to do."""
    return unreachable(KAFKA, settings.kafka_servers, "POLICYWATCH_KAFKA_BOOTSTRAP", exc)


def _host_port(server: str) -> tuple[str, int]:
    server = server.strip()
    if "://" in server:
        server = server.split("://", 1)[1]
    host, _, port = server.rpartition(":")
    if not host:  # no port given
        return server.strip("[]"), 9092
    return host.strip("[]"), int(port)


def check_reachable(settings: Settings, timeout: float = 3.0) -> None:
    """Fail fast with a clear ServiceUnavailable when no bootstrap server accepts a TCP connection
    (kafka-python itself would retry for its whole request timeout, 30 s, before giving up)."""
    import socket

    s = settings
    last: OSError | None = None
    for server in s.kafka_servers.split(","):
        try:
            host, port = _host_port(server)
            with socket.create_connection((host, port), timeout=timeout):
                return
        except ValueError as exc:
            last = OSError(f"bad address {server!r}: {exc}")
        except OSError as exc:
            last = exc
    raise ServiceUnavailable(unreachable_message(s, last))
