"""The `policywatch` command as a user runs it (a subprocess): usage errors exit 2 with the short usage
message, user-facing failures exit 1 with one line, and a service that is down is named, with what to do —
never a traceback. No running services needed (the addresses point at a closed port)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXE = shutil.which("policywatch", path=str(Path(sys.executable).parent)) or "policywatch"


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "COLUMNS": "200", **(env or {})}
    return subprocess.run([EXE, *args], cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("args, says", [
    (("stack", "up", "extra"), "unexpected extra argument"),
    (("extract", "seeds", "--bogus"), "No such option"),
    (("search",), "Missing argument"),
    (("search", "x", "--limit", "zero"), "Invalid value"),
])
def test_usage_errors_exit_2_with_usage(args, says):
    r = run(*args)
    out = r.stdout + r.stderr
    assert r.returncode == 2, out
    assert "Traceback" not in out
    assert "Usage: policywatch" in out
    assert says in out


def test_missing_file_for_extract_exits_1_with_one_line():
    r = run("extract", "does/not/exist.txt")
    assert r.returncode == 1, r.stderr
    assert "Traceback" not in r.stdout + r.stderr
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and "does/not/exist.txt" in lines[0]


def test_elasticsearch_down_is_named():
    r = run("search", "x",
            env={"POLICYWATCH_ES_URL": "http://127.0.0.1:1", "POLICYWATCH_ES_REQUEST_TIMEOUT": "2"})
    assert r.returncode == 1, r.stdout + r.stderr
    assert "Traceback" not in r.stdout + r.stderr
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, r.stderr
    assert "cannot reach Elasticsearch at http://127.0.0.1:1" in lines[0]
    assert "policywatch stack up" in lines[0] and "POLICYWATCH_ES_URL" in lines[0]


def test_kafka_down_is_named_quickly():
    r = run("status", env={"POLICYWATCH_KAFKA_BOOTSTRAP": "127.0.0.1:1"})
    assert r.returncode == 1, r.stdout + r.stderr
    assert "Traceback" not in r.stdout + r.stderr
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, r.stderr
    assert "cannot reach Kafka at 127.0.0.1:1" in lines[0]
    assert "policywatch stack up" in lines[0] and "POLICYWATCH_KAFKA_BOOTSTRAP" in lines[0]


def test_typer_exit_code_is_kept():
    """A command's own exit code (typer.Exit / SystemExit) reaches the shell (it used to become 0)."""
    from policywatch.cli import main

    assert main(["--help"]) == 0
    assert main(["stack", "up", "x"]) == 2


DOWN = {"POLICYWATCH_KAFKA_BOOTSTRAP": "127.0.0.1:1", "POLICYWATCH_ES_URL": "http://127.0.0.1:1"}


@pytest.mark.parametrize("args, service", [
    (("init",), "Kafka"),
    (("init", "--skip-kafka"), "Elasticsearch"),
    (("status",), "Kafka"),
    (("search", "开发区"), "Elasticsearch"),
    (("watch", "list"), "Elasticsearch"),
    (("process", "clean", "--until-idle"), "Kafka"),
    (("dlq", "list"), "Kafka"),
    (("replay", "--seeds"), "Kafka"),
])
def test_every_service_command_names_the_service_it_cannot_reach(args, service):
    """The preflight: one line naming the service and what to do, no traceback, no client retries
    (bench/preflight.py measures how long it takes against an address that never answers)."""
    r = run(*args, env=DOWN)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "Traceback" not in r.stdout + r.stderr
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and f"cannot reach {service} at" in lines[0], r.stderr


def test_version():
    from importlib.metadata import version

    r = run("--version")
    assert r.returncode == 0 and r.stdout.strip() == f"policywatch {version('policywatch')}"
