"""Stage health without services: the heartbeat file and `policywatch health-check` on fresh, old and
missing heartbeats (tests/integration/test_stage_health_frozen.py freezes a real stage process)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from typer.testing import CliRunner

from policywatch.cli import _register, app
from policywatch.core.settings import Settings
from processors.heartbeat import Heartbeat, heartbeat_path, read_heartbeat


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
    from policywatch.core.settings import get_settings

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
