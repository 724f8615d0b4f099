"""The crawl scheduler (crawlers/schedule.py): adaptive crawls from run history, working hours, cron."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
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
    new_count: int = 0
    ok: bool = True


SHANGHAI = ZoneInfo("Asia/Shanghai")
H = timedelta(hours=1)
D = timedelta(days=1)


def runs_every(hours: float, pattern: str, start: datetime = T0) -> list[Run]:
    """One run per character: a digit = found that many new reports, . = found nothing, x = failed."""
    return [
        Run(start + timedelta(hours=hours * i), new_count=int(c) if c.isdigit() else 0, ok=c != "x")
        for i, c in enumerate(pattern)
    ]


def gap(policy: AdaptiveSchedule, history: list[Run]) -> timedelta:
    return policy.next_crawl(history) - max(r.started_at for r in history)


def test_a_productive_crawl_brings_the_next_forward_and_empty_ones_push_it_back():
    policy = AdaptiveSchedule()
    base = runs_every(2, "1." * 20)  # 40 hours, a report every 4 hours round the clock
    later = base[-1].started_at + 2 * H
    found, empty = base + [Run(later, new_count=2)], base + [Run(later)]
    assert gap(policy, found) < gap(policy, empty)
    quieter = empty + runs_every(2, "....", start=later + 2 * H)
    assert gap(policy, empty) < gap(policy, quieter)


def test_the_interval_stays_within_the_bounds():
    policy = AdaptiveSchedule(min_interval=2 * H, max_interval=3 * D)
    assert gap(policy, runs_every(1, "5" * 30)) == 2 * H  # five reports an hour: as often as allowed
    assert gap(policy, runs_every(24, "." * 30)) == 3 * D  # a month of nothing: as seldom as allowed
    for pattern in ("1." * 15, "1" + "." * 29, "2..1....3" * 3):
        assert 2 * H <= gap(policy, runs_every(3, pattern)) <= 3 * D


def test_a_new_source_is_crawled_again_within_the_initial_interval_sooner_after_a_find():
    policy = AdaptiveSchedule(initial_interval=D)
    assert policy.next_crawl([]) is None
    assert is_due("adaptive", [], T0, policy)
    assert gap(policy, [Run(T0)]) == D
    assert gap(policy, [Run(T0, new_count=20)]) == D / 2
    history = [Run(T0, new_count=3)]
    due = policy.next_crawl(history)
    assert not is_due("adaptive", history, due - timedelta(minutes=1), policy)
    assert is_due("adaptive", history, due, policy)


def test_a_burst_after_a_long_silence_is_followed_up_within_the_day():
    policy = AdaptiveSchedule()
    silent = runs_every(24, "." * 40)  # daily crawls, nothing for 40 days
    burst = silent + [Run(silent[-1].started_at + D, new_count=6)]
    assert gap(policy, silent) == policy.max_interval
    assert gap(policy, burst) < D / 2


def test_failed_runs_are_no_window_and_the_order_of_records_does_not_matter():
    policy = AdaptiveSchedule()
    history = runs_every(2, "1.x.2..1x.1." * 3)
    assert policy.next_crawl(list(reversed(history))) == policy.next_crawl(history)
    without_failures = [r for r in history if r.ok]
    rates = policy.publication_rates(history)
    assert np.allclose(rates, policy.publication_rates(without_failures))
    # a failed last run: due again from its start, as if it had been a crawl that found nothing
    failed = history + [Run(history[-1].started_at + 2 * H, ok=False)]
    assert policy.next_crawl(failed) > failed[-1].started_at


def test_only_the_newest_history_runs_count():
    policy = AdaptiveSchedule()
    old_finds = runs_every(1, "3" * 30, start=T0 - 60 * D)
    recent = runs_every(2, "." * HISTORY_RUNS)
    assert policy.next_crawl(old_finds + recent) == policy.next_crawl(recent)


def _daily_publisher(local_hour: int, days: int = 3) -> list[Run]:
    """Hourly crawls round the clock; one report a day at `local_hour`:20 Shanghai time."""
    start = datetime(2026, 11, 30, 0, 0, tzinfo=SHANGHAI)  # a Monday
    runs = []
    for i in range(days * 24):
        at = start + timedelta(hours=i)
        runs.append(Run(at.astimezone(UTC), new_count=int(at.hour == local_hour + 1)))
    return runs[: (days - 1) * 24 + 20]  # the last crawl at 19:00 on the last day


@pytest.mark.parametrize("local_hour", [10, 15])
def test_learnt_publication_hours_put_the_next_crawl_just_after_them(local_hour):
    policy = AdaptiveSchedule()
    history = _daily_publisher(local_hour)
    rates = policy.publication_rates(history)
    assert int(np.argmax(rates[:24])) == local_hour  # learnt from the windows alone
    nxt = policy.next_crawl(history).astimezone(SHANGHAI)
    assert nxt.date() == (history[-1].started_at.astimezone(SHANGHAI) + D).date()
    assert local_hour <= nxt.hour + nxt.minute / 60 <= local_hour + 2


def test_busier_sites_are_crawled_more_often_and_a_trickle_is_not_worth_more_than_max_interval():
    policy = AdaptiveSchedule()
    flat = np.full(168, 0.5)  # reports per hour
    target = policy.crawl_yield(flat)
    busier = policy.crawl_yield(4 * flat)
    # interval = yield / rate; in the busy regime it falls about as 1/sqrt(rate)
    assert 0.4 < (busier / 2.0) / (target / 0.5) < 0.65
    assert policy.crawl_yield(np.full(168, 0.01)) == float("inf")  # 0.01/h * 1.5h < fetch_cost


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


def test_adaptive_crawls_stay_in_working_hours_with_a_last_call_before_closing():
    policy = AdaptiveSchedule(working_hours={"days": ["mon", "tue", "wed", "thu", "fri"]})
    hours = policy.working_hours
    # Two weeks of crawls at 09:30, 12:00, 14:00 and 16:00 that found one report each, except the
    # 09:30 one: two reports for a site that publishes late in the afternoon (found next morning),
    # none for one that stops at 16:00. On Friday at 16:00 the first is crawled again before 19:00,
    # the second on Monday.
    def fortnight(morning: int) -> list[Run]:
        monday = datetime(2026, 11, 23, 0, 0, tzinfo=SHANGHAI)
        days = [monday + i * D for i in range(12) if (monday + i * D).weekday() < 5]
        slots = ((9.5, morning), (12, 1), (14, 1), (16, 1))
        return [Run((day + h * H).astimezone(UTC), new_count=n) for day in days for h, n in slots]

    late, early = policy.next_crawl(fortnight(2)), policy.next_crawl(fortnight(0))
    assert str(late.astimezone(SHANGHAI).date()) == "2026-12-04" and hours.next_open(late) == late
    assert str(early.astimezone(SHANGHAI).date()) == "2026-12-07" and hours.next_open(early) == early
    for start in (T0, T0 + 9 * H, T0 + 3 * D + 8 * H):  # Tuesday 10:00, 19:00, Friday 18:00 Shanghai
        for pattern in ("." * 8, "1." * 6, "3" * 8):
            history = runs_every(1.5, pattern, start=start)
            nxt = policy.next_crawl(history)
            assert hours.next_open(nxt) == nxt, (start, pattern, nxt)
            assert nxt - history[-1].started_at >= policy.min_interval


def test_a_crawl_due_at_night_waits_for_the_mornings_reports():
    policy = AdaptiveSchedule(working_hours={"start": "08:00", "end": "19:00"})
    history = _daily_publisher(10, days=8)
    history = [r for r in history if 8 <= r.started_at.astimezone(SHANGHAI).hour < 19]
    nxt = policy.next_crawl(history).astimezone(SHANGHAI)
    assert 10 <= nxt.hour + nxt.minute / 60 <= 12  # not at 08:00 opening: the report comes at 10:20


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
            adaptive={
                "min_interval": "2h",
                "max_interval": "7d",
                "fetch_cost": 0.2,
                "freshness_horizon": "3h",
                "working_hours": {"end": "18:00"},
            },
        )
    ).sources
    assert source.schedule == "adaptive"
    assert source.adaptive.min_interval == 2 * H and source.adaptive.max_interval == 7 * D
    assert source.adaptive.fetch_cost == 0.2 and source.adaptive.freshness_horizon == 3 * H
    assert source.adaptive.working_hours.timezone == "Asia/Shanghai"


@pytest.mark.parametrize(
    ("adaptive", "message"),
    [
        ({"min_interval": "5m"}, "min_interval 0:05:00 is below the 15-minute crawl tick"),
        ({"min_interval": "2d", "max_interval": "1d"}, "need min_interval <= initial_interval"),
        ({"max_interval": "a week"}, "duration 'a week': write a number and a unit"),
        ({"fetch_cost": 0}, "adaptive.fetch_cost: Input should be greater than 0"),
        ({"freshness_horizon": "5m"}, "freshness_horizon 0:05:00 is below the 15-minute crawl tick"),
        ({"increase": 0.5}, "adaptive.increase: Extra inputs are not permitted"),
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
