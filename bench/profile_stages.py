"""CPU per document of each stage alone, with a profile: no Kafka, no Elasticsearch.

Each stage runs its whole per-message path in this process over synthetic pages
(``processors.synthetic``): decode the topic payload into the stage's contract (what the runner does),
the stage core, and encode what it sends on — the next topic's JSON for clean and extract, the ``_bulk``
body (serialised by the Elasticsearch client's own serializer) for index. CPU time is
``time.process_time`` (this process, user + system), so the figure holds on a loaded machine where
wall-clock rates do not.

    python bench/profile_stages.py                    # 300 pages, ms/doc per stage + top functions
    python bench/profile_stages.py -n 500 --json      # one JSON object
    python bench/profile_stages.py --top 25 --stage extract
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from processors.synthetic import raw_documents  # noqa: E402
from schemas import CleanedDocument, ExtractedDocument, RawDocument  # noqa: E402

STAGES = ("clean", "extract", "index")


def _clean(payloads: list[bytes]) -> list[bytes]:
    from processors.clean import MemoryFingerprintStore, link_duplicates, prepare

    store = MemoryFingerprintStore()
    out = []
    for i in range(0, len(payloads), 100):  # batches as the runner hands them over
        raws = [RawDocument.model_validate_json(p) for p in payloads[i:i + 100]]
        docs = link_duplicates([prepare(r) for r in raws], store)
        out += [d.model_dump_json().encode() for d in docs]
    return out


def _extract(payloads: list[bytes]) -> list[bytes]:
    from processors.extract import extract_document

    return [
        extract_document(CleanedDocument.model_validate_json(p)).model_dump_json().encode() for p in payloads
    ]


def _bulk_serializer():
    """The NDJSON serializer of the project's Elasticsearch client (make_es; no connection is made)."""
    from policywatch.core.elasticsearch import make_es
    from policywatch.core.settings import get_settings

    return make_es(get_settings()).transport.serializers.get_serializer("application/x-ndjson")


def _index(payloads: list[bytes]) -> list[bytes]:
    from processors.index import bulk_actions

    serializer = _bulk_serializer()
    bodies = []
    for i in range(0, len(payloads), 100):
        lines: list[dict] = []
        for p in payloads[i:i + 100]:
            for header, body in bulk_actions(ExtractedDocument.model_validate_json(p)):
                lines.append(header)
                if body is not None:
                    lines.append(body)
        bodies.append(serializer.dumps(lines))
    return bodies


RUNNERS: dict[str, Callable[[list[bytes]], list[bytes]]] = {
    "clean": _clean,
    "extract": _extract,
    "index": _index,
}


def _warm() -> None:
    """Load jieba's dictionary, the vocabularies and the gazetteer outside the measurement."""
    from processors.clean import MemoryFingerprintStore, link_duplicates, prepare
    from processors.extract import extract_document
    from processors.index import bulk_actions

    (raw,) = raw_documents(1, source_id="warm")
    doc = extract_document(link_duplicates([prepare(raw)], MemoryFingerprintStore())[0])
    bulk_actions(doc)


def measure(n: int, stages: list[str], top: int) -> dict:
    raws = raw_documents(n, source_id="profile")
    _warm()
    payload = [r.model_dump_json().encode() for r in raws]
    out: dict = {"n": n, "page_kb_mean": round(sum(len(r.body) for r in raws) / n / 1024, 1), "stages": {}}
    inputs = {"clean": payload}
    for name in STAGES:
        data = inputs[name]
        profiler = cProfile.Profile(time.process_time)
        t0 = time.process_time()
        profiler.enable()
        result = RUNNERS[name](data)
        profiler.disable()
        cpu = time.process_time() - t0
        if name == "clean":
            inputs["extract"] = result
        elif name == "extract":
            inputs["index"] = result
        if name not in stages:
            continue
        # a second, unprofiled pass: cProfile's own overhead inflates the first figure
        t0 = time.process_time()
        RUNNERS[name](data)
        plain = time.process_time() - t0
        stream = io.StringIO()
        stats = pstats.Stats(profiler, stream=stream)
        rows = sorted(stats.stats.items(), key=lambda kv: kv[1][2], reverse=True)[:top]  # by own time
        out["stages"][name] = {
            "cpu_ms_per_doc": round(plain / n * 1000, 2),
            "profiled_ms_per_doc": round(cpu / n * 1000, 2),
            "in_kb_mean": round(sum(len(d) for d in data) / len(data) / 1024, 1),
            "top_own_time": [
                {
                    "function": f"{Path(file).name}:{line}({func})",
                    "own_ms_per_doc": round(tt / n * 1000, 3),
                    "cum_ms_per_doc": round(ct / n * 1000, 3),
                    "calls_per_doc": round(nc / n, 1),
                }
                for (file, line, func), (_cc, nc, tt, ct, _callers) in rows
            ],
        }
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=300, help="pages (default 300)")
    ap.add_argument("--stage", action="append", choices=STAGES, help="profile only this stage (repeatable)")
    ap.add_argument("--top", type=int, default=15, help="functions listed per stage, by own time")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args(argv)
    out = measure(args.n, args.stage or list(STAGES), args.top)
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
        return 0
    print(f"{out['n']} pages, {out['page_kb_mean']} KB mean")
    for name, s in out["stages"].items():
        print(f"\n{name}: {s['cpu_ms_per_doc']} ms CPU/doc ({s['profiled_ms_per_doc']} under the profiler), "
              f"input {s['in_kb_mean']} KB/doc")
        print(f"  {'own ms/doc':>10} {'cum ms/doc':>10} {'calls/doc':>9}  function")
        for row in s["top_own_time"]:
            print(f"  {row['own_ms_per_doc']:>10} {row['cum_ms_per_doc']:>10} {row['calls_per_doc']:>9}  "
                  f"{row['function']}")
    total = sum(s["cpu_ms_per_doc"] for s in out["stages"].values())
    print(f"\ntotal {total:.1f} ms CPU/doc over {', '.join(out['stages'])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
