"""One frozen settings object, read from POLICYWATCH_* environment variables and `.env`.

Nothing else in the project reads the environment. With no Kafka or Elasticsearch address
configured, every command talks to the local stack (`policywatch stack up`).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_home() -> Path:
    return Path.home() / ".cache" / "policywatch"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="POLICYWATCH_", env_file=".env", env_file_encoding="utf-8", frozen=True, extra="ignore"
    )

    # Where downloads (Kafka, Elasticsearch) are cached and where the local stack keeps its state.
    home: Path = Field(default_factory=_default_home)

    # Kafka. Empty bootstrap = the local stack on 127.0.0.1:kafka_port.
    kafka_bootstrap: str | None = None
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = None
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    kafka_ssl_cafile: Path | None = None
    kafka_ssl_certfile: Path | None = None  # client certificate (mutual TLS)
    kafka_ssl_keyfile: Path | None = None
    kafka_ssl_password: SecretStr | None = None  # password of the client key, if encrypted
    kafka_ssl_check_hostname: bool = True
    kafka_client_id: str = "policywatch"

    # Elasticsearch. Empty URL = the local stack on http://127.0.0.1:es_port.
    es_url: str | None = None
    es_username: str | None = None
    es_password: SecretStr | None = None
    es_api_key: SecretStr | None = None
    es_ca_certs: Path | None = None
    es_verify_certs: bool = True
    es_request_timeout: float = 30.0

    # Kibana (optional): `init` installs the saved objects when set, waiting up to kibana_wait_s for it.
    kibana_url: str | None = None
    kibana_wait_s: float = 300.0
    kibana_webhook_url: str | None = None  # the URL of the rule's webhook connector (init sets it)

    # Operations: where stages write their heartbeat (default <home>/state/heartbeats), the Prometheus
    # port a crawl serves its metrics on (none: not served).
    heartbeat_dir: Path | None = None
    crawl_metrics_port: int | None = None

    # Web interface (`policywatch web`): a login is required to bind to anything but loopback.
    web_user: str | None = None
    web_password: SecretStr | None = None
    # Webhooks: loopback/private/link-local targets are refused unless this is set (tests' loopback
    # receivers, an intranet receiver); bodies are signed with the secret (a watch may carry its own).
    webhook_allow_private: bool = False
    webhook_secret: SecretStr | None = None

    # Local stack.
    kafka_port: int = 9092
    kafka_controller_port: int = 9093
    es_port: int = 9200
    es_transport_port: int = 9300
    kafka_version: str = "4.1.1"
    es_version: str = "8.19.21"
    kafka_heap: str = "512m"
    es_heap: str = "768m"

    # Topics.
    topic_partitions: int = 3
    topic_replication: int = 1
    topic_retention_ms: int = -1  # keep everything: indices are rebuilt by replaying topics
    raw_max_message_bytes: int = 33_554_432  # raw pages (attachments included) up to 32 MiB
    # What consumers may fetch at once: at least one raw message plus its record-batch overhead.
    consumer_fetch_max_bytes: int = 52_428_800
    # Consumer groups: a member that stops heartbeating (SIGKILL, a hung host) loses its partitions
    # after the session timeout. 10 s instead of kafka-python's 45 s; the heartbeat thread runs beside
    # the batch, so only a process frozen for 10 s (swap, SIGSTOP) is evicted by it, and then its
    # uncommitted batch is redone by the new owner (idempotent effects).
    consumer_session_timeout_ms: int = 10_000
    consumer_heartbeat_interval_ms: int = 1_000  # at most a third of the session timeout

    # Elasticsearch indices.
    index_refresh_interval: str = "1s"
    index_shards: int = 1
    index_replicas: int = 0

    @property
    def state_dir(self) -> Path:
        return self.home / "state"

    @property
    def cache_dir(self) -> Path:
        return self.home / "cache"

    @property
    def kafka_message_max_bytes(self) -> int:
        """The broker/topic limit: a raw message of raw_max_message_bytes plus record-batch overhead."""
        return self.raw_max_message_bytes + 1_048_576

    @property
    def uses_local_stack(self) -> bool:
        return self.kafka_bootstrap is None or self.es_url is None

    @property
    def kafka_servers(self) -> str:
        return self.kafka_bootstrap or f"127.0.0.1:{self.kafka_port}"

    @property
    def elasticsearch_url(self) -> str:
        return self.es_url or f"http://127.0.0.1:{self.es_port}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
