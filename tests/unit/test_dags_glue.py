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


def test_summary_names_degraded_sources_and_counts_what_they_emitted():
    degraded = {**_report("b", 1), "status": "degraded"}
    summary = summarize_crawl([_report("a", 2), degraded], ["a", "b"])
    assert summary["ok"] == ["a"] and summary["degraded"] == ["b"] and summary["failed"] == []
    assert summary["totals"]["new"] == 3


def test_summary_takes_one_list_of_reports_per_host_group():
    blocked = {**_report("a2", 0), "status": "blocked"}
    summary = summarize_crawl([[_report("a1", 2), blocked], None, [_report("c", 1)]],
                              [["a1", "a2"], ["b"], ["c"]])
    assert summary["ok"] == ["a1", "c"] and summary["failed"] == ["a2", "b"]
    assert summary["sources"] == 4 and summary["totals"]["new"] == 3  # the blocked one adds nothing


def test_sources_sharing_a_host_go_in_one_group_per_dag_run():
    from crawlers.sources import parse_sources
    from policywatch.airflow_tasks import host_groups

    base = {"name": "x", "province": "p"}
    sources = parse_sources({"sources": [
        {**base, "id": "a1", "start_urls": ["http://www.a.gov.cn/x/"], "allowed_domains": ["a.gov.cn"]},
        {**base, "id": "b1", "start_urls": ["http://b.gov.cn/"], "allowed_domains": ["b.gov.cn"]},
        {**base, "id": "a2", "start_urls": ["http://WWW.a.gov.cn/y/"], "allowed_domains": ["a.gov.cn"]},
        {**base, "id": "a3", "start_urls": ["http://a.gov.cn/"], "allowed_domains": ["a.gov.cn"]},
    ]})
    # every due source is crawled in this run (none deferred); www.a and a are two hosts
    assert host_groups(["a1", "b1", "a2", "a3"], sources) == [["a1", "a2"], ["b1"], ["a3"]]
    assert host_groups(["a2", "b1"], sources) == [["a2"], ["b1"]]
    assert host_groups([], sources) == []
