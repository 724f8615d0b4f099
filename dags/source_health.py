"""source_health: hourly, flag sources that failed their last N crawls or have gone quiet.

Verdicts go to policy-source-health (one document per source, `state` ok | failing | quiet |
failing+quiet | never_run | disabled), which Kibana lists. See policywatch/source_health.py.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Param, dag, task


@dag(
    dag_id="source_health",
    schedule="@hourly",
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    is_paused_upon_creation=False,  # compose starts scheduling at once; pause in the UI to stop
    max_active_runs=1,
    tags=["policywatch", "monitoring"],
    params={
        "failed_runs": Param(3, type="integer", minimum=1, description="Flag after this many failed runs."),
        "default_cadence_days": Param(
            60, type="number", description="Quiet threshold with little history."
        ),
        "sources_file": Param(None, type=["null", "string"], description="Another sources.yaml (tests)."),
    },
    doc_md=__doc__,
)
def source_health():
    @task
    def check(params=None) -> dict:
        from policywatch.airflow_tasks import check_source_health

        return check_source_health(
            sources_file=params["sources_file"],
            failed_runs=params["failed_runs"],
            default_cadence_days=params["default_cadence_days"],
        )

    check()


source_health()
