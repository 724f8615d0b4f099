"""Extraction benchmark: scores against the seed gold and milliseconds per document, offline.

    .venv/bin/python bench/extraction.py            # table of scores and ms per seed
    .venv/bin/python bench/extraction.py --json     # the same as one JSON object
    .venv/bin/python bench/extraction.py --runs 20  # more timing runs per document

Scores: tests/golden/gold/seeds.yaml (hand-written; precision over the documents whose gold is complete,
recall
over all gold indicators), per field: metric, value, unit, growth, period, scope; and the document facts.
Timing: each seed is extracted once to load the dictionaries (jieba, OpenCC, gazetteer: excluded), then
--runs times; ms/doc is the median wall time and the median CPU time of the thread (the CPU figure is
what one core spends; the wall figure also counts waiting on a busy machine).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from processors.extract import extract_text  # noqa: E402
from processors.extract.scoring import FIELDS, load_gold, score  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--runs", type=int, default=10, help="timing runs per document (default 10)")
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    gold = load_gold(ROOT / "tests" / "golden" / "gold" / "seeds.yaml", ROOT / "seeds")
    texts = {d.file: (ROOT / "seeds" / d.file).read_text(encoding="utf-8") for d in gold}
    results = {name: extract_text(text) for name, text in texts.items()}  # cold: loads dictionaries
    cold_s = time.perf_counter() - t0
    report = score(gold, results)

    timing = {}
    for name, text in texts.items():
        wall, cpu = [], []
        for _ in range(args.runs):
            w0, c0 = time.perf_counter(), time.thread_time()
            extract_text(text)
            cpu.append(time.thread_time() - c0)
            wall.append(time.perf_counter() - w0)
        timing[name] = {
            "chars": len(text),
            "indicators": len(results[name].indicators),
            "ms_wall_median": round(statistics.median(wall) * 1000, 2),
            "ms_cpu_median": round(statistics.median(cpu) * 1000, 2),
        }
    out = {
        "scores": {k: report[k] for k in ("indicators", "fields", "facts")},
        "misses": report["misses"],
        "extras": report["extras"],
        "field_errors": report["field_errors"],
        "timing": timing,
        "ms_per_doc_wall": round(statistics.mean(t["ms_wall_median"] for t in timing.values()), 2),
        "ms_per_doc_cpu": round(statistics.mean(t["ms_cpu_median"] for t in timing.values()), 2),
        "first_call_s_including_dictionary_load": round(cold_s, 2),
    }
    if args.json:
        print(json.dumps(out, ensure_ascii=False, indent=2))
        return 0
    ind = report["indicators"]
    print(
        f"indicators  precision {ind['precision']:.3f}  recall {ind['recall']:.3f}  "
        f"(gold {ind['gold']}, predicted in complete docs {ind['predicted_in_complete_docs']})"
    )
    for f in FIELDS:
        s = report["fields"][f]
        print(f"  {f:<8} precision {s['precision']:.3f}  recall {s['recall']:.3f}")
    print("facts       " + "  ".join(f"{k} {v:.2f}" for k, v in report["facts"].items()))
    for label, items in (
        ("missed", report["misses"]),
        ("extra", report["extras"]),
        ("field errors", report["field_errors"]),
    ):
        if items:
            print(f"{label}: " + "; ".join(items))
    print(f"{'document':<28}{'chars':>7}{'indicators':>12}{'ms wall':>10}{'ms cpu':>9}")
    for name, t in timing.items():
        print(
            f"{name:<28}{t['chars']:>7}{t['indicators']:>12}{t['ms_wall_median']:>10}{t['ms_cpu_median']:>9}"
        )
    print(
        f"mean ms/doc: wall {out['ms_per_doc_wall']}, cpu {out['ms_per_doc_cpu']} "
        f"(dictionary load excluded; first call {out['first_call_s_including_dictionary_load']} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
