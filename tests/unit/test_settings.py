"""Settings: environment variables, defaults to the local stack, secrets never shown."""

from __future__ import annotations

import logging

from policywatch.core import elasticsearch as es_client
from policywatch.core import kafka as kafka_client
from policywatch.core.settings import Settings


def test_defaults_point_at_local_stack(monkeypatch, tmp_path):
    for var in ("POLICYWATCH_KAFKA_BOOTSTRAP", "POLICYWATCH_ES_URL"):
        monkeypatch.delenv(var, raising=False)
    s = Settings(_env_file=None, home=tmp_path)
    assert s.uses_local_stack
    assert s.kafka_servers == f"127.0.0.1:{s.kafka_port}"
    assert s.elasticsearch_url == f"http://127.0.0.1:{s.es_port}"
    assert s.cache_dir == tmp_path / "cache" and s.state_dir == tmp_path / "state"
    assert s.kafka_message_max_bytes > 32 * 1024 * 1024


def test_environment_overrides(monkeypatch):
    monkeypatch.setenv("POLICYWATCH_KAFKA_BOOTSTRAP", "k1:9092,k2:9092")
    monkeypatch.setenv("POLICYWATCH_ES_URL", "https://es.example:9200")
    monkeypatch.setenv("POLICYWATCH_TOPIC_PARTITIONS", "6")
    s = Settings(_env_file=None)
    assert not s.uses_local_stack
    assert kafka_client.connection_config(s)["bootstrap_servers"] == ["k1:9092", "k2:9092"]
    assert es_client.es_config(s)["hosts"] == ["https://es.example:9200"]
    assert s.topic_partitions == 6


def test_secrets_never_shown(monkeypatch, caplog):
    monkeypatch.setenv("POLICYWATCH_KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("POLICYWATCH_KAFKA_SASL_MECHANISM", "SCRAM-SHA-512")
    monkeypatch.setenv("POLICYWATCH_KAFKA_SASL_USERNAME", "svc")
    monkeypatch.setenv("POLICYWATCH_KAFKA_SASL_PASSWORD", "kafka-s3cret-pw")
    monkeypatch.setenv("POLICYWATCH_ES_URL", "https://es.example:9200")
    monkeypatch.setenv("POLICYWATCH_ES_USERNAME", "elastic")
    monkeypatch.setenv("POLICYWATCH_ES_PASSWORD", "es-s3cret-pw")
    monkeypatch.setenv("POLICYWATCH_ES_API_KEY", "apikey-s3cret")
    s = Settings(_env_file=None)
    shown = " ".join(
        [repr(s), str(s), str(s.model_dump()), str(kafka_client.describe(s)), str(es_client.describe(s))]
    )
    for secret in ("kafka-s3cret-pw", "es-s3cret-pw", "apikey-s3cret"):
        assert secret not in shown
    # ... while the clients do get them
    cfg = kafka_client.connection_config(s)
    assert cfg["sasl_plain_password"] == "kafka-s3cret-pw" and cfg["sasl_mechanism"] == "SCRAM-SHA-512"
    assert es_client.es_config(s)["api_key"] == "apikey-s3cret"
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("policywatch").info("settings %s kafka %s", s, kafka_client.describe(s))
    assert "s3cret" not in caplog.text
