"""crawl_sources: every 15 minutes, crawl the enabled sources of crawlers/sources.yaml that are due.

One DAG with a frequent tick rather than one DAG per schedule: each source keeps its own `schedule`
in sources.yaml, and the first task picks the sources that are due, from the crawlers' run records in
policy-crawl-status: a cron schedule when it has ticked since the last crawl started; `schedule:
adaptive` when the interval learnt from the source's recent runs has passed (sooner after crawls that
found something new, later after crawls that found nothing, within the source's bounds and optional
working hours; crawlers/schedule.py). So a schedule change needs no DAG change, a missed tick
(scheduler down) is made up once at the next run, and nothing is read at parse time. Schedules finer
than the tick run at most once per tick.

Trigger with conf {"sources": ["id", ...]} to crawl those now, or {"all": true} for every enabled source.
Politeness is per host: the selected sources are grouped by host, and each group is one mapped task
(named by its source ids, `a+b`) running one crawl process, the same code as `policywatch crawl`,
which crawls the group's sources one after another with the host's strictest delay and concurrency.
So a host sees one politeness queue however many sources share it, and parallel tasks never share a
host. (An Airflow pool per host cannot do this here: a mapped task's pool is fixed for all its map
indexes, and the hosts are only known when the run starts.)
A group's task fails when none of its sources succeeded; a degraded source (listed and emitted, some
pages failed), or a failed one next to sources that worked, succeeds its task and is named in the
summary and by source_health.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import Param, dag, get_current_context, task

TICK = "*/15 * * * *"


@dag(
    dag_id="crawl_sources",
    schedule=TICK,
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    is_paused_upon_creation=False,  # compose starts scheduling at once; pause in the UI to stop
    max_active_runs=1,
    tags=["policywatch", "crawl"],
    params={
        "sources": Param([], type="array", description="Source ids to crawl now, whatever their schedule."),
        "all": Param(False, type="boolean", description="Crawl every enabled source now."),
        "sources_file": Param(None, type=["null", "string"], description="Another sources.yaml (tests)."),
        "sink": Param("kafka", type="string", description="kafka | kafka:TOPIC | jsonl:PATH"),
        "status": Param("es", type="string", description="es | es:INDEX | file:PATH"),
        "polite": Param(
            True, type="boolean", description="Delays and AutoThrottle (false: local mirror only)."
        ),
    },
    doc_md=__doc__,
)
def crawl_sources():
    @task
    def due_sources(params=None, data_interval_end=None) -> list[list[str]]:
        from policywatch.airflow_tasks import select_sources

        return select_sources(
            sources_file=params["sources_file"],
            only=params["sources"],
            all_enabled=params["all"],
            now=data_interval_end,
        )

    @task(
        retries=1,
        retry_delay=timedelta(minutes=5),
        execution_timeout=timedelta(hours=3),
        max_active_tis_per_dagrun=4,
        map_index_template="{{ source_ids }}",
    )
    def crawl(source_ids: list[str], params=None) -> list[dict]:
        from policywatch.airflow_tasks import SourceCrawlFailed, crawl_group

        get_current_context()["source_ids"] = "+".join(source_ids)
        try:
            return crawl_group(
                source_ids,
                sources_file=params["sources_file"],
                sink=params["sink"],
                status=params["status"],
                polite=params["polite"],
            )
        except SourceCrawlFailed as exc:  # the site failed: retrying now would not help
            from airflow.sdk.exceptions import AirflowFailException

            raise AirflowFailException(str(exc)) from exc

    @task(trigger_rule="all_done")
    def summary(reports, selected) -> dict:
        from policywatch.airflow_tasks import summarize_crawl

        if selected is None:  # all_done runs this even when due_sources failed: do not turn the run green
            raise RuntimeError("due_sources failed, nothing was crawled: see its log")
        return summarize_crawl(list(reports) if reports is not None else [], list(selected))

    selected = due_sources()
    summary(crawl.expand(source_ids=selected), selected)


crawl_sources()
