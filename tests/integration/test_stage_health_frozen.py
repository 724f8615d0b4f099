"""The stuck case for real: a stage process on the real stack is frozen with SIGSTOP (its consumer loop
cannot pass) and `policywatch health-check` turns red; after SIGCONT it turns green again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from typer.testing import CliRunner

from policywatch.cli import _register, app

ROOT = Path(__file__).resolve().parents[2]


def _check(heartbeat_dir: Path, stage: str, max_age: float) -> tuple[int, str]:
    _register()
    result = CliRunner().invoke(app, ["health-check", stage, "--max-age", str(max_age)],
                                env={"POLICYWATCH_HEARTBEAT_DIR": str(heartbeat_dir)}, catch_exceptions=True)
    return result.exit_code, result.output + str(result.exception or "")


STAGE_SCRIPT = textwrap.dedent("""
    import sys
    from policywatch.bootstrap import run_stage
    from policywatch.core.settings import get_settings
    from processors.extract.stage import ExtractStage
    from processors.runner import RunnerConfig
    topic, group = sys.argv[1:3]
    stage = ExtractStage(input_topic=topic, output_topic=topic + ".out")
    run_stage(stage, get_settings(), config=RunnerConfig(group_id=group))
""")


def test_a_frozen_stage_process_turns_the_check_red_and_back(stack, kafka_admin, unique_name, tmp_path,
                                                              monkeypatch):
    from kafka.admin import NewTopic

    from policywatch.core.settings import get_settings

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
