"""What the Airflow DAGs in dags/ run: thin calls into the same functions the CLI uses.

Every function takes and returns plain JSON values (they travel as XComs), builds its clients from
`get_settings()` (the POLICYWATCH_* environment, the same names as everywhere else) and imports its
heavy dependencies when called, so parsing a DAG file stays cheap. Nothing here imports Airflow.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from policywatch.core.errors import PolicywatchError
from policywatch.core.settings import get_settings
from schemas.indices import DOCS_INDEX

logger = logging.getLogger(__name__)


class SourceCrawlFailed(PolicywatchError):
    """The crawl ran but the source failed (blocked, nothing listed, unacknowledged documents)."""


# --- crawl_sources -------------------------------------------------------------------------------


def select_sources(
    *,
    sources_file: str | None = None,
    only: list[str] | None = None,
    all_enabled: bool = False,
    now: datetime | None = None,
) -> list[list[str]]:
    """The ids to crawl in this run, one group per host (`host_groups`): `only` when given, every
    enabled source with `all_enabled`, otherwise the enabled sources due by their own schedule (cron, or
    adaptive from their run history)."""
    from crawlers.schedule import HISTORY_RUNS
    from crawlers.sources import load_sources
    from policywatch.core.elasticsearch import make_es
    from policywatch.source_health import due_sources, load_runs

    sources = load_sources(sources_file)
    if only:
        return host_groups([s.id for s in sources.select(list(only))], sources)
    enabled = [s for s in sources.sources if s.enabled]
    if all_enabled:
        return host_groups([s.id for s in enabled], sources)
    es = make_es(get_settings())
    try:
        runs = load_runs(es, [s.id for s in enabled], per_source=HISTORY_RUNS)
    finally:
        es.close()
    due = due_sources(enabled, runs, now or datetime.now(UTC))
    logger.info("%d of %d enabled sources are due: %s", len(due), len(enabled), ", ".join(due) or "none")
    return host_groups(due, sources)


def host_groups(source_ids: list[str], sources) -> list[list[str]]:
    """The source ids grouped so that no two groups share a host. Each group is one mapped crawl task,
    one crawl process that crawls its sources one after another with the host's strictest delay and
    concurrency (crawlers/run.py), so a host sees one politeness queue however many sources it has;
    parallel tasks (one per group) never hit the same host."""
    from crawlers.run import host_groups as group

    return [[s.id for s in g] for g in group([sources.get(i) for i in source_ids])]


def crawl_group(
    source_ids: list[str],
    *,
    sources_file: str | None = None,
    sink: str = "kafka",
    status: str = "es",
    polite: bool = True,
) -> list[dict[str, Any]]:
    """Crawl one host's sources in a fresh process (Scrapy's reactor runs once per process); return
    their reports (status, message, counts, emitted doc ids), failed ones included. Raise
    SourceCrawlFailed when none of them succeeded (a group of one: when its source failed)."""
    from policywatch.crawl import crawl

    report = crawl(
        get_settings(), list(source_ids), sources_path=sources_file, sink=sink, status=status, polite=polite,
        isolated=True,
    )
    results = []
    for source_id in source_ids:
        result = report.sources[source_id].model_dump(mode="json", exclude={"refusals"})
        counts = result["counts"]
        logger.info(
            "%s: %s listed=%d new=%d changed=%d failed=%d blocked=%d", source_id, result["status"],
            counts["listed"], counts["new"], counts["changed"], counts["failed"], counts["blocked"],
        )
        if result["status"] == "degraded":  # it listed and emitted; source health shows what failed
            logger.warning("%s: degraded: %s", source_id, result["message"])
        elif result["status"] != "ok":
            logger.error("%s: %s: %s (counts %s)", source_id, result["status"], result["message"], counts)
        results.append(result)
    if all(not _succeeded(r) for r in results):
        raise SourceCrawlFailed("; ".join(
            f"{r['source_id']}: {r['status']}: {r['message']} (counts {r['counts']})" for r in results
        ))
    return results


def _succeeded(report: dict[str, Any]) -> bool:
    return report.get("status") in ("ok", "degraded")


def summarize_crawl(reports: list[Any] | None, selected: list[Any] | None) -> dict[str, Any]:
    """Totals over the sources that succeeded, and which selected sources did not. `reports` holds one
    list of reports per host group (None for a group whose task failed); `selected` the groups (or
    plain ids). One failing site shows as its failed map index or as failed in its group's reports (and
    in source_health); when every source failed, so does the run."""
    flat: list[dict[str, Any]] = []
    for entry in reports or []:
        flat.extend(entry if isinstance(entry, list) else [entry] if entry else [])
    ids = [sid for entry in selected or [] for sid in (entry if isinstance(entry, list) else [entry])]
    good = [r for r in flat if _succeeded(r)]
    totals: dict[str, int] = {}
    for r in good:
        for name, n in r["counts"].items():
            totals[name] = totals.get(name, 0) + int(n)
    done = {r["source_id"] for r in good}
    failed = [sid for sid in ids if sid not in done]
    degraded = sorted(r["source_id"] for r in good if r.get("status") == "degraded")
    summary = {"sources": len(ids), "ok": sorted(done - set(degraded)), "failed": failed, "totals": totals}
    if degraded:
        summary["degraded"] = degraded
    logger.info("crawl summary: %s", summary)
    if ids and not done:  # every source failed: Kafka, Elasticsearch or the network, not one site
        raise SourceCrawlFailed(f"all {len(ids)} sources failed: {', '.join(failed)}")
    return summary


# --- replay_seeds --------------------------------------------------------------------------------


def seeds_dir() -> str:
    """The seed reports' folder: package data of the installed `seeds` package (no checkout needed)."""
    import seeds

    return str(seeds.directory())


def replay_files(
    paths: list[str] | None = None, *, topic: str | None = None, source_id: str = "replay"
) -> dict[str, Any]:
    """Publish local files (default: the seeds) to policy.raw.v1, as `policywatch replay` does."""
    from policywatch.bootstrap import replay

    paths = list(paths or [seeds_dir()])
    kwargs = {"topic": topic} if topic else {}
    report = replay(paths, get_settings(), source_id=source_id, **kwargs)
    result = {
        "files": report.files,
        "sent": report.sent,
        "bytes": report.bytes,
        "skipped": report.skipped,
    }
    logger.info("replayed %s", result)
    if report.skipped:
        logger.warning("not replayed: %s", "; ".join(report.skipped))
    return {**result, "doc_ids": report.doc_ids}


def process_until_idle() -> dict[str, Any]:
    """Run clean, extract and index until their inputs are drained, as `policywatch process all
    --until-idle` does (for installations without long-running processor services)."""
    from dataclasses import asdict

    from policywatch.bootstrap import process

    return {
        stage: asdict(stats)
        for stage, stats in process("all", get_settings(), until_idle=True).items()
    }


# --- reindex -------------------------------------------------------------------------------------


def reindex_plan(*, alias: str = DOCS_INDEX, topic: str | None = None) -> dict[str, Any]:
    from policywatch.bootstrap import reindex_plan as run_plan

    return run_plan(get_settings(), alias=alias, topic=topic).as_dict()


def reindex_build(plan: dict[str, Any], *, allow_shrink: bool = False) -> dict[str, Any]:
    from policywatch.bootstrap import reindex_build as run_build
    from processors.index.reindex import ReindexPlan

    return run_build(get_settings(), ReindexPlan.from_dict(plan), allow_shrink=allow_shrink).as_dict()


def reindex_swap(plan: dict[str, Any]) -> list[str]:
    from policywatch.bootstrap import reindex_swap as run_swap
    from processors.index.reindex import ReindexPlan

    return run_swap(get_settings(), ReindexPlan.from_dict(plan))


def reindex_catch_up(plan: dict[str, Any], build: dict[str, Any]) -> int:
    from policywatch.bootstrap import reindex_catch_up as run_catch_up
    from processors.index.reindex import ReindexPlan

    return run_catch_up(get_settings(), ReindexPlan.from_dict(plan), build["positions"])


# --- source_health -------------------------------------------------------------------------------


def check_source_health(
    *, sources_file: str | None = None, failed_runs: int = 3, default_cadence_days: float = 60
) -> dict[str, Any]:
    """Evaluate every source, write policy-source-health, return the flagged ones."""
    from crawlers.sources import load_sources
    from policywatch.source_health import check_health

    sources = load_sources(sources_file).sources
    reports = check_health(
        get_settings(),
        sources,
        failed_runs=failed_runs,
        default_cadence=timedelta(days=default_cadence_days),
    )
    return {
        "checked": len(reports),
        "flagged": {r.source_id: r.state for r in reports if r.flags},
    }


# --- alert_digest --------------------------------------------------------------------------------


def send_alert_digests() -> list[dict[str, Any]]:
    """Send the daily digests (as `policywatch watch digest`); one report per daily-digest watch."""
    from policywatch.core.elasticsearch import make_es
    from processors.alert.digest import send_digests
    from schemas.indices import ALERTS_INDEX, WATCHES_INDEX

    settings = get_settings()
    es = make_es(settings)
    try:
        return [r.to_dict() for r in send_digests(es, watches_index=WATCHES_INDEX, alerts_index=ALERTS_INDEX,
                                                  settings=settings)]
    finally:
        es.close()
