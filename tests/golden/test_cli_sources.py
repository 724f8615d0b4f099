"""`policywatch sources list` and `policywatch sources check` against the loopback mirror."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.golden.mirror.server import MirrorServer

POLICYWATCH = str(Path(sys.executable).with_name("policywatch"))


@pytest.fixture(scope="module")
def mirror_sources(tmp_path_factory):
    with MirrorServer() as mirror:
        yield mirror, mirror.write_sources(tmp_path_factory.mktemp("src") / "sources.yaml")


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([POLICYWATCH, *args], capture_output=True, text=True, timeout=300,
                          env={"PATH": "/usr/bin:/bin", "COLUMNS": "200",
                               "PYTHONPATH": str(Path(__file__).resolve().parents[2])})


def test_check_prints_each_step_and_writes_nothing(mirror_sources, tmp_path):
    mirror, sources = mirror_sources
    mirror.clear_log()
    proc = _run("sources", "check", "mirror_a", "--pages", "3", "--articles", "2", "--no-polite",
                "--sources", str(sources))
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = proc.stdout
    assert "GET 200" in out and "/robots.txt (robots)" in out
    assert "经济开发区2023年上半年工作总结" in out  # an item with its title …
    assert "2023-12-08" in out  # … its list date …
    assert "filtered: excluded by '人事任免|招聘'" in out  # what the filter drops, and why
    assert "refused: robots.txt" in out and "refused: offsite" in out
    assert "attachment http://127.0.0.1:" in out and "(href)" in out
    assert "next list pages:" in out
    assert out.strip().splitlines()[-1].startswith("ok:")
    articles = [p for _, p in mirror.requests("a") if "/t2023" in p or "/t2021" in p]
    assert len(articles) == 2  # --articles 2
    assert not list(tmp_path.iterdir())  # nothing written (the status and sink are in memory)


def test_check_names_a_challenge_and_exits_3(mirror_sources):
    _, sources = mirror_sources
    proc = _run("sources", "check", "mirror_c", "--no-polite", "--sources", str(sources))
    assert proc.returncode == 3
    assert "blocked (ruishu_412, HTTP 412)" in proc.stdout and "Traceback" not in proc.stderr


def test_check_unknown_source_is_one_line(mirror_sources):
    _, sources = mirror_sources
    proc = _run("sources", "check", "nope", "--sources", str(sources))
    assert proc.returncode != 0 and "unknown source 'nope'" in proc.stderr and "Traceback" not in proc.stderr


def test_list_shows_kind_schedule_and_last_run(mirror_sources, tmp_path):
    _, sources = mirror_sources
    status = tmp_path / "status.json"
    status.write_text('{"pages": {}, "runs": [{"source_id": "mirror_b", "run_id": "r1", '
                      '"started_at": "2026-11-30T06:00:00+00:00", "status": "degraded"}]}', encoding="utf-8")
    proc = _run("sources", "list", "--sources", str(sources), "--status", f"file:{status}")
    assert proc.returncode == 0, proc.stderr[-2000:]
    rows = {line.split()[0]: line for line in proc.stdout.splitlines() if line.startswith("mirror_")}
    assert set(rows) == {"mirror_a", "mirror_b", "mirror_c", "mirror_c_cookie", "mirror_d"}
    row_b = rows["mirror_b"]
    assert "hanweb" in row_b and "2026-11-30T06:00" in row_b and "degraded" in row_b
    assert "never run" in rows["mirror_a"] and "@daily" in rows["mirror_a"]


def test_scrapy_parse_runs_a_sources_spider_on_one_page(mirror_sources):
    """`scrapy parse --spider KIND -a source=ID URL` in the repository (scrapy.cfg) shows the requests."""
    import yaml

    _, sources = mirror_sources
    url = yaml.safe_load(sources.read_text(encoding="utf-8"))["sources"][0]["start_urls"][0]
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run(
        [sys.executable, "-m", "scrapy", "parse", "--spider", "list", "-a", "source=mirror_a",
         "-a", f"sources={sources}", url,
         # the mirror is on loopback, which the crawler's resolver refuses unless told (crawlers/resolver.py)
         "-s", 'POLICYWATCH_ADDRESS_POLICY={"default": ["loopback"]}'],
        cwd=root, capture_output=True, text=True, timeout=120,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(root)},
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "t20231228_1000001.html" in proc.stdout and "index_1.html" in proc.stdout
    assert "t20231227_1000002.html" not in proc.stdout  # 人事任免: filtered, not requested
