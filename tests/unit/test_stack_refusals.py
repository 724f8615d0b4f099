"""The local stack: real Kafka and Elasticsearch, and its refusals."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

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
