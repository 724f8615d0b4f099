"""Which sources are due for a crawl, and which ones are unhealthy.

Both read the crawlers' own run records (`kind: run` documents in `policy-crawl-status`, one per source
and crawl) and, for publication dates, `policy-docs`. The verdicts go to `policy-source-health`
(`_id` = source id), which Kibana lists.

A source is flagged

- `failing` when its last `failed_runs` runs all ended other than `ok` or `degraded` (failed, blocked,
  empty, error);
- `degraded` when its last run listed and emitted but some list pages or articles failed or were
  blocked (the run's message says how many and the first error);
- `quiet` when nothing new has appeared for longer than its expected cadence: three times the median
  gap between its recent publication dates (clamped to `min_cadence`..`max_cadence`), or
  `default_cadence` when it has fewer than four dated publications.

Evaluation (`evaluate`, `due_sources`) is pure; `check_health` and the loaders do the I/O.
"""

from __future__ import annotations

import logging
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from crawlers import schedule
from crawlers.schedule import next_cron_tick
from schemas.indices import CRAWL_STATUS_INDEX, DOCS_INDEX, SOURCE_HEALTH_INDEX

if TYPE_CHECKING:
    from crawlers.sources import Source
    from policywatch.core.settings import Settings

logger = logging.getLogger(__name__)

CRAWL_STATUS = CRAWL_STATUS_INDEX
DOCS = DOCS_INDEX
SOURCE_HEALTH = SOURCE_HEALTH_INDEX

OK_STATUSES = frozenset({"ok"})
WORKING_STATUSES = frozenset({"ok", "degraded"})  # the crawl worked, partly or wholly
RUNS_PER_SOURCE = 10  # run records read per source
DATES_PER_SOURCE = 20  # publication dates read per source to infer its cadence


@dataclass(frozen=True)
class RunRecord:
    """One crawl of one source, as the crawler recorded it."""

    source_id: str
    status: str  # ok | degraded | empty | blocked | failed | error
    started_at: datetime
    finished_at: datetime | None = None
    message: str | None = None
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status in OK_STATUSES

    @property
    def worked(self) -> bool:
        return self.status in WORKING_STATUSES

    @property
    def found_new(self) -> bool:
        return bool(self.counts.get("new"))

    @property
    def new_count(self) -> int:
        return int(self.counts.get("new") or 0)


@dataclass
class SourceHealth:
    source_id: str
    name: str
    checked_at: datetime
    state: str  # ok | failing | degraded | quiet | failing+quiet | degraded+quiet | never_run | disabled
    flags: list[str]
    consecutive_failures: int
    last_run_at: datetime | None
    last_run_status: str | None
    last_success_at: datetime | None
    last_new_at: datetime | None
    expected_cadence_days: float
    quiet_days: float | None
    message: str | None
    province: str | None = None
    enabled: bool = True
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def healthy(self) -> bool:
        return not self.flags

    def document(self) -> dict[str, Any]:
        """The `policy-source-health` document (dates as ISO 8601, last run's counts at top level)."""
        doc = asdict(self)
        counts = doc.pop("counts")
        for name in ("listed", "new", "changed", "failed", "blocked"):
            doc[name] = counts.get(name, 0)
        doc["healthy"] = self.healthy
        return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in doc.items()}


def _aware(value: datetime | str | None) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def is_due(schedule: str, last_started: datetime | None, now: datetime) -> bool:
    """True when a tick of the cron `schedule` (or preset such as `@daily`) has passed since the last
    crawl started; a source never crawled is due. Missed ticks (scheduler down) make it due once."""
    if last_started is None:
        return True
    return next_cron_tick(schedule, _aware(last_started)) <= now


def due_sources(
    sources: Iterable[Source], runs: Mapping[str, Sequence[RunRecord]], now: datetime
) -> list[str]:
    """Ids of the enabled sources due at `now`, in file order: a cron schedule when it has ticked since
    the last crawl started, `schedule: adaptive` when the crawl planned from its recent runs (newest
    `HISTORY_RUNS`, see crawlers/schedule.py) has passed. A source never crawled is due."""
    due = []
    for source in sources:
        if not source.enabled:
            continue
        try:
            if schedule.is_due(source.schedule, runs.get(source.id, ()), now, source.adaptive):
                due.append(source.id)
        except ValueError as exc:
            logger.error("source %s: %s; crawling it anyway", source.id, exc)
            due.append(source.id)
    return due


def expected_cadence(
    published: Sequence[datetime],
    *,
    default: timedelta = timedelta(days=60),
    minimum: timedelta = timedelta(days=7),
    maximum: timedelta = timedelta(days=180),
    factor: float = 3.0,
) -> timedelta:
    """How long a source may stay silent: `factor` times the median gap between its publication days."""
    days = sorted({d.date() for d in published if d is not None}, reverse=True)
    if len(days) < 4:
        return default
    gaps = [(a - b).days for a, b in zip(days, days[1:], strict=False)]
    median = timedelta(days=statistics.median(gaps) * factor)
    return max(minimum, min(maximum, median))


def evaluate(
    source: Source,
    runs: Sequence[RunRecord],
    published: Sequence[datetime],
    now: datetime,
    *,
    failed_runs: int = 3,
    default_cadence: timedelta = timedelta(days=60),
) -> SourceHealth:
    """The health of one source from its runs (any order) and its publication dates."""
    runs = sorted(runs, key=lambda r: r.started_at, reverse=True)
    cadence = expected_cadence(published, default=default_cadence)
    consecutive = 0
    for run in runs:
        if run.worked:
            break
        consecutive += 1
    last = runs[0] if runs else None
    last_success = next((r for r in runs if r.worked), None)
    new_times = [r.finished_at or r.started_at for r in runs if r.found_new]
    new_times += [d for d in published if d is not None]
    last_new = max(new_times, default=None)

    flags: list[str] = []
    messages: list[str] = []
    if runs and consecutive >= min(failed_runs, RUNS_PER_SOURCE):
        flags.append("failing")
        messages.append(f"last {consecutive} runs failed: {last.message or last.status}")
    if last is not None and last.status == "degraded":
        flags.append("degraded")
        messages.append(f"last run degraded: {last.message or 'some pages failed'}")
    quiet_days = None
    watched_since = runs[-1].started_at if runs else None
    reference = last_new or watched_since
    if reference is not None:
        silent = now - reference
        quiet_days = round(silent.total_seconds() / 86400, 1)
        if silent > cadence:
            flags.append("quiet")
            what = (
                f"nothing new since {reference:%Y-%m-%d}"
                if last_new
                else "nothing found since first crawl"
            )
            messages.append(f"{what} ({quiet_days:g} days; expected every {cadence.days} days or less)")
    if not source.enabled:
        flags, state = [], "disabled"
    elif not runs:
        state = "never_run"
        messages.append("never crawled")
    else:
        state = "+".join(flags) or "ok"
    return SourceHealth(
        source_id=source.id,
        name=source.name,
        province=getattr(source, "province", None),
        enabled=source.enabled,
        checked_at=now,
        state=state,
        flags=flags,
        consecutive_failures=consecutive,
        last_run_at=last.started_at if last else None,
        last_run_status=last.status if last else None,
        last_success_at=last_success.started_at if last_success else None,
        last_new_at=last_new,
        expected_cadence_days=round(cadence.total_seconds() / 86400, 1),
        quiet_days=quiet_days,
        message="; ".join(messages) or None,
        counts=dict(last.counts) if last else {},
    )


# --- Elasticsearch I/O -------------------------------------------------------------------------------


def _run_from_hit(src: dict[str, Any]) -> RunRecord:
    return RunRecord(
        source_id=src["source_id"],
        status=src.get("status") or "failed",
        started_at=_aware(src.get("started_at") or src.get("finished_at")),
        finished_at=_aware(src.get("finished_at")),
        message=src.get("message"),
        counts={k: int(v or 0) for k, v in (src.get("counts") or {}).items()},
    )


def _latest_per_source(
    es: Any, index: str, source_ids: Sequence[str], *, query: dict, sort_field: str, per_source: int,
    fields: list[str] | None = None,
) -> dict[str, list[dict]]:
    """The `_source` of each source's newest documents by `sort_field` (missing index = none)."""
    from elasticsearch import NotFoundError

    out: dict[str, list[dict]] = {sid: [] for sid in source_ids}
    if not source_ids:
        return out
    top_hits: dict[str, Any] = {
        "size": per_source,
        "sort": [{sort_field: {"order": "desc", "unmapped_type": "date"}}],
    }
    if fields is not None:
        top_hits["_source"] = fields
    body = {
        "size": 0,
        "query": query,
        "aggs": {
            "by_source": {
                "terms": {"field": "source_id", "size": len(source_ids)},
                "aggs": {"latest": {"top_hits": top_hits}},
            }
        },
    }
    try:
        resp = es.search(index=index, **body)
    except NotFoundError:
        return out
    for bucket in resp["aggregations"]["by_source"]["buckets"]:
        out[bucket["key"]] = [h["_source"] for h in bucket["latest"]["hits"]["hits"]]
    return out


def load_runs(
    es: Any, source_ids: Sequence[str], *, per_source: int = RUNS_PER_SOURCE, index: str = CRAWL_STATUS
) -> dict[str, list[RunRecord]]:
    """The latest run records of each source, newest first (missing index = no runs)."""
    query = {"bool": {"filter": [{"term": {"kind": "run"}}, {"terms": {"source_id": list(source_ids)}}]}}
    latest = _latest_per_source(
        es, index, source_ids, query=query, sort_field="started_at", per_source=per_source
    )
    return {sid: [_run_from_hit(src) for src in docs] for sid, docs in latest.items()}


def last_started(
    es: Any, source_ids: Sequence[str], *, index: str = CRAWL_STATUS
) -> dict[str, datetime]:
    """When each source's latest crawl started (sources never crawled are absent)."""
    runs = load_runs(es, source_ids, per_source=1, index=index)
    return {sid: rs[0].started_at for sid, rs in runs.items() if rs}


def load_publication_dates(
    es: Any, source_ids: Sequence[str], *, per_source: int = DATES_PER_SOURCE, index: str = DOCS
) -> dict[str, list[datetime]]:
    """The most recent `published_at` dates of each source's documents (missing index = none)."""
    latest = _latest_per_source(
        es, index, source_ids, query={"terms": {"source_id": list(source_ids)}},
        sort_field="published_at", per_source=per_source, fields=["published_at"],
    )
    out: dict[str, list[datetime]] = {}
    for sid, docs in latest.items():
        dates = [_aware(src.get("published_at")) for src in docs]
        out[sid] = [d for d in dates if d is not None]
    return out


def write_health(es: Any, reports: Sequence[SourceHealth], *, index: str = SOURCE_HEALTH) -> None:
    """One document per source (`_id` = source id), replaced on every check."""
    from elasticsearch import helpers

    actions = ({"_index": index, "_id": r.source_id, "_source": r.document()} for r in reports)
    _, errors = helpers.bulk(es, actions, raise_on_error=False, refresh="wait_for")
    if errors:
        raise RuntimeError(f"{len(errors)} source-health documents not written; first: {errors[0]}")


def read_health(es: Any, *, index: str = SOURCE_HEALTH, size: int = 500) -> list[dict[str, Any]]:
    """The stored verdicts, one per source (sorted by source id); [] before the first check."""
    from elasticsearch import NotFoundError

    try:
        resp = es.search(index=index, size=size, query={"match_all": {}}, sort=[{"source_id": "asc"}])
    except NotFoundError:
        return []
    body = resp.body if hasattr(resp, "body") else resp
    return [h["_source"] for h in body["hits"]["hits"]]


def display_state(doc: dict[str, Any]) -> str:
    """ok, degraded (its last run was degraded, or failed but not `failed_runs` in a row), failing,
    quiet, or the stored state (never_run, disabled)."""
    state = doc.get("state") or "never_run"
    if "failing" in state:
        return "failing"
    if "degraded" in state:
        return "degraded"
    if state == "quiet":
        return "quiet"
    if state == "ok" and (doc.get("consecutive_failures") or 0) > 0:
        return "degraded"
    return state


def _provision_health_index(es: Any, settings: Settings) -> None:
    """`init` has not run: create `policy-source-health-v1` behind its alias, as `init` would (writing to
    the bare name would create a plain index that blocks the alias)."""
    from policywatch.provision import Report
    from policywatch.provision.elasticsearch import ensure_indices

    ensure_indices(es, settings, Report(), aliases=(SOURCE_HEALTH,))


def check_health(
    settings: Settings,
    sources: Sequence[Source],
    *,
    es: Any = None,
    now: datetime | None = None,
    failed_runs: int = 3,
    default_cadence: timedelta = timedelta(days=60),
    health_index: str = SOURCE_HEALTH,
    status_index: str = CRAWL_STATUS,
    docs_index: str = DOCS,
) -> list[SourceHealth]:
    """Evaluate every source (enabled or not), write the verdicts, and return them."""
    from policywatch.core.elasticsearch import make_es

    now = now or datetime.now(UTC)
    client = es or make_es(settings)
    try:
        ids = [s.id for s in sources]
        runs = load_runs(client, ids, index=status_index)
        dates = load_publication_dates(client, ids, index=docs_index)
        reports = [
            evaluate(
                s, runs[s.id], dates[s.id], now, failed_runs=failed_runs, default_cadence=default_cadence
            )
            for s in sources
        ]
        if (
            health_index == SOURCE_HEALTH
            and settings is not None
            and not client.indices.exists(index=SOURCE_HEALTH)
        ):
            _provision_health_index(client, settings)
        write_health(client, reports, index=health_index)
    finally:
        if es is None:
            client.close()
    flagged = [r for r in reports if r.flags]
    for r in flagged:
        logger.warning("source %s is %s: %s", r.source_id, r.state, r.message)
    logger.info("source health: %d sources checked, %d flagged", len(reports), len(flagged))
    return reports
