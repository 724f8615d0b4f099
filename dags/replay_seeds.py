"""replay_seeds: publish the seed reports to policy.raw.v1 (manual), like `policywatch replay seeds/`.

With conf {"process": true} it then runs clean, extract and index until their inputs are drained
(`policywatch process all --until-idle`), for installations without the processor services.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Param, dag, task


@dag(
    dag_id="replay_seeds",
    schedule=None,
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    is_paused_upon_creation=False,  # compose starts scheduling at once; pause in the UI to stop
    max_active_runs=1,
    tags=["policywatch", "replay"],
    params={
        "paths": Param([], type="array", description="Files or folders to replay (default: seeds/)."),
        "topic": Param(None, type=["null", "string"], description="Topic (default policy.raw.v1)."),
        "source_id": Param("replay", type="string", description="source_id of the raw documents."),
        "process": Param(False, type="boolean", description="Then run the stages until idle."),
    },
    doc_md=__doc__,
)
def replay_seeds():
    @task
    def replay(params=None) -> dict:
        from policywatch.airflow_tasks import replay_files

        return replay_files(
            list(params["paths"]) or None, topic=params["topic"], source_id=params["source_id"]
        )

    @task
    def process(replayed: dict, params=None) -> dict:
        if not params["process"]:
            from airflow.sdk.exceptions import AirflowSkipException

            raise AirflowSkipException("processing left to the processor services (conf process=false)")
        from policywatch.airflow_tasks import process_until_idle

        return process_until_idle()

    process(replay())


replay_seeds()
