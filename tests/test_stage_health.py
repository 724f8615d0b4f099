"""Stage health: the runner's heartbeat and `policywatch health-check`. The stuck case is real: a stage
process on the real stack is frozen with SIGSTOP (its loop cannot pass), and the check turns red; after
SIGCONT it turns green again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from policywatch.cli import _register, app
from policywatch.settings import Settings
from processors.heartbeat import Heartbeat, heartbeat_path, read_heartbeat

ROOT = Path(__file__).resolve().parent.parent


def _check(heartbeat_dir: Path, stage: str, max_age: float) -> tuple[int, str]:
    _register()
    result = CliRunner().invoke(app, ["health-check", stage, "--max-age", str(max_age)],
                                env={"POLICYWATCH_HEARTBEAT_DIR": str(heartbeat_dir)}, catch_exceptions=True)
    return result.exit_code, result.output + str(result.exception or "")


def test_heartbeat_file_is_per_stage_and_host_and_throttled(tmp_path):
    settings = Settings(heartbeat_dir=tmp_path)
    beat = Heartbeat.for_stage(settings, "clean")
    assert beat.path == heartbeat_path(settings, "clean") and "clean@" in beat.path.name
    beat("polling", processed=3)
    age, content = read_heartbeat(settings, "clean")
    assert age < 5 and content["state"] == "polling" and content["processed"] == 3
    beat("polling", processed=4)  # within every_s: not rewritten
    assert read_heartbeat(settings, "clean")[1]["processed"] == 3
    beat("retrying", processed=5)  # a change of state is always written
    assert read_heartbeat(settings, "clean")[1]["state"] == "retrying"
    assert not (tmp_path / "extract@x.json").exists()


def test_health_check_fails_for_an_old_or_missing_heartbeat(tmp_path, monkeypatch):
    from policywatch.settings import get_settings

    monkeypatch.setenv("POLICYWATCH_HEARTBEAT_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        code, out = _check(tmp_path, "extract", 60)
        assert code == 1 and "has no heartbeat" in out
        Heartbeat.for_stage(Settings(heartbeat_dir=tmp_path), "extract")("polling", processed=0)
        code, out = _check(tmp_path, "extract", 60)
        assert code == 0 and "extract: ok" in out
        path = heartbeat_path(Settings(heartbeat_dir=tmp_path), "extract")
        old = time.time() - 600
        os.utime(path, (old, old))
        code, out = _check(tmp_path, "extract", 60)
        assert code == 1 and "stuck" in out and "600 s ago" in out
    finally:
        get_settings.cache_clear()


STAGE_SCRIPT = textwrap.dedent("""
    import sys
    from policywatch.settings import get_settings
    from processors.runner import RunnerConfig, run_stage
    from processors.stages import ExtractStage
    topic, group = sys.argv[1:3]
    stage = ExtractStage(input_topic=topic, output_topic=topic + ".out")
    run_stage(stage, settings=get_settings(), config=RunnerConfig(group_id=group))
""")


@pytest.mark.integration
def test_a_frozen_stage_process_turns_the_check_red_and_back(stack, kafka_admin, unique_name, tmp_path,
                                                              monkeypatch):
    from kafka.admin import NewTopic

    from policywatch.settings import get_settings

    topic = unique_name("hb")
    kafka_admin.create_topics([NewTopic(topic, 1, 1), NewTopic(topic + ".out", 1, 1)])
    env = {**os.environ, "POLICYWATCH_HEARTBEAT_DIR": str(tmp_path), "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", STAGE_SCRIPT, topic, unique_name("g")], env=env,
                            stderr=subprocess.DEVNULL)
    monkeypatch.setenv("POLICYWATCH_HEARTBEAT_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        deadline = time.monotonic() + 60
        while _check(tmp_path, "extract", 5)[0] != 0:
            assert proc.poll() is None and time.monotonic() < deadline, "the stage never beat"
            time.sleep(0.5)
        proc.send_signal(signal.SIGSTOP)  # the loop cannot pass: exactly what a hung poll looks like
        time.sleep(7)
        code, out = _check(tmp_path, "extract", 5)
        assert code == 1 and "stuck" in out
        proc.send_signal(signal.SIGCONT)
        deadline = time.monotonic() + 30
        while _check(tmp_path, "extract", 5)[0] != 0:
            assert time.monotonic() < deadline, "the stage did not beat again after SIGCONT"
            time.sleep(0.5)
    finally:
        get_settings.cache_clear()
        proc.send_signal(signal.SIGCONT)
        proc.terminate()
        proc.wait(timeout=30)
        kafka_admin.delete_topics([topic, topic + ".out"])
