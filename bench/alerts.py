"""Alert-stage benchmark: throughput and latency with 10, 1,000 and 10,000 watches on the local stack.

    .venv/bin/python bench/alerts.py                       # 10, 1000, 10000 watches, prefilter on and off
    .venv/bin/python bench/alerts.py --watches 1000 --rate 25 --seconds 20 --json

Documents are the seeds and tests/golden/relevance/docs run once through clean + extract, then copied under
fresh ids; they are bulk-indexed with the index stage's own actions into private indices (created from
the templates and deleted afterwards), so nothing touches policy-*.

Watches are 1-2 term queries. A share of them (--hot-share, default 10 %) uses words that occur in the
corpus and do match some documents; the rest use industry/place terms that occur in none (the usual case:
most watches match nothing in a given batch). Some carry a zone or metric filter.

Two measurements per watch count:
- capacity: the documents are indexed and refreshed first; the stage then handles batches of --batch
  documents back to back. docs/s = what one alert process sustains.
- paced: a writer indexes --rate documents/s in batches (no refresh: the 1 s refresh interval decides when
  they become searchable) and hands each batch to the stage as the extracted topic would; an observer polls
  `_search` every 20 ms to note when each document became searchable. Latency = alert created - searchable.
"""

from __future__ import annotations

import argparse
import json
import queue
import random
import statistics
import sys
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from policywatch.core.elasticsearch import make_es  # noqa: E402
from policywatch.core.settings import get_settings  # noqa: E402
from policywatch.core.textseg import normalize, segment  # noqa: E402
from policywatch.provision.elasticsearch import index_body  # noqa: E402
from policywatch.search.watches import Watch  # noqa: E402
from processors.alert.engine import AlertStage, StageConfig  # noqa: E402
from processors.index import bulk_actions  # noqa: E402
from schemas import sha256_hex  # noqa: E402
from schemas.indices import ALERTS_INDEX, DOCS_INDEX, INDICATORS_INDEX, WATCHES_INDEX  # noqa: E402
from tests.golden.relevance.corpus import corpus_files, extracted  # noqa: E402

COLD_INDUSTRIES = ["氢能", "储能电池", "工业互联网", "航空航天", "海洋经济", "冷链物流", "光伏组件", "预制菜",
                   "跨境电商", "低空经济", "合成生物", "碳纤维", "人形机器人", "钠离子电池", "卫星互联网",
                   "生物育种", "算力网络", "商业航天", "新型显示", "智能网联汽车", "稀土永磁", "医美"]
COLD_PLACES = ["苏州", "无锡", "成都", "西安", "武汉", "长沙", "厦门", "宁波", "昆明", "南宁", "呼和浩特",
               "乌鲁木齐", "哈尔滨", "长春", "贵阳", "兰州", "海口", "拉萨", "银川", "西宁"]
ZONES = ["起步区", "商河", "开发区", "高新区", "综合保税区"]
METRICS = ["gdp", "fixed_asset_investment", "industrial_output", "exports", "operating_revenue"]


# Stage variants: the default (Python pre-filter, 50 watches per search as named clauses), one search
# per candidate watch, and the plain design (every watch searched on every batch).
MODES = [
    ("grouped", {"prefilter": True, "group_size": 50}),
    ("per_watch", {"prefilter": True, "group_size": 1}),
    ("plain_msearch", {"prefilter": False, "group_size": 1}),
]


def make_watches(n: int, corpus: list[Any], hot_share: float, rng: random.Random,
                 created: datetime) -> list[Watch]:
    haystacks = [normalize(f"{d.title or ''}{d.text}{d.text_simplified or ''}") for d in corpus]
    per_doc_words: list[list[str]] = []
    df: Counter[str] = Counter()
    for d in corpus:
        words = {w for w in segment(d.text_simplified or d.text) if len(w) >= 2 and not w.isascii()}
        per_doc_words.append(sorted(words))
        df.update(words)
    rare = [[w for w in words if df[w] <= 2] for words in per_doc_words]
    out: list[Watch] = []
    n_hot = max(1, round(n * hot_share))
    for i in range(n):
        hot = i < n_hot
        if hot:
            pool = rng.choice([r for r in rare if r])
            terms = rng.sample(pool, k=min(len(pool), rng.choice((1, 2))))
        else:
            while True:
                terms = [rng.choice(COLD_PLACES), rng.choice(COLD_INDUSTRIES)][: rng.choice((1, 2))]
                if not all(any(normalize(t) in h for h in haystacks) for t in terms):
                    break
        kw: dict[str, Any] = {}
        r = rng.random()
        if r < 0.15:
            kw["zone"] = rng.choice(ZONES)
        elif r < 0.25:
            kw["metric"] = rng.choice(METRICS)
        out.append(Watch(name=f"w{i:05d}", query=" ".join(terms), created_at=created, **kw))
    return out


def make_docs(corpus: list[Any], n: int, tag: str) -> list[Any]:
    now = datetime.now(UTC)
    out = []
    for i in range(n):
        base = corpus[i % len(corpus)]
        doc_id = sha256_hex(f"bench-{tag}-{i}")
        out.append(base.model_copy(update={"doc_id": doc_id, "url": f"https://bench.example/{tag}/{i}",
                                           "canonical_url": f"https://bench.example/{tag}/{i}",
                                           "fetched_at": now, "cluster_id": doc_id}))
    return out


def bulk_index(es: Any, idx: dict[str, str], docs: list[Any], refresh: bool | str = False) -> None:
    ops: list[dict] = []
    for doc in docs:
        for header, body in bulk_actions(doc, docs_index=idx["docs"], indicators_index=idx["ind"]):
            ops.append(header)
            if body is not None:
                ops.append(body)
    resp = es.bulk(operations=ops, refresh=refresh)
    if resp["errors"]:
        raise RuntimeError("bulk errors while indexing benchmark documents")


def pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def capacity(es: Any, idx: dict[str, str], stage: AlertStage, corpus: list[Any], docs_n: int, batch: int,
             tag: str) -> dict[str, Any]:
    docs = make_docs(corpus, docs_n, tag)
    bulk_index(es, idx, docs, refresh="wait_for")
    times, searches, alerts = [], 0, 0
    for start in range(0, len(docs), batch):
        t0 = time.perf_counter()
        rep = stage.handle_batch(docs[start:start + batch])
        times.append(time.perf_counter() - t0)
        searches += rep.searches
        alerts += rep.new_alerts
    total = sum(times)
    return {"docs": len(docs), "batch": batch, "seconds": round(total, 3),
            "docs_per_s": round(len(docs) / total, 1), "batch_p50_s": round(statistics.median(times), 3),
            "batch_max_s": round(max(times), 3), "searches_per_batch": round(searches / len(times), 1),
            "alerts": alerts}


def paced(es: Any, idx: dict[str, str], stage: AlertStage, corpus: list[Any], rate: float, seconds: float,
          batch: int, tag: str) -> dict[str, Any]:
    docs = make_docs(corpus, int(rate * seconds), tag)
    batches = [docs[i:i + batch] for i in range(0, len(docs), batch)]
    interval = batch / rate
    handoff: queue.Queue = queue.Queue()
    searchable_at: dict[str, float] = {}
    pending: set[str] = set()
    lock = threading.Lock()
    done = threading.Event()

    def writer() -> None:
        t_next = time.monotonic()
        for b in batches:
            bulk_index(es, idx, b)
            with lock:
                pending.update(d.doc_id for d in b)
            handoff.put(b)
            t_next += interval
            time.sleep(max(0.0, t_next - time.monotonic()))
        handoff.put(None)

    def observer() -> None:
        while not done.is_set() or pending:
            with lock:
                ids = list(pending)
            if ids:
                resp = es.search(index=idx["docs"], query={"ids": {"values": ids}}, size=len(ids),
                                 source=False)
                now = time.time()
                with lock:
                    for h in resp["hits"]["hits"]:
                        if h["_id"] in pending:
                            searchable_at[h["_id"]] = now
                            pending.discard(h["_id"])
            time.sleep(0.02)

    threads = [threading.Thread(target=writer), threading.Thread(target=observer)]
    for t in threads:
        t.start()
    latencies: list[float] = []
    busy = 0.0
    handled = 0
    t_start = time.monotonic()
    max_queue = 0
    while True:
        max_queue = max(max_queue, handoff.qsize())
        b = handoff.get()
        if b is None:
            break
        rep = stage.handle_batch(b)
        busy += rep.seconds - rep.waited_s
        handled += len(b)
        with lock:
            for aid, fired in rep.fired_at.items():
                seen = searchable_at.get(rep.fired_docs[aid])
                if seen is not None:
                    latencies.append(max(0.0, fired - seen))
    elapsed = time.monotonic() - t_start
    done.set()
    for t in threads:
        t.join()
    return {"rate": rate, "docs": handled, "seconds": round(elapsed, 2),
            "stage_busy_share": round(busy / elapsed, 2),  # < 1: the stage keeps up with the rate
            "max_batches_waiting": max_queue,
            "alerts": len(latencies),
            "latency_p50_s": _r(pct(latencies, 50)), "latency_p95_s": _r(pct(latencies, 95)),
            "latency_max_s": _r(max(latencies) if latencies else None)}


def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 3)


def run(n_watches: int, args: argparse.Namespace, es: Any, settings: Any,
        corpus: list[Any]) -> dict[str, Any]:
    tag = uuid.uuid4().hex[:8]
    idx = {k: f"pwbench-{k}-{tag}" for k in ("docs", "ind", "alerts", "watches")}
    es.indices.create(index=idx["docs"], **index_body(DOCS_INDEX, settings))
    es.indices.create(index=idx["ind"], **index_body(INDICATORS_INDEX, settings))
    es.indices.create(index=idx["alerts"], **index_body(ALERTS_INDEX, settings))
    es.indices.create(index=idx["watches"], **index_body(WATCHES_INDEX, settings))
    result: dict[str, Any] = {"watches": n_watches}
    try:
        rng = random.Random(n_watches)
        created = datetime.now(UTC) - timedelta(seconds=5)
        watches = make_watches(n_watches, corpus, args.hot_share, rng, created)
        ops: list[dict] = []
        for w in watches:
            ops += [{"index": {"_index": idx["watches"], "_id": w.name}}, w.to_doc()]
        for i in range(0, len(ops), 4000):
            es.bulk(operations=ops[i:i + 4000])
        es.indices.refresh(index=idx["watches"])

        def publish(alerts: list) -> None:  # Kafka produce is measured by bench/pipeline.py
            return None

        modes = [m for m in MODES if m[0] in args.modes.split(",")]
        for key, options in modes:
            config = StageConfig(docs_index=idx["docs"], alerts_index=idx["alerts"],
                                 watches_index=idx["watches"], watch_ttl_s=3600, **options)
            stage = AlertStage(es, publish, config)
            t0 = time.perf_counter()
            stage.watches()
            load_s = time.perf_counter() - t0
            # The slow modes with many watches: a few batches are enough to know their rate.
            probe = max(args.batch * 3, 36)
            cap = capacity(es, idx, stage, corpus, probe, args.batch, f"{tag}-probe-{key}")
            if cap["docs_per_s"] >= args.rate:
                cap = capacity(es, idx, stage, corpus, args.capacity_docs, args.batch, f"{tag}-c-{key}")
            res: dict[str, Any] = {"watch_load_s": round(load_s, 3), "capacity": cap}
            if cap["docs_per_s"] >= args.rate * 0.8:
                res["paced"] = paced(es, idx, stage, corpus, args.rate, args.seconds, args.batch,
                                     f"{tag}-p-{key}")
            else:
                res["paced"] = f"skipped: capacity {cap['docs_per_s']} docs/s is below {args.rate}"
            stage.close()
            result[key] = res
    finally:
        es.indices.delete(index=list(idx.values()), ignore_unavailable=True)
    return result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--watches", default="10,1000,10000", help="comma-separated watch counts")
    ap.add_argument("--rate", type=float, default=25.0, help="paced run: documents per second")
    ap.add_argument("--seconds", type=float, default=20.0, help="paced run: how long")
    ap.add_argument("--batch", type=int, default=12, help="documents per batch (25 docs/s x 0.5 s poll)")
    ap.add_argument("--capacity-docs", type=int, default=240)
    ap.add_argument("--hot-share", type=float, default=0.10)
    ap.add_argument("--modes", default=",".join(m[0] for m in MODES),
                    help="stage variants to run: " + ", ".join(m[0] for m in MODES))
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    settings = get_settings()
    es = make_es(settings, request_timeout=300)
    corpus = [extracted(p) for p in corpus_files().values()]
    results = []
    for n in (int(x) for x in args.watches.split(",")):
        res = run(n, args, es, settings, corpus)
        results.append(res)
        if not args.json:
            print(json.dumps(res, ensure_ascii=False), flush=True)
    if args.json:
        print(json.dumps({"rate": args.rate, "batch": args.batch, "hot_share": args.hot_share,
                          "results": results}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
