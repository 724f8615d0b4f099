"""Source health through Elasticsearch: run records in, verdicts out (the pure rules: tests/unit)."""

from __future__ import annotations

from datetime import timedelta

from policywatch.source_health import check_health
from tests.unit.test_source_health_rules import NOW, make_sources, run  # the same record builders


def test_check_health_reads_runs_and_writes_verdicts(es, unique_name):
    """Run records in a crawl-status index -> verdicts in a health index, through Elasticsearch."""
    import policywatch.source_health as sh

    status_index, docs_index, health_index = (
        unique_name("status"),
        unique_name("docs"),
        unique_name("health"),
    )
    sources = make_sources({"id": "good"}, {"id": "broken"}, {"id": "fresh"})
    es.indices.create(
        index=status_index,
        mappings={
            "properties": {
                "kind": {"type": "keyword"},
                "source_id": {"type": "keyword"},
                "started_at": {"type": "date"},
            }
        },
    )
    es.indices.create(
        index=docs_index,
        mappings={
            "properties": {
                "source_id": {"type": "keyword"},
                "published_at": {"type": "date"},
            }
        },
    )
    try:
        for sid, r in [
            ("good", run("ok", 2, new=1)),
            *[("broken", run("failed", h, message="timeout")) for h in (1, 2, 3)],
        ]:
            es.index(
                index=status_index,
                document={
                    "kind": "run",
                    "source_id": sid,
                    "status": r.status,
                    "message": r.message,
                    "counts": r.counts,
                    "started_at": r.started_at.isoformat(),
                    "finished_at": r.finished_at.isoformat(),
                },
            )
        es.index(
            index=docs_index,
            document={"source_id": "good", "published_at": (NOW - timedelta(days=2)).isoformat()},
        )
        es.indices.refresh(index=f"{status_index},{docs_index}")

        reports = check_health(
            None,
            sources,
            es=es,
            now=NOW,
            health_index=health_index,
            status_index=status_index,
            docs_index=docs_index,
        )

        assert {r.source_id: r.state for r in reports} == {
            "good": "ok",
            "broken": "failing",
            "fresh": "never_run",
        }
        assert sh.last_started(es, ["good", "broken", "fresh"], index=status_index) == {
            "good": NOW - timedelta(hours=2),
            "broken": NOW - timedelta(hours=1),
        }
        stored = es.get(index=health_index, id="broken")["_source"]
        assert stored["state"] == "failing" and stored["consecutive_failures"] == 3
        assert stored["flags"] == ["failing"] and "timeout" in stored["message"]
        assert es.count(index=health_index)["count"] == 3
    finally:
        es.indices.delete(index=f"{status_index},{docs_index},{health_index}", ignore_unavailable=True)
