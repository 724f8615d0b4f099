"""Pipeline benchmark on the local stack: each piece alone, then every stage over Kafka, end to end.

    .venv/bin/python bench/pipeline.py                 # 2,000 pages of 15-50 KB, human-readable
    .venv/bin/python bench/pipeline.py -n 500 --json   # one JSON object, to compare runs
    .venv/bin/python bench/pipeline.py -n 500 --seconds 15 --index-workers 1,2 --json

Phases (private topics, groups and indices, deleted at the end):
1. pieces alone, in this process: clean (``prepare`` + in-memory dedup), extract (``extract_document``),
   index (``bulk_actions`` with jieba + ``_bulk`` of 100 into a scratch index).
2. backlog: the three stages start as separate processes (as deployed: the runner and client settings
   of ``policywatch process``), and once each has opened (dictionaries loaded) and holds partitions, N
   pages are produced to the raw topic in the crawler's binary frame; per-stage rates come from each
   group's committed offsets, end to end from produce start to the last page searchable.
3. steady load: pages produced at --rate docs/s for --seconds; latency = produce -> found by a search.
The stages then get SIGTERM (finish batch, commit, exit) and report their peak RSS.

CPU: user + system time of each stage process, of this process (producer, watcher) and of the Kafka and
Elasticsearch JVMs (pids from ``policywatch stack status --json``), read from /proc over the backlog
phase and divided by its documents: ``cpu_ms_per_doc``. The JVMs are shared: other work on the stack
during the run counts too. ``--index-workers 1,2`` runs the whole measurement once per worker count
(fresh topics and indices each time); the top-level keys are the first run's, ``by_index_workers`` has
each run's headline figures. ``threads_cpu_s``: CPU seconds of each stage process's threads over its
whole run (the consumer loop is ``MainThread``; kafka-python's I/O threads compress, send and fetch).
``--profile-dir DIR`` runs each stage's loop under cProfile (DIR/<stage>-<pid>.prof, for ``pstats``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from policywatch.core.elasticsearch import make_es  # noqa: E402
from policywatch.core.kafka import make_admin, make_consumer, make_producer  # noqa: E402
from policywatch.core.settings import get_settings  # noqa: E402
from processors.synthetic import raw_documents  # noqa: E402
from schemas.indices import DOCS_INDEX, INDICATORS_INDEX  # noqa: E402

STAGES = ("clean", "extract", "index")


def lane_names(tag: str) -> dict:
    return {
        "topics": {k: f"{tag}-{k}" for k in ("raw", "cleaned", "extracted")},
        "dlq": f"{tag}-dlq",
        "docs": f"{DOCS_INDEX}-v9-{tag}",
        "ind": f"{INDICATORS_INDEX}-v9-{tag}",
        "fp": f"{tag}-fingerprints",
        "group": f"{tag}-grp",
    }


def peak_rss_mb() -> float:
    """VmHWM of this process (ru_maxrss would include the parent's pages inherited at fork)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _stat(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def cpu_seconds(pid: int, *, tree: bool = True) -> float | None:
    """User + system CPU seconds of process `pid` and its live descendants so far (None when it is gone).
    Descendants count because a service pid may be a launcher whose child is the JVM."""
    if (own := _stat(pid)) is None:
        return None
    if not tree:
        return (int(own[11]) + int(own[12])) / os.sysconf("SC_CLK_TCK")
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))) is not None:
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        if (fields := _stat(current)) is not None:
            total += int(fields[11]) + int(fields[12])
        todo += children.get(current, [])
    return total / os.sysconf("SC_CLK_TCK")


def stack_pids() -> dict[str, int]:
    """pids of the local Kafka and Elasticsearch (`policywatch stack status --json`), {} when unknown."""
    try:
        out = subprocess.run([sys.executable, "-m", "policywatch", "stack", "status", "--json"], cwd=ROOT,
                             capture_output=True, text=True, timeout=60).stdout
        return {svc["name"]: int(svc["pid"]) for svc in json.loads(out) if svc.get("pid")}
    except (OSError, ValueError, subprocess.SubprocessError):
        return {}


def cpu_snapshot(pids: dict[str, int]) -> dict[str, float]:
    # this process alone: its descendants are the stages, counted on their own
    return {name: cpu for name, pid in pids.items()
            if (cpu := cpu_seconds(pid, tree=name != "bench")) is not None}


class ThreadCpu(threading.Thread):
    """Samples the CPU seconds of each thread of this process by its Python name, once a second, so the
    figures of threads that end before the report (kafka-python's I/O threads, closed with their client)
    are kept. Those threads compress, send and fetch beside the consumer loop in the main thread."""

    def __init__(self) -> None:
        super().__init__(daemon=True, name="bench-sampler")
        self.last: dict[int, tuple[str, float]] = {}
        self.lock = threading.Lock()

    def sample(self) -> None:
        names = {t.native_id: t.name for t in threading.enumerate()}
        tick = os.sysconf("SC_CLK_TCK")
        for task in Path("/proc/self/task").iterdir():
            try:
                fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            tid = int(task.name)
            with self.lock:
                name = names.get(tid) or self.last.get(tid, ("other", 0.0))[0]
                self.last[tid] = (name, (int(fields[11]) + int(fields[12])) / tick)

    def run(self) -> None:
        while True:
            self.sample()
            time.sleep(1)

    def by_name(self) -> dict[str, float]:
        self.sample()
        out: dict[str, float] = {}
        with self.lock:
            for name, cpu in self.last.values():
                out[name] = round(out.get(name, 0.0) + cpu, 2)
        return out


# -- child: one stage process ---------------------------------------------------------------------
def child(stage_name: str, lane: dict, batch_size: int, profile_dir: str | None = None,
          ready_dir: str | None = None) -> None:
    from policywatch.bootstrap import build_stage
    from processors.runner import Runner, RunnerConfig

    sampler = ThreadCpu()
    sampler.start()

    settings = get_settings()
    es = make_es(settings)
    stage = build_stage(stage_name, settings, es=es, docs_index=lane["docs"], indicators_index=lane["ind"],
                        fingerprint_index=lane["fp"], topics=lane["topics"])
    # The clients and runner settings `policywatch process` uses (bootstrap.run_stage): what is deployed.
    config = RunnerConfig(group_id=f"{lane['group']}-{stage_name}", batch_size=batch_size,
                          dlq_topic=lane["dlq"])
    consumer = make_consumer(settings, config.group_id, [stage.input_topic], max_poll_records=batch_size)
    producer = make_producer(settings)

    def ready(state: str, **_: object) -> None:
        """The runner's heartbeat: once the stage is open and the consumer has partitions, say so."""
        if ready_dir and state == "polling" and consumer.assignment():
            with contextlib.suppress(OSError):  # the bench removes the folder once all are ready
                (Path(ready_dir) / f"{stage_name}-{os.getpid()}").touch()

    runner = Runner(stage, consumer, producer, config, heartbeat=ready)
    runner.install_signal_handlers()
    if profile_dir:  # the whole consumer loop under cProfile: Kafka client, decode, stage, produce, commit
        import cProfile

        profiler = cProfile.Profile()  # wall time: waits in poll show up as lock acquires
        stats = profiler.runcall(runner.run)
        profiler.dump_stats(str(Path(profile_dir) / f"{stage_name}-{os.getpid()}.prof"))
    else:
        stats = runner.run()
    producer.close(timeout=10)
    rss_mb = peak_rss_mb()
    print(json.dumps({"stage": stage_name, "processed": stats.processed, "dead_lettered": stats.dead_lettered,
                      "peak_rss_mb": round(rss_mb, 1), "threads_cpu_s": sampler.by_name()}), flush=True)


# -- pieces alone -----------------------------------------------------------------------------------
def pieces_alone(raws: list, es, scratch_index: str, scratch_ind: str) -> tuple[dict, list]:
    from processors.clean import MemoryFingerprintStore, link_duplicates, prepare
    from processors.extract import extract_document
    from processors.index import bulk_actions

    out = {}
    t0 = time.perf_counter()
    cleaned = link_duplicates([prepare(r) for r in raws], MemoryFingerprintStore())
    out["clean"] = len(raws) / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    extracted = [extract_document(c) for c in cleaned]
    out["extract"] = len(raws) / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    for i in range(0, len(extracted), 100):
        ops = []
        for doc in extracted[i:i + 100]:
            for header, body in bulk_actions(doc, docs_index=scratch_index, indicators_index=scratch_ind):
                ops.append(header)
                if body is not None:
                    ops.append(body)
        resp = es.bulk(operations=ops)
        assert not resp["errors"] or all(
            next(iter(it.values())).get("status", 500) < 300 for it in resp["items"]), "bulk failed"
    es.indices.refresh(index=scratch_index)
    out["index"] = len(raws) / (time.perf_counter() - t0)
    return out, extracted


# -- helpers -----------------------------------------------------------------------------------------
def committed(admin, group: str, topic: str) -> int:
    offsets = admin.list_group_offsets({group: None}).get(group, {})
    return sum(max(om.offset, 0) for tp, om in offsets.items() if tp.topic == topic)


class Watcher(threading.Thread):
    """Finds when each produced doc id becomes searchable."""

    def __init__(self, es, index: str) -> None:
        super().__init__(daemon=True)
        self.es, self.index = es, index
        self.sent: dict[str, float] = {}
        self.seen: dict[str, float] = {}
        self.lock = threading.Lock()
        self.stop_flag = threading.Event()

    def add(self, doc_id: str, at: float) -> None:
        with self.lock:
            self.sent[doc_id] = at

    def run(self) -> None:
        while not self.stop_flag.is_set():
            with self.lock:
                pending = [d for d in self.sent if d not in self.seen][:5000]
            if pending:
                try:
                    resp = self.es.options(request_timeout=10).search(
                        index=self.index, size=len(pending), source=False, query={"ids": {"values": pending}})
                    now = time.time()
                    for hit in resp["hits"]["hits"]:
                        self.seen.setdefault(hit["_id"], now)
                except Exception:
                    pass
            time.sleep(0.2)


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    k = min(len(values) - 1, max(0, round(p / 100 * (len(values) - 1))))
    return values[k]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-n", type=int, default=2000, help="pages in the backlog phase (default 2000)")
    ap.add_argument("--rate", type=float, default=20.0, help="docs/s in the steady-load phase")
    ap.add_argument("--seconds", type=float, default=30.0, help="length of the steady-load phase")
    ap.add_argument("--batch-size", type=int, default=100)
    ap.add_argument("--index-workers", default="1",
                    help="index stage processes (same group); a list such as 1,2 runs once per count")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--keep", action="store_true", help="keep the bench topics and indices")
    ap.add_argument("--profile-dir", help="run each stage process under cProfile (its consumer loop), "
                    "stats to DIR/<stage>-<pid>.prof; slows the stages: for where CPU goes, not for rates")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--ready-dir", help=argparse.SUPPRESS)
    ap.add_argument("--lane", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        child(args.child, json.loads(args.lane), args.batch_size, args.profile_dir, args.ready_dir)
        return 0

    workers = [int(w) for w in str(args.index_workers).split(",") if w.strip()]
    results = []
    for count in workers:
        result = run_once(args, count)
        results.append(result)
        if not args.json:
            for k, v in result.items():
                print(f"{k:>24}: {v}")
    first = dict(results[0])
    first["by_index_workers"] = {
        str(r["index_workers"]): {k: r[k] for k in ("docs_per_s", "ratio_to_ideal", "p50_s", "p95_s", "p99_s",
                                                     "cpu_ms_per_doc", "peak_rss_mb")}
        for r in results
    }
    if args.json:
        print(json.dumps(first, ensure_ascii=False))
    return 0 if all(r["indexed"] == r["expected"] for r in results) else 1


def run_once(args: argparse.Namespace, index_workers: int) -> dict:
    """One full measurement (pieces alone, backlog, steady load) with `index_workers` index processes."""

    def say(msg: str) -> None:
        if not args.json:
            print(msg, flush=True)

    from kafka.admin import NewTopic

    settings = get_settings()
    tag = f"pwbench-{uuid.uuid4().hex[:8]}"
    lane = lane_names(tag)
    es = make_es(settings, request_timeout=120)
    admin = make_admin(settings)
    big = {"max.message.bytes": str(settings.raw_max_message_bytes)}
    admin.create_topics([NewTopic(t, settings.topic_partitions, 1, topic_configs=big)
                         for t in [*lane["topics"].values(), lane["dlq"]]])
    for index in (lane["docs"], lane["ind"]):
        es.indices.create(index=index)
    scratch = f"{DOCS_INDEX}-v9-{tag}-alone"
    scratch_ind = f"{INDICATORS_INDEX}-v9-{tag}-alone"
    es.indices.create(index=scratch)
    es.indices.create(index=scratch_ind)
    steady_n = int(args.rate * args.seconds)
    say(f"generating {args.n} + {steady_n} pages …")
    raws = raw_documents(args.n + steady_n, source_id="bench")
    backlog, steady = raws[:args.n], raws[args.n:]
    sizes = [len(r.body) for r in backlog]
    children: list[subprocess.Popen] = []
    try:
        say("pieces alone …")
        alone, _ = pieces_alone(backlog, es, scratch, scratch_ind)
        say("  " + ", ".join(f"{k} {v:.1f} docs/s" for k, v in alone.items()))

        watcher = Watcher(es, lane["docs"])
        ready_dir = Path(tempfile.mkdtemp(prefix="pwbench-ready-"))
        for name in [*STAGES, *["index"] * (index_workers - 1)]:
            children.append(subprocess.Popen(
                [sys.executable, __file__, "--child", name, "--lane", json.dumps(lane),
                 "--batch-size", str(args.batch_size), "--ready-dir", str(ready_dir),
                 *(["--profile-dir", str(Path(args.profile_dir).resolve())] if args.profile_dir else [])],
                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True))
        # Start the clock once every stage has opened (dictionaries loaded, indices made) and holds
        # partitions: start-up is not per-document work.
        started_by = time.time() + 180
        while time.time() < started_by and len(list(ready_dir.iterdir())) < len(children):
            time.sleep(0.2)
        time.sleep(2)  # the last join's rebalance settles
        shutil.rmtree(ready_dir, ignore_errors=True)
        producer = make_producer(settings, linger_ms=5, compression_type=None)  # as the crawler's sink
        say(f"backlog: {args.n} pages through clean -> extract -> index …")
        pids = {**stack_pids(), "bench": os.getpid()}
        for i, proc in enumerate(children):
            name = STAGES[i] if i < len(STAGES) else f"index-{i - len(STAGES) + 2}"
            pids[name] = proc.pid
        cpu_before = cpu_snapshot(pids)
        t_start = time.time()
        values = [(r.doc_id, r.to_kafka()) for r in backlog]  # the crawler's binary frame
        for doc_id, value in values:
            producer.send(lane["topics"]["raw"], key=doc_id.encode(), value=value)
        producer.flush(120)
        t_produced = time.time()
        done_at: dict[str, float] = {}
        topics = {"clean": lane["topics"]["raw"], "extract": lane["topics"]["cleaned"],
                  "index": lane["topics"]["extracted"]}
        deadline = time.time() + max(600, args.n)
        while time.time() < deadline and len(done_at) < 3:
            for name in STAGES:
                group = f"{lane['group']}-{name}"
                if name not in done_at and committed(admin, group, topics[name]) >= args.n:
                    done_at[name] = time.time()
            time.sleep(0.2)
        # Searchable = counted by a search (count is a search: it sees refreshed documents only).
        while time.time() < deadline and int(es.count(index=lane["docs"])["count"]) < args.n:
            time.sleep(0.1)
        t_end = time.time()
        cpu_after = cpu_snapshot(pids)
        cpu_ms = {name: round((cpu_after[name] - cpu_before[name]) / args.n * 1000, 2)
                  for name in cpu_before if name in cpu_after}
        cpu_ms["total"] = round(sum(cpu_ms.values()), 2)
        e2e = args.n / (t_end - t_start)
        stage_rates = {name: args.n / (done_at[name] - t_start) for name in done_at}
        say(f"  end to end {e2e:.1f} docs/s; stages done after " + ", ".join(
            f"{k} {v - t_start:.1f}s" for k, v in done_at.items()))

        watcher.start()  # per-document latency in the steady phase (few ids pending at a time)
        say(f"steady load: {args.rate:g} docs/s for {args.seconds:g}s …")
        interval = 1 / args.rate
        t0 = time.time()
        for i, r in enumerate(steady):
            wait = t0 + i * interval - time.time()
            if wait > 0:
                time.sleep(wait)
            watcher.add(r.doc_id, time.time())
            producer.send(lane["topics"]["raw"], key=r.doc_id.encode(), value=r.to_kafka())
            producer.flush(30)
        deadline = time.time() + 60
        while time.time() < deadline and sum(1 for r in steady if r.doc_id in watcher.seen) < len(steady):
            time.sleep(0.1)
        watcher.stop_flag.set()
        lat = [watcher.seen[r.doc_id] - watcher.sent[r.doc_id] for r in steady if r.doc_id in watcher.seen]
        producer.close(10)

        for proc in children:
            proc.send_signal(signal.SIGTERM)
        rss: dict[str, float] = {}
        threads: dict[str, dict[str, float]] = {}
        for proc in children:
            out, _ = proc.communicate(timeout=120)
            for line in out.splitlines():
                if line.startswith("{"):
                    info = json.loads(line)
                    rss[info["stage"]] = max(rss.get(info["stage"], 0), info["peak_rss_mb"])
                    mine = threads.setdefault(info["stage"], {})
                    for thread, cpu in info.get("threads_cpu_s", {}).items():
                        mine[thread] = round(mine.get(thread, 0.0) + cpu, 2)
        es.indices.refresh(index=lane["docs"])
        count = int(es.count(index=lane["docs"])["count"])
        slowest = min(alone.values())
        # the pieces sharing the cores perfectly: 1 / (sum of each piece's seconds per doc / cores)
        ideal = (os.cpu_count() or 1) / sum(1 / v for v in alone.values())
        result = {
            "n": args.n,
            "cpus": os.cpu_count(),
            "page_kb_mean": round(statistics.mean(sizes) / 1024, 1),
            "docs_per_s": round(e2e, 2),
            "produce_s": round(t_produced - t_start, 2),
            "stage_docs_per_s": {k: round(v, 2) for k, v in stage_rates.items()},
            "alone_docs_per_s": {k: round(v, 2) for k, v in alone.items()},
            "slowest_piece": min(alone, key=alone.get),
            "ratio_to_slowest_piece": round(e2e / slowest, 3),
            "ideal_docs_per_s": round(ideal, 2),
            "ratio_to_ideal": round(e2e / ideal, 3),
            "cpu_ms_per_doc": cpu_ms,
            "load_average": [round(x, 2) for x in os.getloadavg()],
            "index_workers": index_workers,
            "steady_rate": args.rate,
            "steady_docs": len(steady),
            "steady_found": len(lat),
            "p50_s": round(percentile(lat, 50), 3),
            "p95_s": round(percentile(lat, 95), 3),
            "p99_s": round(percentile(lat, 99), 3),
            "peak_rss_mb": rss,
            "threads_cpu_s": threads,  # each stage process's whole run (start-up, backlog, steady) by thread
            "indexed": count,
            "expected": args.n + len(steady),
        }
        return result
    finally:
        for proc in children:
            if proc.poll() is None:
                proc.kill()
        if not args.keep:
            es.options(ignore_status=404).indices.delete(
                index=f"{lane['docs']},{lane['ind']},{scratch},{scratch_ind},{lane['fp']}")
            with contextlib.suppress(Exception):
                admin.delete_topics([*lane["topics"].values(), lane["dlq"]])
        admin.close()


if __name__ == "__main__":
    sys.exit(main())
