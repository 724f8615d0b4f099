"""Web interface benchmark: how long every page takes on the demo data (goal: ≤ 300 ms each).

    .venv/bin/python bench/web.py                 # 20 requests per page after one warm-up
    .venv/bin/python bench/web.py --requests 50 --json

The demo data is what `make demo` indexes: the five seeds through the real clean and extract code, indexed
with the index stage's own bulk actions, here into private indices created from the templates (deleted
afterwards, so nothing touches policy-*), plus a watch, an alert per seed (delivered, failed or feed only,
in turn) and a source-health verdict.
The app runs in uvicorn on a loopback port; each request is timed end to end by an HTTP client (server
render, Elasticsearch round trips and transfer). Exit status 1 when a page's p95 is over the budget.
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import sys
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BUDGET_MS = 300.0
KEYS = ("docs", "indicators", "alerts", "watches", "health")


def _seed_docs() -> list[Any]:
    from processors.clean import prepare
    from processors.extract import extract_document
    from processors.replay import raw_document_for_file

    paths = sorted((ROOT / "seeds").glob("*.txt"))
    return [extract_document(prepare(raw_document_for_file(p))) for p in paths]


def _load(es: Any, settings: Any, names: dict[str, str], docs: list[Any]) -> None:
    from policywatch.provision.elasticsearch import index_body
    from policywatch.search.watches import WatchStore, new_watch
    from processors.index import bulk_actions

    for key, alias in zip(KEYS, ("policy-docs", "policy-indicators", "policy-alerts", "policy-watches",
                                 "policy-source-health"), strict=True):
        es.indices.create(index=names[key], **index_body(alias, settings))
    ops: list[dict] = []
    outcomes = [{"delivery": "delivered", "delivery_attempts": 1},
                {"delivery": "failed", "delivery_attempts": 3,
                 "delivery_error": "timeout: no answer from https://hooks.example.org/pw in 5 s"},
                {"delivery": "none"}]
    for n, doc in enumerate(docs):
        for header, body in bulk_actions(doc, docs_index=names["docs"], indicators_index=names["indicators"]):
            ops.append(header)
            if body is not None:
                ops.append(body)
        ops.append({"index": {"_index": names["alerts"], "_id": f"bench-{doc.doc_id}"}})
        ops.append({"alert_id": f"bench-{doc.doc_id}", "watch": "bench", "doc_id": doc.doc_id,
                    "title": doc.title, "url": doc.url, "zone": doc.extraction.zone,
                    "matched_at": datetime.now(UTC).isoformat(), "highlights": [],
                    **outcomes[n % len(outcomes)]})
    now = datetime.now(UTC).isoformat()
    ops.append({"index": {"_index": names["health"], "_id": "bench-source"}})
    ops.append({"source_id": "bench-source", "name": "bench source", "state": "ok", "checked_at": now,
                "last_run_at": now, "listed": 10, "new": 2, "consecutive_failures": 0})
    resp = es.bulk(operations=ops, refresh="wait_for")
    if resp["errors"]:
        raise SystemExit(f"bench data not indexed: {resp['items'][:2]}")
    WatchStore(es, names["watches"]).add(new_watch("bench", query="生物医药"))


def _pages(docs: list[Any]) -> dict[str, tuple[str, Any]]:
    gdp_zones = sorted({d.extraction.zone for d in docs if d.extraction.zone
                        and any(i.metric == "gdp" for i in d.extraction.indicators)})
    biggest = max(docs, key=lambda d: len(d.text))
    return {
        "/": ("/", None),
        "/search 生物医药": ("/search", {"q": "生物医药"}),
        "/search 生物醫藥 +filters": ("/search", {"q": "生物醫藥", "region": "济南", "since": "2022"}),
        "/search * page 1": ("/search", {"q": "*"}),
        f"/doc (largest, {len(biggest.text)} chars)": (f"/doc/{biggest.doc_id}", None),
        "/indicators gdp": ("/indicators", [("metric", "gdp"), *(("zone", z) for z in gdp_zones)]),
        "/indicators.csv": ("/indicators.csv", [("metric", "gdp"), *(("zone", z) for z in gdp_zones)]),
        "/indicators.xlsx": ("/indicators.xlsx", [("metric", "gdp"), *(("zone", z) for z in gdp_zones)]),
        "/watches": ("/watches", None),
        "/alerts": ("/alerts", None),
        "/sources": ("/sources", None),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20, help="timed requests per page")
    parser.add_argument("--json", action="store_true", help="one JSON object instead of the table")
    args = parser.parse_args()

    import httpx
    import uvicorn

    from policywatch.bootstrap import build_search_client
    from policywatch.core.settings import get_settings
    from policywatch.web import WebConfig, create_app

    settings = get_settings()
    es = build_search_client(settings)
    tag = uuid.uuid4().hex[:8]
    names = {k: f"pwbench-web{k}-{tag}" for k in KEYS}
    docs = _seed_docs()
    server = None
    try:
        _load(es, settings, names, docs)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        app = create_app(es, WebConfig(**{f"{k}_index": v for k, v in names.items()}))
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        threading.Thread(target=server.run, daemon=True).start()
        while not server.started:
            time.sleep(0.05)
        results: dict[str, dict[str, float]] = {}
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            for label, (path, params) in _pages(docs).items():
                client.get(path, params=params).raise_for_status()  # warm-up (imports, caches)
                times = []
                for _ in range(args.requests):
                    t0 = time.perf_counter()
                    client.get(path, params=params).raise_for_status()
                    times.append((time.perf_counter() - t0) * 1000)
                times.sort()
                results[label] = {"median_ms": round(statistics.median(times), 1),
                                  "p95_ms": round(times[max(0, int(len(times) * 0.95) - 1)], 1),
                                  "max_ms": round(times[-1], 1)}
    finally:
        if server is not None:
            server.should_exit = True
        es.indices.delete(index=list(names.values()), ignore_unavailable=True)
        es.close()
    over = [k for k, v in results.items() if v["p95_ms"] > BUDGET_MS]
    if args.json:
        print(json.dumps({"budget_ms": BUDGET_MS, "requests": args.requests, "pages": results,
                          "over_budget": over}, ensure_ascii=False))
    else:
        print(f"{'page':40} {'median':>8} {'p95':>8} {'max':>8}   (ms, {args.requests} requests each)")
        for label, v in results.items():
            flag = "  OVER" if label in over else ""
            print(f"{label:40} {v['median_ms']:8.1f} {v['p95_ms']:8.1f} {v['max_ms']:8.1f}{flag}")
        verdict = "all within" if not over else f"over: {', '.join(over)}"
        print(f"budget {BUDGET_MS:.0f} ms per page (p95): {verdict}")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
