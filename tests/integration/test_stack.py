"""The local stack: real Kafka and Elasticsearch, and its refusals."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

import pytest

from policywatch.core.errors import PolicywatchError
from policywatch.core.settings import Settings
from policywatch.stack import procs


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cli(*args: str, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "policywatch", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


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


def test_up_refuses_a_taken_port(tmp_path):
    """A port in use is reported before anything is downloaded or started, with the variable to change."""
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen(1)
        taken = blocker.getsockname()[1]
        env = {
            "POLICYWATCH_HOME": str(tmp_path),
            "POLICYWATCH_KAFKA_PORT": str(taken),
            "POLICYWATCH_KAFKA_CONTROLLER_PORT": str(_free_port()),
            "POLICYWATCH_ES_PORT": str(_free_port()),
            "POLICYWATCH_ES_TRANSPORT_PORT": str(_free_port()),
        }
        proc = _cli("stack", "up", "--timeout", "5", env=env)
    assert proc.returncode != 0
    err = " ".join(proc.stderr.split())
    assert "port already in use" in err and str(taken) in err
    assert "POLICYWATCH_KAFKA_PORT" in err
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "cache").exists()  # refused before any download
    assert not (tmp_path / "state" / "kafka" / "kafka.pid").exists()


def test_missing_java_and_maven_are_explained(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("JAVA_HOME", raising=False)
    with pytest.raises(PolicywatchError, match="Java was not found.*apt-get install"):
        procs.find_java()
    with pytest.raises(PolicywatchError, match="Maven.*apt-get install maven"):
        procs.find_maven()


def test_down_never_touches_a_foreign_pid(tmp_path):
    """A pid file whose pid now belongs to another program (no marker in its command line) is not ours."""
    other = subprocess.Popen(["sleep", "30"], start_new_session=True)
    try:
        rec = procs.PidRecord(
            pid=other.pid, marker=f"-Dpolicywatch.stack={tmp_path}", version="x", started_at=0
        )
        assert not rec.alive()
        assert procs.stop_group(rec) is False
        assert other.poll() is None  # still running
    finally:
        other.kill()
        other.wait()


def test_down_with_nothing_running(tmp_path):
    from policywatch import stack

    assert stack.down(Settings(_env_file=None, home=tmp_path)) == []
