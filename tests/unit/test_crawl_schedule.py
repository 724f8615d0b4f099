"""The crawl scheduler (crawlers/schedule.py): adaptive intervals from run history, working hours, cron."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from crawlers.schedule import (
    HISTORY_RUNS,
    AdaptiveSchedule,
    WorkingHours,
    is_due,
    next_crawl_at,
    parse_duration,
)
from crawlers.sources import SourcesError, parse_sources

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # Tuesday 10:00 in Asia/Shanghai


@dataclass(frozen=True)
class Run:
    started_at: datetime
    found_new: bool = False
    ok: bool = True


def runs_every(hours: float, pattern: str) -> list[Run]:
    """One run per character: N = found something new, . = found nothing, x = failed."""
    return [
        Run(T0 + timedelta(hours=hours * i), found_new=c == "N", ok=c != "x") for i, c in enumerate(pattern)
    ]


H = timedelta(hours=1)
D = timedelta(days=1)


def test_a_find_shrinks_the_interval_towards_the_minimum_and_nothing_found_grows_it():
    policy = AdaptiveSchedule(min_interval=H, initial_interval=D, max_interval=3 * D, increase=0.5)
    assert policy.interval([]) == D
    assert policy.interval(runs_every(1, "N")) == timedelta(hours=12.5)  # (1-0.5)*24h + 0.5*1h
    assert policy.interval(runs_every(1, "NN")) == timedelta(hours=6.75)
    assert policy.interval(runs_every(1, ".")) == timedelta(hours=36)  # 24h * 1.5
    assert policy.interval(runs_every(1, "...")) == 3 * D  # 81h capped at 72h
    assert policy.interval(runs_every(1, "N" * 15)) < H + timedelta(seconds=3)  # converges on the minimum
    assert policy.interval(runs_every(1, "N" * 15)) >= H


def test_failed_runs_leave_the_interval_alone_and_the_order_of_records_does_not_matter():
    policy = AdaptiveSchedule()
    assert policy.interval(runs_every(1, "xNx")) == policy.interval(runs_every(1, "N"))
    shuffled = list(reversed(runs_every(1, "N..N.")))
    assert policy.interval(shuffled) == policy.interval(runs_every(1, "N..N."))


def test_only_the_newest_history_runs_count():
    policy = AdaptiveSchedule(increase=0.1, max_interval=30 * D)
    old_finds = "N" * 30
    recent = "." * HISTORY_RUNS
    assert policy.interval(runs_every(1, old_finds + recent)) == policy.interval(runs_every(1, recent))


def test_next_crawl_is_the_last_start_plus_the_interval_and_never_crawled_is_due():
    policy = AdaptiveSchedule(min_interval=H, initial_interval=D)
    history = runs_every(2, "..N")
    assert policy.next_crawl([]) is None
    assert policy.next_crawl(history) == history[-1].started_at + policy.interval(history)
    assert is_due("adaptive", [], T0, policy)
    due = policy.next_crawl(history)
    assert not is_due("adaptive", history, due - timedelta(minutes=1), policy)
    assert is_due("adaptive", history, due, policy)


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        # Tuesday 10:00 Shanghai: inside, unchanged
        (datetime(2026, 12, 1, 2, 0, tzinfo=UTC), datetime(2026, 12, 1, 2, 0, tzinfo=UTC)),
        # Tuesday 06:00 Shanghai: to 08:00 the same day
        (datetime(2026, 11, 30, 22, 0, tzinfo=UTC), datetime(2026, 12, 1, 0, 0, tzinfo=UTC)),
        # Tuesday 20:00 Shanghai: to Wednesday 08:00
        (datetime(2026, 12, 1, 12, 0, tzinfo=UTC), datetime(2026, 12, 2, 0, 0, tzinfo=UTC)),
        # Friday 19:00 Shanghai (the end is exclusive): to Monday 08:00
        (datetime(2026, 12, 4, 11, 0, tzinfo=UTC), datetime(2026, 12, 7, 0, 0, tzinfo=UTC)),
        # Saturday noon Shanghai: to Monday 08:00
        (datetime(2026, 12, 5, 4, 0, tzinfo=UTC), datetime(2026, 12, 7, 0, 0, tzinfo=UTC)),
    ],
)
def test_working_hours_move_a_crawl_to_the_next_window_in_shanghai_time(when, expected):
    assert WorkingHours().next_open(when) == expected


def test_working_hours_apply_to_the_adaptive_next_crawl():
    policy = AdaptiveSchedule(
        increase=0.5, working_hours={"days": ["mon", "tue"], "start": "09:00", "end": "17:30"}
    )
    history = [Run(datetime(2026, 12, 1, 8, 0, tzinfo=UTC))]  # Tuesday 16:00 Shanghai, found nothing
    # 36h later is Thursday 04:00 Shanghai, and Thursday is not a working day here: next Monday 09:00
    assert policy.next_crawl(history) == datetime(2026, 12, 7, 1, 0, tzinfo=UTC)


def test_cron_schedules_tick_after_the_last_start():
    history = [Run(datetime(2026, 12, 1, 6, 0, tzinfo=UTC)), Run(datetime(2026, 11, 30, 6, 0, tzinfo=UTC))]
    assert next_crawl_at("0 6 * * *", history) == datetime(2026, 12, 2, 6, 0, tzinfo=UTC)
    assert next_crawl_at("@hourly", history) == datetime(2026, 12, 1, 7, 0, tzinfo=UTC)
    assert next_crawl_at("@daily", []) is None


def test_durations_read_as_written():
    assert parse_duration("90m") == timedelta(minutes=90)
    assert parse_duration("1d12h") == timedelta(hours=36)
    assert parse_duration("2w") == timedelta(days=14)
    assert parse_duration("PT1H") == "PT1H"  # ISO 8601 is left to pydantic
    assert AdaptiveSchedule(min_interval="PT2H").min_interval == 2 * H


def source_file(**entry) -> dict:
    base = {"id": "zone-a", "name": "x", "province": "山东省", "start_urls": ["https://a.example/"]}
    return {"sources": [{**base, "allowed_domains": ["a.example"], **entry}]}


def test_sources_yaml_takes_an_adaptive_block():
    (source,) = parse_sources(
        source_file(
            schedule="adaptive",
            adaptive={"min_interval": "2h", "max_interval": "7d", "working_hours": {"end": "18:00"}},
        )
    ).sources
    assert source.schedule == "adaptive"
    assert source.adaptive.min_interval == 2 * H and source.adaptive.max_interval == 7 * D
    assert source.adaptive.working_hours.timezone == "Asia/Shanghai"


@pytest.mark.parametrize(
    ("adaptive", "message"),
    [
        ({"min_interval": "5m"}, "min_interval 0:05:00 is below the 15-minute crawl tick"),
        ({"min_interval": "2d", "max_interval": "1d"}, "need min_interval <= initial_interval"),
        ({"max_interval": "a week"}, "duration 'a week': write a number and a unit"),
        ({"increase": 0}, "adaptive.increase: Input should be greater than 0"),
        ({"decrease": 1.5}, "adaptive.decrease: Input should be less than or equal to 1"),
        ({"working_hours": {"timezone": "China/Beijing"}}, "unknown time zone 'China/Beijing'"),
        ({"working_hours": {"start": "18:00", "end": "09:00"}}, "start 18:00:00 must be before end 09:00:00"),
        ({"working_hours": {"days": ["monday"]}}, "adaptive.working_hours.days.0: Input should be 'mon'"),
        ({"every": "1h"}, "adaptive.every: Extra inputs are not permitted"),
    ],
)
def test_bad_adaptive_settings_are_named_with_the_source(adaptive, message):
    with pytest.raises(SourcesError) as err:
        parse_sources(source_file(schedule="adaptive", adaptive=adaptive))
    assert "source #1 (id 'zone-a'): adaptive" in str(err.value)
    assert message in str(err.value)


def test_a_validated_policy_is_frozen():
    with pytest.raises(ValidationError):
        AdaptiveSchedule().min_interval = H  # type: ignore[misc]
