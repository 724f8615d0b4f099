"""alert_digest: daily, send each daily-digest watch one message with its alerts not yet sent.

Watches added with `--digest daily` get no message per alert; this DAG sends their digest (signed JSON
to the webhook, text to the apprise channels) and marks the alerts `digest: sent` or `failed` in
policy-alerts. Same as `policywatch watch digest`. See processors/alert/digest.py.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task


@dag(
    dag_id="alert_digest",
    schedule="@daily",
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    is_paused_upon_creation=False,  # compose starts scheduling at once; pause in the UI to stop
    tags=["policywatch", "alerts"],
    doc_md=__doc__,
)
def alert_digest():
    @task
    def send() -> list[dict]:
        from policywatch.airflow_tasks import send_alert_digests

        return send_alert_digests()

    send()


alert_digest()
