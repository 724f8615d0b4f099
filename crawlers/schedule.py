"""When a source is crawled next: its fixed cron, or adaptively from its own crawl history.

`schedule: adaptive` learns from the source's own run records how many new reports it publishes and
when (hour of day on working days and on other days, in the source's time zone), and spends crawls
where they keep reports freshest:

- the model: a publication rate for each of 48 bins (hour x working day or not). Each `ok` crawl
  after another `ok` crawl is one observation, "counts.new reports appeared in this window"; the rates
  are the EM estimate for such window counts (each find is shared among the hours its window covered,
  in proportion to their rates, with an EMS smoothing step), older windows fading with `half_life`,
  and a weak prior of half a report per `initial_interval` in the working hours. A crawl that found
  far more than the model predicted (a burst) makes the older windows count a tenth;
- the interval: a report's value decays as exp(-delay / freshness_horizon) and a crawl costs
  `fetch_cost` (in reports' worth). At the rate r a typical report is published at, the interval T
  that loses least solves r*tau*(1 - (1 + T/tau)*exp(-T/tau)) = fetch_cost (about sqrt(2*cost*tau/r)
  for a busy site, max_interval once r*tau <= fetch_cost), and the crawl waits until r*T reports are
  expected since the last one, so crawls follow the learnt hours: a site that publishes at 10:00 is
  crawled just after 10:00. Bounds: `min_interval`..`max_interval`;
- `working_hours` (Asia/Shanghai by default): a crawl due after closing is either brought forward to
  a "last call" before closing (when what was published since the last crawl is still worth
  `fetch_cost` then and would be stale by morning) or moved into the next window, where it waits
  until that window's own expected reports are due too (so the night's leftovers and the morning's
  first reports are found by one crawl).

So a crawl that finds something brings the next one forward and empty ones push it back (the
StormCrawler adaptive-revisit behaviour, within the per-source bounds); since every source pays the
same price per crawl, a fetch budget goes where the reports are. The model is not stored: it is
rebuilt from the newest `HISTORY_RUNS` run records, so the DAG (reading policy-crawl-status) and the
freshness bench (bench/freshness.py) get the same answer from the same history.

Everything here is pure: run records in, a time out.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from typing import Literal, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

ADAPTIVE = "adaptive"
HISTORY_RUNS = 60  # run records read per source: two weeks of a busy site, a year of a quiet one
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
    def new_count(self) -> int: ...


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

    def closing(self, when: datetime) -> datetime:
        """The end of the working window on `when`'s local day (UTC)."""
        zone = ZoneInfo(self.timezone)
        return datetime.combine(when.astimezone(zone).date(), self.end, zone).astimezone(UTC)


_EPOCH = datetime(2024, 1, 1)  # a Monday: local wall-clock time is counted in weeks and hours from it
_WEEK_S = 7 * 86400
_HOUR_S = 3600
_HOURS_OF_WEEK = np.arange(168)
_EM_ROUNDS = 25
_OFF_HOURS_PRIOR = 0.05  # prior rate outside working hours, relative to inside
_BURST_P = 0.01
_ACTIVITY_PRIOR = 2.0  # reports
_LEARNING_RUNS = 5  # ok runs before the model alone decides (until then initial_interval bounds it)
_PRIOR_NEW = 0.5  # the prior: this many reports per initial_interval, until the runs say otherwise
_U_TABLE = np.linspace(0, 60, 6001)  # T / tau
_H_TABLE = 1 - (1 + _U_TABLE) * np.exp(-_U_TABLE)  # its loss-balance term, rising from 0 towards 1


class AdaptiveSchedule(_Model):
    """The bounds and prices of `schedule: adaptive` (sources.yaml `adaptive:` block).

    The defaults of `fetch_cost` and `freshness_horizon` are the best of a sweep in bench/freshness.py
    at no more fetches than a daily cron over its mix of busy, weekly, monthly and bursty sites; a
    smaller `fetch_cost` buys fresher reports with more fetches, a larger `max_interval` bound keeps
    quiet sites from waiting a week."""

    min_interval: timedelta = timedelta(hours=1)
    max_interval: timedelta = timedelta(days=7)
    initial_interval: timedelta = timedelta(days=1)
    freshness_horizon: timedelta = timedelta(minutes=90)  # found this late, a report keeps 37 % of its value
    fetch_cost: float = Field(default=0.135, gt=0, le=10)  # a crawl, in reports' worth of freshness
    half_life: timedelta = timedelta(days=7)  # a window this old counts half
    working_hours: WorkingHours | None = None

    @field_validator(
        "min_interval", "max_interval", "initial_interval", "freshness_horizon", "half_life", mode="before"
    )
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
        for name in ("freshness_horizon", "half_life"):
            if getattr(self, name) < timedelta(minutes=15):
                raise ValueError(f"{name} {getattr(self, name)} is below the 15-minute crawl tick")
        return self

    def crawl_yield(self, rates: np.ndarray) -> float:
        """The expected new reports worth a crawl, from the rates per hour of the week (inf: none is).

        With the value of a report decaying as exp(-delay / freshness_horizon) and each crawl costing
        `fetch_cost`, the interval T that loses least per hour at a steady rate r solves
        r * tau * (1 - (1 + T/tau) * exp(-T/tau)) = fetch_cost: about sqrt(2 * cost * tau / r) for a
        busy source, and no interval at all (max_interval) once r * tau <= fetch_cost. r is the rate a
        typical report is published at (sum r^2 / sum r), so a site that publishes in office hours is
        judged by its office-hour rate; the crawl then waits for r * T expected reports."""
        total = float(rates.sum())
        if total <= 0:
            return float("inf")
        rate = float((rates**2).sum()) / total
        tau = self.freshness_horizon.total_seconds() / _HOUR_S
        need = self.fetch_cost / (rate * tau)
        if need >= _H_TABLE[-1]:
            return float("inf")
        return rate * tau * float(np.interp(need, _H_TABLE, _U_TABLE))

    # --- the publication model ---------------------------------------------------------------------

    def _bins(self) -> np.ndarray:
        """Hour of the week (local, Monday 00:00 = 0) -> model bin: hour, +24 on a non-working day."""
        days = tuple(self.working_hours.days) if self.working_hours else WEEKDAYS[:5]
        return _week_bins(days)

    def _zone(self) -> ZoneInfo:
        return ZoneInfo(self.working_hours.timezone if self.working_hours else "Asia/Shanghai")

    def _local_seconds(self, when: datetime) -> float:
        local = _aware(when).astimezone(self._zone()).replace(tzinfo=None)
        return (local - _EPOCH).total_seconds()

    def _prior_shape(self) -> np.ndarray:
        """Relative prior rate per bin: working hours (or the whole week without them) get 1."""
        if self.working_hours is None:
            return np.ones(48)
        start = self.working_hours.start.hour + self.working_hours.start.minute / 60
        end = self.working_hours.end.hour + self.working_hours.end.minute / 60
        hours = np.arange(24)
        inside = np.clip(np.minimum(hours + 1, end) - np.maximum(hours, start), 0, 1)
        shape = np.full(48, _OFF_HOURS_PRIOR)
        shape[:24] += (1 - _OFF_HOURS_PRIOR) * inside
        return shape

    def publication_rates(self, runs: Sequence[CrawlOutcome]) -> np.ndarray:
        """Expected new reports per hour in each of the 48 bins (hours 0-23 of a working day, then of
        another day, local time), learnt from the `ok` runs among the newest `HISTORY_RUNS`."""
        bins = self._bins()
        weekly_hours = np.bincount(bins, minlength=48).astype(float)
        shape = self._prior_shape()
        pseudo_hours = self.initial_interval.total_seconds() / _HOUR_S * weekly_hours / 168
        pseudo_new = _PRIOR_NEW * pseudo_hours * shape / (pseudo_hours * shape).sum()
        rates = pseudo_new / np.where(pseudo_hours > 0, pseudo_hours, 1)
        done = [r for r in _history(runs) if r.ok]
        if not done:
            return rates
        # windows (previous ok crawl, this one]; the first crawl's window is unknown: it counts as one
        # initial_interval with at most one find (a new source's first crawl finds its whole backlog)
        starts = [_aware(done[0].started_at) - self.initial_interval] + [_aware(r.started_at) for r in done]
        ends = np.array([self._local_seconds(t) for t in starts[1:]])
        begins = np.array([self._local_seconds(t) for t in starts[:-1]])
        found = np.array([min(1, done[0].new_count)] + [r.new_count for r in done[1:]], dtype=float)
        weight = 0.5 ** ((ends[-1] - ends) / self.half_life.total_seconds())
        onehot = np.zeros((168, 48))
        onehot[_HOURS_OF_WEEK, bins] = 1
        exposure = (_cumulative_hours(ends) - _cumulative_hours(begins)) @ onehot  # (windows, 48) hours
        # The shape and level from every window but the last; the last crawl then sets the pace: a
        # burst (far more finds than that model predicts, Poisson tail below _BURST_P) scales the rates
        # to its own count, otherwise the last day's finds against their expectation (shrunk towards 1
        # by _ACTIVITY_PRIOR) do. So a find brings the next crawl forward and empty crawls push it back.
        rates = _fit(exposure[:-1], found[:-1], weight[:-1], pseudo_new, pseudo_hours, rates)
        predicted = exposure @ rates
        if found[-1] > 0 and _poisson_tail(float(predicted[-1]), int(found[-1])) < _BURST_P:
            return rates * found[-1] / max(float(predicted[-1]), 1e-9)
        recent = 0.5 ** ((ends[-1] - ends) / 86400)
        return rates * (recent @ found + _ACTIVITY_PRIOR) / (recent @ predicted + _ACTIVITY_PRIOR)

    def expected_new(self, runs: Sequence[CrawlOutcome], since: datetime, until: datetime) -> float:
        """How many new reports the model expects to have been published from `since` to `until`."""
        rates = self.publication_rates(runs)[self._bins()]
        a, b = self._local_seconds(since), self._local_seconds(until)
        return float(_expected_after(rates, a, np.array([b - a]))[0])

    def next_crawl(self, runs: Sequence[CrawlOutcome]) -> datetime | None:
        """When to crawl next; None for a source never crawled (crawl it now)."""
        history = _history(runs)
        if not history:
            return None
        last = _aware(history[-1].started_at)
        rates = self.publication_rates(history)[self._bins()]
        low, high = self.min_interval.total_seconds(), self.max_interval.total_seconds()
        offsets = np.append(np.arange(low, high, TICK.total_seconds()), high)
        target = self.crawl_yield(rates)
        origin = self._local_seconds(last)
        expected = _expected_after(rates, origin, offsets)
        due = last + timedelta(seconds=float(self._first_reaching(expected, offsets, target, default=high)))
        if sum(r.ok for r in history) <= _LEARNING_RUNS:
            # too few windows to judge the site: crawl at least every initial_interval, twice as often
            # after a crawl that found something (StormCrawler's halving), until the model has data
            explore = self.initial_interval / (2 if history[-1].ok and history[-1].new_count else 1)
            due = min(due, last + max(self.min_interval, explore))
        if self.working_hours is None:
            return due
        opens = self.working_hours.next_open(due)
        if opens == due:
            return due
        if self.working_hours.next_open(last) == last:  # the last crawl ran in a window still open
            last_call = self._last_call(rates, last, self.working_hours.closing(last), opens)
            if last_call is not None:
                return last_call
        # Moved out of the night or the weekend: a crawl at the opening would find only what came after
        # the previous day's last crawl. Wait until the window's own expected reports are due too
        # (shortly after the site usually starts publishing), so one crawl finds both; a quiet site is
        # crawled before the window closes.
        span = np.arange(0, (self.working_hours.closing(opens) - opens).total_seconds(), TICK.total_seconds())
        origin = self._local_seconds(opens)
        expected = _expected_after(rates, origin, span)
        return opens + timedelta(seconds=float(self._first_reaching(expected, span, target, span[-1])))

    def _last_call(
        self, rates: np.ndarray, last: datetime, closes: datetime, opens: datetime
    ) -> datetime | None:
        """A crawl before the window closes, when it saves at least `fetch_cost` of freshness: what was
        published since `last` is still fresh then and stale by `opens`. Of the ticks left before
        closing, the one where the pending reports are worth most (as the site stops publishing)."""
        tick = TICK.total_seconds()
        since = (closes - last).total_seconds()
        candidates = np.arange(self.min_interval.total_seconds(), since, tick)
        if candidates.size == 0 or since > 86400:
            return None
        steps = np.arange(tick / 2, since, tick)  # mid-points of the ticks after `last`
        hour = np.floor(np.mod(self._local_seconds(last) + steps, _WEEK_S) / _HOUR_S).astype(int)
        published = rates[hour] * tick / _HOUR_S
        tau = self.freshness_horizon.total_seconds()
        age = candidates[:, None] - steps[None, :]
        fresh = np.where(age > 0, np.exp(-np.maximum(age, 0) / tau), 0.0)
        stale = np.exp(-((opens - last).total_seconds() - steps) / tau)
        gain = (fresh - np.where(age > 0, stale, 0.0)) @ published
        best = int(np.argmax(gain))
        return last + timedelta(seconds=float(candidates[best])) if gain[best] >= self.fetch_cost else None

    @staticmethod
    def _first_reaching(expected: np.ndarray, offsets: np.ndarray, target: float, default: float) -> float:
        reached = np.flatnonzero(expected >= target * (1 - 1e-9))
        return offsets[reached[0]] if reached.size else default


@lru_cache(maxsize=16)
def _week_bins(days: tuple[Weekday, ...]) -> np.ndarray:
    working = np.array([WEEKDAYS[h // 24] in days for h in range(168)])
    bins = _HOURS_OF_WEEK % 24 + np.where(working, 0, 24)
    bins.flags.writeable = False
    return bins


def _fit(
    exposure: np.ndarray,
    found: np.ndarray,
    weight: np.ndarray,
    pseudo_new: np.ndarray,
    pseudo_hours: np.ndarray,
    rates: np.ndarray,
) -> np.ndarray:
    """EM (with the EMS smoothing step) for per-bin rates from window counts: each window's finds are
    shared among the bins it covered in proportion to exposure x current rate."""
    total_hours = weight @ exposure + pseudo_hours
    weighted_found = weight * found
    for _ in range(_EM_ROUNDS):
        expected = exposure @ rates
        share = exposure * rates / np.where(expected > 0, expected, 1)[:, None]
        rates = _smooth((weighted_found @ share + pseudo_new) / np.where(total_hours > 0, total_hours, 1))
    return rates


def _poisson_tail(mean: float, at_least: int) -> float:
    """P(N >= at_least) for N ~ Poisson(mean)."""
    term, below = math.exp(-mean), 0.0
    for k in range(at_least):
        below += term
        term *= mean / (k + 1)
    return max(0.0, 1.0 - below)


def _smooth(rates: np.ndarray) -> np.ndarray:
    """The EMS smoothing step: each hour shares a tenth of its rate with each neighbour (same day
    type, around the clock), so a handful of finds does not pin the model on single hours."""
    day = rates.reshape(2, 24)
    return (0.8 * day + 0.1 * np.roll(day, 1, axis=1) + 0.1 * np.roll(day, -1, axis=1)).reshape(48)


def _cumulative_hours(seconds: np.ndarray) -> np.ndarray:
    """(n,) local seconds since the epoch -> (n, 168) hours spent in each hour of the week since then."""
    weeks = np.floor(seconds / _WEEK_S)
    into_week = (seconds - weeks * _WEEK_S) / _HOUR_S
    return weeks[:, None] + np.clip(into_week[:, None] - _HOURS_OF_WEEK, 0, 1)


def _cumulative_rate(rates: np.ndarray, seconds: np.ndarray) -> np.ndarray:
    """Expected reports from the epoch to each of `seconds`, at `rates` per hour of the week."""
    weeks = np.floor(seconds / _WEEK_S)
    into_week = (seconds - weeks * _WEEK_S) / _HOUR_S
    hour = np.minimum(np.floor(into_week).astype(int), 167)
    before = np.concatenate(([0.0], np.cumsum(rates)))
    return weeks * before[-1] + before[hour] + (into_week - hour) * rates[hour]


def _expected_after(rates: np.ndarray, origin: float, offsets: np.ndarray) -> np.ndarray:
    """Expected reports from local second `origin` to each of `origin + offsets`."""
    return _cumulative_rate(rates, origin + offsets) - _cumulative_rate(rates, np.array([origin]))


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
