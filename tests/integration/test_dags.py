"""The Airflow DAGs in dags/: they parse, `dag.test()` runs them against the real stack, and a real
scheduler (api-server + scheduler + dag-processor, LocalExecutor, SQLite) runs a triggered DAG run.

Airflow reads its configuration once per process and sets up logging of its own, so everything
Airflow runs in a subprocess with a temporary AIRFLOW_HOME (metadata in SQLite, created by
`airflow db migrate`); this pytest process never imports Airflow.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from datetime import timedelta
from pathlib import Path

import pytest

from schemas.indices import SOURCE_HEALTH_INDEX

REPO = Path(__file__).resolve().parents[2]
DAGS = REPO / "dags"

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("airflow") is None,
    reason="Airflow is not installed: pip install -e '.[airflow]'",
)

EXPECTED_DAGS = {
    "crawl_sources": {
        "schedule": "*/15 * * * *",
        "tasks": ["crawl", "due_sources", "summary"],
        "mapped": ["crawl"],
    },
    "replay_seeds": {"schedule": None, "tasks": ["process", "replay"], "mapped": []},
    "reindex": {"schedule": None, "tasks": ["build", "catch_up", "plan", "swap"], "mapped": []},
    "source_health": {"schedule": "@hourly", "tasks": ["check"], "mapped": []},
    "alert_digest": {"schedule": "@daily", "tasks": ["send"], "mapped": []},
}

# Runs inside the Airflow subprocess: parse dags/, optionally dag.test() one DAG, print one JSON line.
PROBE = textwrap.dedent(
    """
    import json, sys, time
    args = json.loads(sys.argv[1])
    started = time.monotonic()
    from airflow.dag_processing.dagbag import DagBag
    from airflow.sdk.definitions.mappedoperator import MappedOperator
    HEAVY = ("elasticsearch", "kafka", "scrapy", "crawlers", "processors", "jieba", "trafilatura")
    bag = DagBag(dag_folder=args["dags"])
    out = {
        "parse_s": time.monotonic() - started,
        "import_errors": {k: str(v) for k, v in bag.import_errors.items()},
        "heavy": sorted(m for m in sys.modules if m.split(".")[0] in HEAVY),
        "dags": {
            dag_id: {
                "schedule": None if dag.schedule is None else str(dag.schedule),
                "tasks": sorted(dag.task_dict),
                "mapped": sorted(t for t, op in dag.task_dict.items() if isinstance(op, MappedOperator)),
                "catchup": dag.catchup,
                "max_active_runs": dag.max_active_runs,
                "paused_upon_creation": dag.is_paused_upon_creation,
                "params": sorted(dag.params),
            }
            for dag_id, dag in bag.dags.items()
        },
    }
    if args.get("test"):
        from airflow.models.xcom import XComModel
        from airflow.utils.session import create_session
        run = bag.get_dag(args["test"]).test(run_conf=args.get("conf"))
        with create_session() as session:
            out["state"] = str(run.state)
            out["tis"] = {f"{ti.task_id}[{ti.map_index}]": str(ti.state)
                          for ti in run.get_task_instances(session=session)}
            query = XComModel.get_many(run_id=run.run_id, dag_ids=args["test"], key="return_value")
            rows = session.scalars(query)
            out["xcom"] = {f"{r.task_id}[{r.map_index}]": XComModel.deserialize_value(r) for r in rows}
    print("PROBE-RESULT " + json.dumps(out, default=str, ensure_ascii=False))
    """
)


def airflow_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update(
        AIRFLOW_HOME=str(home),
        AIRFLOW__CORE__DAGS_FOLDER=str(DAGS),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION="True",
        AIRFLOW__LOGGING__LOGGING_LEVEL="INFO",
        PYTHONPATH=os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p),
    )
    env.update(extra)
    return env


def airflow_cli(home: Path, *args: str, timeout: float = 120, env: dict | None = None) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "airflow", *args],
        env=env or airflow_env(home),
        cwd=home,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert proc.returncode == 0, f"airflow {' '.join(args)} failed:\n{proc.stderr[-4000:]}"
    return proc.stdout


def probe(home: Path, *, test: str | None = None, conf: dict | None = None, timeout: float = 300) -> dict:
    args = json.dumps({"dags": str(DAGS), "test": test, "conf": conf})
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, args],
        env=airflow_env(home),
        cwd=home,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("PROBE-RESULT ")]
    assert proc.returncode == 0 and lines, (
        f"probe failed ({proc.returncode}):\n{(proc.stderr or proc.stdout)[-6000:]}"
    )
    return json.loads(lines[-1].removeprefix("PROBE-RESULT "))


@pytest.fixture(scope="module")
def airflow_home(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("airflow-home")
    airflow_cli(home, "db", "migrate", timeout=180)
    return home


# --- parsing --------------------------------------------------------------------------------------


def test_dag_files_parse_with_expected_tasks_and_schedules(airflow_home):
    out = probe(airflow_home)
    assert out["import_errors"] == {}
    assert sorted(out["dags"]) == sorted(EXPECTED_DAGS)
    for dag_id, expected in EXPECTED_DAGS.items():
        got = out["dags"][dag_id]
        assert {k: got[k] for k in expected} == expected, dag_id
        assert got["catchup"] is False and got["max_active_runs"] == 1, dag_id
        assert got["paused_upon_creation"] is False, dag_id  # compose schedules without a click in the UI
    assert out["dags"]["crawl_sources"]["params"] == [
        "all",
        "polite",
        "sink",
        "sources",
        "sources_file",
        "status",
    ]
    # thin DAG files: parsing imports none of the project's heavy code and opens no connection
    assert out["heavy"] == [], "DAG files must import project code inside tasks only"
    assert out["parse_s"] < 30


# --- dag.test() against the real stack ------------------------------------------------------------


def _read_topic(settings, topic: str, expect: int, timeout_s: float = 60) -> list[dict]:
    """The raw documents on `topic` (policy.raw.v1's binary frame), as JSON-ready dicts."""
    from policywatch.core.kafka import make_consumer
    from schemas.raw import RawDocument

    consumer = make_consumer(settings, group_id=None, topics=[topic], consumer_timeout_ms=3000)
    out: list[dict] = []
    deadline = time.monotonic() + timeout_s
    try:
        while len(out) < expect and time.monotonic() < deadline:
            for record in consumer:
                out.append(RawDocument.from_kafka(record.value).model_dump(mode="json"))
    finally:
        consumer.close()
    return out


@pytest.fixture
def topic(kafka_admin, unique_name):
    from kafka.admin import NewTopic

    name = unique_name("raw")
    kafka_admin.create_topics([NewTopic(name, 3, 1)])
    yield name
    kafka_admin.delete_topics([name])


def test_crawl_sources_dag_emits_the_mirror_reports(airflow_home, stack, es, topic, unique_name, tmp_path):
    from tests.golden.mirror.harness import load_expected, path_of
    from tests.golden.mirror.server import MirrorServer

    expected = load_expected()
    status_index = unique_name("crawl-status")
    with MirrorServer() as mirror:
        sources = mirror.write_sources(tmp_path / "sources.yaml")
        conf = {
            "all": True,
            "sources_file": str(sources),
            "sink": f"kafka:{topic}",
            "status": f"es:{status_index}",
            "polite": False,
        }
        started = time.monotonic()
        out = probe(airflow_home, test="crawl_sources", conf=conf, timeout=600)
        elapsed = time.monotonic() - started
    try:
        ok = sorted(s for s, e in expected.items() if e["status"] == "ok")
        degraded = sorted(s for s, e in expected.items() if e["status"] == "degraded")
        not_ok = sorted(s for s, e in expected.items() if e["status"] not in ("ok", "degraded"))
        groups = out["xcom"]["due_sources[-1]"]  # one group (one mapped task) per host
        assert sorted(sid for group in groups for sid in group) == sorted(expected)
        assert ["mirror_c", "mirror_c_cookie"] in groups  # the two sources on site C's host: one task
        assert all(len(group) == 1 for group in groups if "mirror_c" not in group)
        states = {
            tuple(groups[int(k.split("[")[1][:-1])]): v
            for k, v in out["tis"].items() if k.startswith("crawl[")
        }
        # a group's task fails only when none of its sources worked: blocked mirror_c shares its task
        # with mirror_c_cookie (degraded), so it shows as failed in the summary below, not as a task
        assert states == {tuple(group): "success" for group in groups}
        reports = out["xcom"][f"crawl[{groups.index(['mirror_c', 'mirror_c_cookie'])}]"]
        assert [(r["source_id"], r["status"]) for r in reports] == [
            ("mirror_c", expected["mirror_c"]["status"]), ("mirror_c_cookie", "degraded")]
        summary = out["xcom"]["summary[-1]"]
        assert summary["ok"] == ok and sorted(summary["failed"]) == not_ok
        assert summary.get("degraded", []) == degraded  # listed and emitted, some pages failed
        assert summary["totals"]["new"] == sum(len(expected[s]["reports"]) for s in ok + degraded)
        assert out["state"] == "success"  # the run completes; failed sources show as failed map indexes

        docs = _read_topic(stack, topic, expect=summary["totals"]["new"])
        for source_id in ok + degraded:
            got = sorted(path_of(d["url"]) for d in docs if d["source_id"] == source_id)
            assert got == sorted(expected[source_id]["reports"]), source_id
        runs = es.search(index=status_index, query={"term": {"kind": "run"}}, size=50)["hits"]["hits"]
        assert sorted(h["_source"]["source_id"] for h in runs) == sorted(expected)
        # the next scheduled run reads those run records: nothing on a daily schedule is due again today
        from crawlers.sources import load_sources
        from policywatch.source_health import due_sources, load_runs

        runs = load_runs(es, sorted(expected), index=status_index)
        assert sorted(sid for sid, rs in runs.items() if rs) == sorted(expected)
        crawled = load_sources(sources).sources
        latest = max(r.started_at for rs in runs.values() for r in rs)
        assert due_sources(crawled, runs, latest) == []
        adaptive = [s.model_copy(update={"schedule": "adaptive"}) for s in crawled]
        found = [s for s in sorted(expected) if any(r.ok and r.found_new for r in runs[s])]
        assert found  # the mirror crawl found reports: an adaptive source is due again sooner than daily
        assert due_sources(adaptive, runs, latest + timedelta(hours=13)) == [
            s.id for s in adaptive if s.id in found
        ]
        print(
            f"crawl_sources dag.test(): {elapsed:.1f}s, {len(expected)} mirror sources, {len(docs)} reports"
        )
    finally:
        es.indices.delete(index=status_index, ignore_unavailable=True)


def test_crawl_sources_fails_the_task_of_a_host_whose_sources_all_failed(airflow_home, tmp_path):
    from tests.golden.mirror.server import MirrorServer

    with MirrorServer() as mirror:
        sources = mirror.write_sources(tmp_path / "sources.yaml")
        conf = {"sources": ["mirror_c"], "sources_file": str(sources), "polite": False,
                "sink": f"jsonl:{tmp_path / 'out.jsonl'}", "status": f"file:{tmp_path / 'status.jsonl'}"}
        out = probe(airflow_home, test="crawl_sources", conf=conf)
    assert out["xcom"]["due_sources[-1]"] == [["mirror_c"]]
    assert out["tis"]["crawl[0]"] == "failed"  # blocked, and alone on its host
    assert out["state"] == "failed"  # every selected source failed


def test_crawl_sources_with_nothing_due_skips_the_crawl_and_still_summarises(airflow_home, tmp_path):
    sources = tmp_path / "sources.yaml"
    entry = "{id: off_site, name: a disabled site, province: 山东省, enabled: %s,"
    entry += " start_urls: ['https://a.example/'], allowed_domains: [a.example]}"
    sources.write_text(f"sources:\n  - {entry % 'false'}\n", encoding="utf-8")
    out = probe(airflow_home, test="crawl_sources", conf={"sources_file": str(sources)})
    assert out["state"] == "success", out["tis"]
    assert out["xcom"]["due_sources[-1]"] == []
    assert out["tis"]["crawl[-1]"] == "skipped"
    assert out["xcom"]["summary[-1]"] == {"sources": 0, "ok": [], "failed": [], "totals": {}}

    # a broken sources file fails due_sources, and the run with it (summary runs on all_done)
    sources.write_text(f"sources:\n  - {entry % 'maybe'}\n", encoding="utf-8")
    out = probe(airflow_home, test="crawl_sources", conf={"sources_file": str(sources)})
    assert out["tis"]["due_sources[-1]"] == "failed"
    assert out["state"] == "failed"


def test_source_health_dag_writes_a_verdict_per_source(airflow_home, stack, es, unique_name, tmp_path):
    source_id = unique_name("health")
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        f"sources:\n  - {{id: {source_id}, name: a new site, province: 山东省,"
        " start_urls: ['https://a.example/'], allowed_domains: [a.example]}\n",
        encoding="utf-8",
    )
    try:
        out = probe(airflow_home, test="source_health", conf={"sources_file": str(sources)})
        assert out["state"] == "success", out["tis"]
        assert out["xcom"]["check[-1]"] == {"checked": 1, "flagged": {}}
        doc = es.get(index=SOURCE_HEALTH_INDEX, id=source_id)["_source"]
        assert doc["state"] == "never_run" and doc["message"] == "never crawled"
    finally:
        es.options(ignore_status=404).delete(index=SOURCE_HEALTH_INDEX, id=source_id, refresh=True)


def test_reindex_dag_keeps_the_count_and_swaps_the_alias(airflow_home, stack, es, kafka_admin, unique_name):
    """policy-docs-shaped documents from a topic of ExtractedDocuments, through the reindex DAG."""
    from kafka.admin import NewTopic

    from policywatch.core.kafka import make_producer
    from processors.index.reindex import alias_indices, docs_action

    topic, alias = unique_name("extracted"), unique_name("docs")
    kafka_admin.create_topics([NewTopic(topic, 3, 1)])
    producer = make_producer(stack)
    messages = extracted_messages(8)
    for key, value in messages:
        producer.send(topic, key=key, value=value)
    producer.flush(30)
    producer.close()
    es.indices.create(index=f"{alias}-v1", aliases={alias: {"is_write_index": True}})
    for _, value in messages:
        action = docs_action(value)
        es.index(
            index=alias,
            id=action["_id"],
            document=action["_source"],
            version=action["version"],
            version_type="external",
        )
    es.indices.refresh(index=alias)
    try:
        out = probe(airflow_home, test="reindex", conf={"alias": alias, "topic": topic}, timeout=300)
        assert out["state"] == "success", out["tis"]
        build = out["xcom"]["build[-1]"]
        assert build["target"] == f"{alias}-v2"
        assert build["target_count"] == build["previous_count"] == build["documents"] == 8
        assert out["xcom"]["swap[-1]"] == [f"{alias}-v1"]
        assert alias_indices(es, alias) == ([f"{alias}-v2"], f"{alias}-v2")
        assert es.count(index=alias)["count"] == 8
    finally:
        names = list(es.indices.get(index=f"{alias}-v*", allow_no_indices=True))
        if names:
            es.indices.delete(index=",".join(names))
        kafka_admin.delete_topics([topic])


def extracted_messages(count: int) -> list[tuple[bytes, bytes]]:
    """(key, value) of `count` policy.extracted.v1 messages, made by the pipeline's own clean and extract."""
    from processors.clean import clean
    from processors.extract import extract_document
    from processors.synthetic import raw_documents

    docs = [extract_document(clean(raw)) for raw in raw_documents(count)]
    return [(d.doc_id.encode(), d.model_dump_json().encode()) for d in docs]


# --- a real scheduler -----------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class AirflowServices:
    """api-server, scheduler and dag-processor for one AIRFLOW_HOME, each in its own process group."""

    def __init__(self, home: Path) -> None:
        port = _free_port()
        self.home = home
        self.env = airflow_env(
            home,
            AIRFLOW__CORE__EXECUTOR="LocalExecutor",
            AIRFLOW__CORE__PARALLELISM="4",
            AIRFLOW__API__HOST="127.0.0.1",
            AIRFLOW__API__PORT=str(port),
            AIRFLOW__API__WORKERS="1",
            AIRFLOW__CORE__EXECUTION_API_SERVER_URL=f"http://127.0.0.1:{port}/execution/",
            AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT=str(_free_port()),
            AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC="1",
            AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL="5",
            AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL="5",
        )
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self) -> AirflowServices:
        for name in ("api-server", "scheduler", "dag-processor"):
            log = (self.home / f"{name}.log").open("wb")
            self.procs[name] = subprocess.Popen(
                [sys.executable, "-m", "airflow", name],
                env=self.env,
                cwd=self.home,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def logs(self) -> str:
        return "\n".join(
            f"--- {n}\n" + (self.home / f"{n}.log").read_text(errors="replace")[-3000:] for n in self.procs
        )

    def stop(self) -> None:
        for proc in self.procs.values():  # each started its own session: signal its group only
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)

    def cli(self, *args: str, timeout: float = 60) -> str:
        return airflow_cli(self.home, *args, timeout=timeout, env=self.env)

    def wait(self, what: str, check, timeout_s: float):
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for name, proc in self.procs.items():
                assert proc.poll() is None, f"{name} exited with {proc.returncode}\n{self.logs()}"
            result = check()
            if result:
                return result
            time.sleep(2)
        pytest.fail(f"timed out after {timeout_s:.0f}s waiting for {what}\n{self.logs()}")


def test_scheduler_runs_a_triggered_dag_run(stack, tmp_path, topic):
    """replay_seeds, triggered by the CLI, is picked up by the scheduler, run by the LocalExecutor
    through the api-server's execution API, and publishes the file to Kafka."""
    home = tmp_path / "airflow"
    home.mkdir()
    seed = REPO / "seeds" / "001_781c3ef80c1e049f.txt"
    services = AirflowServices(home)
    services.cli("db", "migrate", timeout=180)
    started = time.monotonic()
    services.start()
    try:
        services.wait(
            "replay_seeds to be parsed", lambda: "replay_seeds" in services.cli("dags", "list"), 120
        )
        services.cli("dags", "unpause", "replay_seeds")
        conf = json.dumps({"paths": [str(seed)], "topic": topic})
        services.cli("dags", "trigger", "replay_seeds", "--conf", conf)

        def finished():
            out = services.cli("dags", "list-runs", "replay_seeds", "-o", "json")
            runs = json.loads(next((ln for ln in out.splitlines() if ln.startswith("[")), "[]"))
            return runs if runs and runs[0]["state"] in ("success", "failed") else None

        runs = services.wait("the DAG run to finish", finished, 180)
        elapsed = time.monotonic() - started
        assert runs[0]["state"] == "success", services.logs()
    finally:
        services.stop()
    docs = _read_topic(stack, topic, expect=1)
    assert [d["url"] for d in docs] == [seed.resolve().as_uri()]
    print(f"scheduler: services up to DAG run success in {elapsed:.1f}s")
