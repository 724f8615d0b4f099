"""policywatch/airflow_tasks.py without Airflow: what the crawl summary reports and when it fails the run."""

from __future__ import annotations

import pytest

from policywatch.airflow_tasks import SourceCrawlFailed, summarize_crawl


def _report(source_id: str, new: int) -> dict:
    return {"source_id": source_id, "status": "ok", "counts": {"listed": 10, "new": new, "failed": 0}}


def test_summary_adds_up_the_sources_that_succeeded():
    summary = summarize_crawl([_report("a", 2), None, _report("c", 3)], ["a", "b", "c"])
    assert summary == {
        "sources": 3, "ok": ["a", "c"], "failed": ["b"], "totals": {"listed": 20, "new": 5, "failed": 0},
    }


def test_summary_fails_the_run_when_every_source_failed():
    with pytest.raises(SourceCrawlFailed, match="all 2 sources failed: a, b"):
        summarize_crawl([], ["a", "b"])
    assert summarize_crawl([], [])["sources"] == 0  # nothing due is not a failure
