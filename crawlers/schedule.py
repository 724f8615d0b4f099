"""When a source is crawled next: its fixed cron, or adaptively from its own crawl history.

`schedule: adaptive` follows StormCrawler's AdaptiveScheduler, with "the page changed" read as "the
crawl found something new": after such a crawl the interval shrinks towards the minimum,
i' = (1 - decrease) * i + decrease * min_interval; after a crawl that found nothing it grows,
i' = min(max_interval, i * (1 + increase)); a crawl that did not end `ok` leaves it unchanged (no
evidence either way). The interval is not stored anywhere: it is replayed from `initial_interval` over
the source's last `HISTORY_RUNS` run records, so the DAG (reading policy-crawl-status) and the
freshness bench (bench/freshness.py) get the same answer from the same history. With `working_hours`
the next crawl is moved to the next working window (Asia/Shanghai by default): a government site
publishes in office hours, so night and weekend crawls mostly find nothing.

Everything here is pure: run records in, a time out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from typing import Literal, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

ADAPTIVE = "adaptive"
HISTORY_RUNS = 20  # run records replayed per source (older runs barely move the interval at rate 0.5)
TICK = timedelta(minutes=15)  # the crawl_sources DAG's tick: nothing runs more often than this

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DURATION_RE = re.compile(r"^\s*(?:(\d+(?:\.\d+)?)\s*([smhdw])\s*)+$")
_PART_RE = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw])")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


class CrawlOutcome(Protocol):
    """What the scheduler needs of one crawl run (policywatch.source_health.RunRecord has it)."""

    @property
    def started_at(self) -> datetime: ...
    @property
    def ok(self) -> bool: ...
    @property
    def found_new(self) -> bool: ...


def parse_duration(value: object) -> object:
    """'90m', '2h', '1d12h', '1w' -> timedelta; anything else is left for pydantic (ISO 8601, seconds)."""
    if not isinstance(value, str) or value.strip().upper().startswith("P"):
        return value
    if not _DURATION_RE.match(value):
        raise ValueError(f"duration {value!r}: write a number and a unit (s, m, h, d, w), e.g. 90m, 2h, 3d")
    return timedelta(seconds=sum(float(n) * _UNIT[u] for n, u in _PART_RE.findall(value)))


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WorkingHours(_Model):
    """Crawl only from `start` to `end` (local time in `timezone`) on `days`."""

    days: list[Weekday] = Field(default_factory=lambda: list(WEEKDAYS[:5]), min_length=1)
    start: time = time(8, 0)
    end: time = time(19, 0)
    timezone: str = "Asia/Shanghai"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r} (an IANA name such as Asia/Shanghai)") from exc
        return value

    @model_validator(mode="after")
    def _start_before_end(self) -> WorkingHours:
        if self.start >= self.end:
            raise ValueError(f"working_hours.start {self.start} must be before end {self.end}")
        return self

    def next_open(self, when: datetime) -> datetime:
        """`when` if it is inside working hours, else the start of the next working window (UTC)."""
        zone = ZoneInfo(self.timezone)
        local = when.astimezone(zone)
        for offset in range(8):
            day = (local + timedelta(days=offset)).date()
            if WEEKDAYS[day.weekday()] not in self.days:
                continue
            opens = datetime.combine(day, self.start, zone)
            closes = datetime.combine(day, self.end, zone)
            if local < closes:
                return max(local, opens).astimezone(UTC)
        raise AssertionError("unreachable: `days` is never empty")  # pragma: no cover


class AdaptiveSchedule(_Model):
    """The bounds and rates of `schedule: adaptive` (sources.yaml `adaptive:` block).

    The defaults are the best of a sweep in bench/freshness.py at no more fetches than a daily cron:
    a slow increase (0.25) keeps a busy site near its minimum after a miss or two."""

    min_interval: timedelta = timedelta(hours=1)
    max_interval: timedelta = timedelta(days=7)
    initial_interval: timedelta = timedelta(days=1)
    increase: float = Field(default=0.25, gt=0, le=1)
    decrease: float = Field(default=0.5, gt=0, le=1)
    working_hours: WorkingHours | None = None

    @field_validator("min_interval", "max_interval", "initial_interval", mode="before")
    @classmethod
    def _durations(cls, value: object) -> object:
        return parse_duration(value)

    @model_validator(mode="after")
    def _bounds(self) -> AdaptiveSchedule:
        if self.min_interval < TICK:
            raise ValueError(f"min_interval {self.min_interval} is below the 15-minute crawl tick")
        if not self.min_interval <= self.initial_interval <= self.max_interval:
            raise ValueError(
                f"need min_interval <= initial_interval <= max_interval, got {self.min_interval}, "
                f"{self.initial_interval}, {self.max_interval}"
            )
        return self

    def interval(self, runs: Sequence[CrawlOutcome]) -> timedelta:
        """The interval after the given runs (any order; the newest `HISTORY_RUNS` count)."""
        interval = self.initial_interval.total_seconds()
        low, high = self.min_interval.total_seconds(), self.max_interval.total_seconds()
        for run in _history(runs):
            if not run.ok:
                continue
            if run.found_new:
                interval = (1 - self.decrease) * interval + self.decrease * low
            else:
                interval = min(high, interval * (1 + self.increase))
        return timedelta(seconds=interval)

    def next_crawl(self, runs: Sequence[CrawlOutcome]) -> datetime | None:
        """When to crawl next; None for a source never crawled (crawl it now)."""
        history = _history(runs)
        if not history:
            return None
        due = _aware(history[-1].started_at) + self.interval(history)
        return self.working_hours.next_open(due) if self.working_hours else due


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _history(runs: Sequence[CrawlOutcome]) -> list[CrawlOutcome]:
    """The newest `HISTORY_RUNS` runs, oldest first."""
    return sorted(runs, key=lambda r: _aware(r.started_at))[-HISTORY_RUNS:]


def valid_schedule(value: str) -> str:
    """`adaptive` or a cron expression / preset; raise ValueError with what is accepted."""
    from croniter import croniter

    if value != ADAPTIVE and not croniter.is_valid(value):
        raise ValueError(
            f"schedule {value!r} is neither 'adaptive' nor a cron expression or preset (@hourly, @daily, ...)"
        )
    return value


def next_cron_tick(schedule: str, last_started: datetime) -> datetime:
    """The first tick of the cron `schedule` after `last_started`."""
    from croniter import croniter

    valid_schedule(schedule)
    return croniter(schedule, _aware(last_started)).get_next(datetime)


def next_crawl_at(
    schedule: str, runs: Sequence[CrawlOutcome], adaptive: AdaptiveSchedule | None = None
) -> datetime | None:
    """When a source with this `schedule` and run history is due next (None: never crawled, due now).

    A cron schedule is due at its first tick after the last crawl started (missed ticks: due once)."""
    if schedule == ADAPTIVE:
        return (adaptive or AdaptiveSchedule()).next_crawl(runs)
    if not runs:
        return None
    return next_cron_tick(schedule, max(_aware(r.started_at) for r in runs))


def is_due(
    schedule: str, runs: Sequence[CrawlOutcome], now: datetime, adaptive: AdaptiveSchedule | None = None
) -> bool:
    nxt = next_crawl_at(schedule, runs, adaptive)
    return nxt is None or nxt <= now
