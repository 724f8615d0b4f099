"""The crawler's observability on a real crawl of the loopback mirror (in a fresh process): every
per-source Prometheus counter equals the crawl report's count, the metrics are served over HTTP on the
configured port, and every log line on a non-terminal stderr is a structlog JSON object."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from crawlers.observability import read_value
from tests.golden.mirror.server import MirrorServer

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent("""
    import json, sys
    import httpx
    from policywatch.core.settings import get_settings
    from policywatch.crawl import crawl
    sources, port = sys.argv[1], int(sys.argv[2])
    report = crawl(get_settings(), ["mirror_a", "mirror_c"], sources_path=sources, sink="memory",
                   status="memory", polite=False, log_level="INFO")
    metrics = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text  # the live server
    print(json.dumps({"report": {s: r.counts.model_dump() for s, r in report.sources.items()},
                      "items": {s: len(r.emitted_doc_ids) for s, r in report.sources.items()},
                      "metrics": metrics}))
""")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("obs")
    port = _free_port()
    with MirrorServer() as mirror:
        sources = mirror.write_sources(tmp / "sources.yaml")
        env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "HOME": str(tmp),
               "POLICYWATCH_CRAWL_METRICS_PORT": str(port)}
        proc = subprocess.run([sys.executable, "-c", SCRIPT, str(sources), str(port)], capture_output=True,
                              text=True, timeout=300, cwd=ROOT, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    samples = {}
    for family in text_string_to_metric_families(out["metrics"]):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out, samples, proc.stderr


def _value(samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_per_source_counters_equal_the_crawl_report(crawled):
    out, samples, _ = crawled
    assert set(out["report"]) == {"mirror_a", "mirror_c"}
    for source, counts in out["report"].items():
        assert _value(samples, "policywatch_crawl_pages_total", source=source) == counts["pages"]
        for outcome in ("new", "changed", "unchanged"):
            assert _value(samples, "policywatch_crawl_documents_total", source=source,
                          outcome=outcome) == counts[outcome], (source, outcome)
        assert _value(samples, "policywatch_crawl_filtered_total", source=source) == counts["filtered"]
        assert _value(samples, "policywatch_crawl_blocked_total", source=source) == counts["blocked"]
        assert _value(samples, "policywatch_crawl_errors_total", source=source,
                      kind="failed_pages") == counts["failed"]
        assert _value(samples, "policywatch_crawl_running", source=source) == 0
        assert _value(samples, "policywatch_crawl_last_finished_timestamp_seconds", source=source) > 0
    a, c = out["report"]["mirror_a"], out["report"]["mirror_c"]
    assert a["new"] > 0 and a["filtered"] == 8 and a["pages"] > 0  # the mirror's known first crawl
    assert c["blocked"] > 0  # mirror_c is the blocked site
    assert _value(samples, "policywatch_crawl_blocked_total", source="mirror_c") > 0
    assert _value(samples, "policywatch_crawl_items_total", source="mirror_a") >= out["items"]["mirror_a"]


def test_logs_are_structlog_json_lines_when_not_on_a_terminal(crawled):
    _, _, stderr = crawled
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert lines, "an INFO crawl logs something"
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    assert all({"event", "level", "timestamp"} <= set(r) for r in records)
    assert any(r.get("logger", "").startswith("scrapy") for r in records)  # Scrapy's own records too


def test_read_value_sums_wildcard_stats_and_defaults_to_zero():
    stats = {"spider_exceptions/ValueError": 2, "spider_exceptions/KeyError": 1, "log_count/ERROR": 4}
    assert read_value("stats:spider_exceptions/*", {}, stats) == 3
    assert read_value("stats:log_count/ERROR", {}, stats) == 4
    assert read_value("run:new", {"new": 5}, stats) == 5 and read_value("run:blocked", {}, stats) == 0
