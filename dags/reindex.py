"""reindex: rebuild policy-docs from policy.extracted.v1 into a new versioned index (manual).

plan (create `policy-docs-v<n>`, note the topic's end) -> build (replay, catch up, check that the new
index holds one document per distinct id and no fewer than the old one) -> swap (the alias, atomically)
-> catch_up (what the live indexer wrote to the old index meanwhile). A count mismatch fails `build`
and leaves the alias where it was. Same steps as `policywatch reindex`.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import Param, dag, task

from schemas.indices import DOCS_INDEX


@dag(
    dag_id="reindex",
    schedule=None,
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    is_paused_upon_creation=False,  # compose starts scheduling at once; pause in the UI to stop
    max_active_runs=1,
    tags=["policywatch", "maintenance"],
    params={
        "alias": Param(DOCS_INDEX, type="string", description="The alias to rebuild."),
        "topic": Param(None, type=["null", "string"], description="Topic to replay (policy.extracted.v1)."),
        "allow_shrink": Param(False, type="boolean", description="Swap even if the new index is smaller."),
    },
    doc_md=__doc__,
)
def reindex():
    @task
    def plan(params=None) -> dict:
        from policywatch.airflow_tasks import reindex_plan

        return reindex_plan(alias=params["alias"], topic=params["topic"])

    @task(execution_timeout=timedelta(hours=6))
    def build(the_plan: dict, params=None) -> dict:
        from policywatch.airflow_tasks import reindex_build

        return reindex_build(the_plan, allow_shrink=params["allow_shrink"])

    @task
    def swap(the_plan: dict, built: dict) -> list[str]:
        from policywatch.airflow_tasks import reindex_swap

        return reindex_swap(the_plan)

    @task
    def catch_up(the_plan: dict, built: dict) -> int:
        from policywatch.airflow_tasks import reindex_catch_up

        return reindex_catch_up(the_plan, built)

    the_plan = plan()
    built = build(the_plan)
    swap(the_plan, built) >> catch_up(the_plan, built)


reindex()
