"""Source health and crawl due-ness: the pure evaluation (the Elasticsearch round trip: tests/integration)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from crawlers.sources import SourcesError, parse_sources
from policywatch.source_health import (
    RunRecord,
    due_sources,
    evaluate,
    expected_cadence,
    is_due,
)

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def make_sources(*entries: dict):
    base = {
        "name": "x",
        "province": "山东省",
        "start_urls": ["https://a.example/list"],
        "allowed_domains": ["a.example"],
    }
    return parse_sources({"sources": [{**base, **e} for e in entries]}).sources


def run(status: str, hours_ago: float, new: int = 0, message: str | None = None) -> RunRecord:
    started = NOW - timedelta(hours=hours_ago)
    return RunRecord(
        source_id="src-a",
        status=status,
        started_at=started,
        finished_at=started + timedelta(minutes=5),
        message=message,
        counts={"listed": 10, "new": new},
    )


@pytest.mark.parametrize(
    ("schedule", "last", "due"),
    [
        ("@daily", None, True),  # never crawled
        ("@daily", NOW - timedelta(hours=3), False),  # crawled after today's midnight tick
        ("@daily", NOW - timedelta(hours=13), True),  # last crawl before midnight
        ("0 */6 * * *", NOW, False),  # started on the 12:00 tick -> next tick 18:00
        ("0 */6 * * *", NOW - timedelta(minutes=1), True),  # 11:59 -> the 12:00 tick has come
        ("@hourly", NOW - timedelta(days=3), True),  # missed ticks: due once
    ],
)
def test_is_due(schedule, last, due):
    assert is_due(schedule, last, NOW) is due


def test_due_sources_keeps_file_order_and_skips_disabled():
    sources = make_sources(
        {"id": "daily", "schedule": "@daily"},
        {"id": "off", "enabled": False},
        {"id": "weekly", "schedule": "@weekly"},
        {"id": "never", "schedule": "@weekly"},
        {"id": "busy", "schedule": "adaptive", "adaptive": {"min_interval": "1h", "initial_interval": "1d"}},
        {"id": "quiet", "schedule": "adaptive", "adaptive": {"max_interval": "3d"}},
    )
    runs = {
        "daily": [run("ok", 2)],
        "weekly": [run("ok", 24 * 8)],
        # two reports an hour for a day, last crawl 2h ago: due again after min_interval
        "busy": [run("ok", h, new=2) for h in range(26, 1, -1)],
        # eight empty crawls two days apart: a quiet site waits max_interval, last crawl 2 days ago
        "quiet": [run("ok", h) for h in range(24 * 16, 0, -48)],
    }
    assert due_sources(sources, runs, NOW) == ["weekly", "never", "busy"]


def test_a_bad_schedule_is_refused_when_the_file_is_read():
    with pytest.raises(SourcesError, match=r"source #1 \(id 'typo'\): schedule: .*'every day' is neither"):
        make_sources({"id": "typo", "schedule": "every day"})


def test_expected_cadence_from_publication_gaps():
    weekly = [NOW - timedelta(days=7 * i) for i in range(8)]
    assert expected_cadence(weekly) == timedelta(days=21)
    assert expected_cadence(weekly[:3]) == timedelta(days=60)  # too little history: the default
    yearly = [NOW - timedelta(days=365 * i) for i in range(5)]
    assert expected_cadence(yearly) == timedelta(days=180)  # clamped


def test_failing_after_n_failed_runs():
    (source,) = make_sources({"id": "src-a"})
    runs = [
        run("failed", 1, message="0 items listed"),
        run("blocked", 25),
        run("failed", 49),
        run("ok", 73, new=2),
    ]
    health = evaluate(source, runs, [], NOW, failed_runs=3)
    assert health.flags == ["failing"]
    assert health.state == "failing"
    assert health.consecutive_failures == 3
    assert health.last_success_at == NOW - timedelta(hours=73)
    assert "0 items listed" in health.message
    assert evaluate(source, runs, [], NOW, failed_runs=4).flags == []


def test_degraded_last_run_is_shown_and_is_not_a_failure_streak():
    (source,) = make_sources({"id": "src-a"})
    message = "2 article(s) failed; first error: article https://a.example/art/1.html: http_500"
    runs = [run("degraded", 1, new=3, message=message), run("failed", 25), run("failed", 49)]
    health = evaluate(source, runs, [NOW - timedelta(hours=2)], NOW, failed_runs=3)
    assert health.flags == ["degraded"] and health.state == "degraded"
    assert health.consecutive_failures == 0
    assert health.last_success_at == NOW - timedelta(hours=1)
    assert "first error: article https://a.example/art/1.html" in health.message
    assert not health.healthy
    healthy = evaluate(source, [run("ok", 1, new=1)] + runs, [NOW - timedelta(hours=2)], NOW)
    assert healthy.flags == [] and healthy.state == "ok"


def test_quiet_when_nothing_new_for_longer_than_the_cadence():
    (source,) = make_sources({"id": "src-a"})
    published = [NOW - timedelta(days=40 + 7 * i) for i in range(6)]  # weekly, stopped 40 days ago
    health = evaluate(source, [run("ok", 1)], published, NOW)
    assert health.state == "quiet"
    assert health.expected_cadence_days == 21
    assert health.quiet_days == 40
    assert health.last_new_at == published[0]
    # a run that found something new counts as a sign of life
    health = evaluate(source, [run("ok", 1, new=1), run("ok", 30)], published, NOW)
    assert health.state == "ok" and health.healthy


def test_never_run_disabled_and_document_shape():
    on, off = make_sources({"id": "on"}, {"id": "off", "enabled": False})
    assert evaluate(on, [], [], NOW).state == "never_run"
    silent = [run("failed", h) for h in (1, 2, 3)]
    assert evaluate(off, silent, [], NOW).state == "disabled"
    doc = evaluate(on, [run("ok", 2, new=3)], [], NOW).document()
    assert doc["source_id"] == "on" and doc["state"] == "ok" and doc["healthy"] is True
    assert doc["new"] == 3 and doc["listed"] == 10
    assert doc["checked_at"] == NOW.isoformat()


