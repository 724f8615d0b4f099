"""replay_seeds: publish the seed reports in seeds/ to policy.raw.v1 (manual), like `policywatch replay`."""

from __future__ import annotations

import pendulum
from airflow.sdk import Param, dag, task


@dag(
    dag_id="replay_seeds",
    schedule=None,
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["policywatch", "replay"],
    params={"seeds_dir": Param(None, type=["null", "string"], description="Another seeds directory.")},
    doc_md=__doc__,
)
def replay_seeds():
    @task
    def replay(params=None) -> dict:
        from policywatch.airflow_tasks import replay_seeds as run

        return run(seeds_dir=params["seeds_dir"])

    replay()


replay_seeds()
