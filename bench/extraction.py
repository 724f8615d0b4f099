"""Extraction benchmark: scores and milliseconds per document, offline.

    .venv/bin/python bench/extraction.py                 # seeds and the tuning part of the corpus
    .venv/bin/python bench/extraction.py --split blind   # the blind part (only when the work is done)
    .venv/bin/python bench/extraction.py --split all     # seeds, tune and blind
    .venv/bin/python bench/extraction.py --json          # the same as one JSON object
    .venv/bin/python bench/extraction.py --runs 20       # more timing runs per document
    .venv/bin/python bench/extraction.py --errors 30     # print up to 30 misses/extras/field errors per split

Seeds: tests/golden/gold/seeds.yaml (anchored gold; precision over the documents whose gold is complete).
Corpus: tests/golden/extraction/<tune|blind>/*.json, real report excerpts annotated in full; a match is on
the number (value and unit, or growth alone), strict = metric + growth + canonical period + scope
(processors/extract/corpus.py). Timing: every document is extracted once to load the dictionaries
(jieba, OpenCC, gazetteer: excluded), then --runs times; ms/doc is the mean over documents of the median
wall and thread-CPU time (the CPU figure is what one core spends).
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

from processors.extract import corpus, extract_text  # noqa: E402
from processors.extract.scoring import FIELDS, load_gold, score  # noqa: E402

CORPUS = ROOT / "tests" / "golden" / "extraction"


def _timing(texts: dict[str, tuple[str, str | None]], runs: int) -> dict:
    per = {}
    for name, (text, title) in texts.items():
        wall, cpu = [], []
        for _ in range(runs):
            w0, c0 = time.perf_counter(), time.thread_time()
            extract_text(text, title=title)
            cpu.append(time.thread_time() - c0)
            wall.append(time.perf_counter() - w0)
        per[name] = {
            "chars": len(text),
            "ms_wall_median": round(statistics.median(wall) * 1000, 2),
            "ms_cpu_median": round(statistics.median(cpu) * 1000, 2),
        }
    chars = max(1, sum(t["chars"] for t in per.values()))
    return {
        "ms_per_doc_wall": round(statistics.mean(t["ms_wall_median"] for t in per.values()), 2),
        "ms_per_doc_cpu": round(statistics.mean(t["ms_cpu_median"] for t in per.values()), 2),
        "ms_per_1000_chars_cpu": round(1000 * sum(t["ms_cpu_median"] for t in per.values()) / chars, 2),
        "documents": per,
    }


def seeds_part(runs: int) -> dict:
    gold = load_gold(ROOT / "tests" / "golden" / "gold" / "seeds.yaml", ROOT / "seeds")
    texts = {d.file: ((ROOT / "seeds" / d.file).read_text(encoding="utf-8"), None) for d in gold}
    results = {name: extract_text(text) for name, (text, _) in texts.items()}
    rep = score(gold, results)
    return {"scores": rep, "timing": _timing(texts, runs)}


def corpus_part(split: str, runs: int, root: Path = CORPUS) -> dict:
    docs = corpus.load_corpus(root, split)
    if not docs:
        return {"scores": None, "timing": None, "note": f"no {split} documents yet"}
    results = {d.id: extract_text(d.text, title=d.title) for d in docs}
    rep = corpus.score(docs, results)
    texts = {d.id: (d.text, d.title) for d in docs}
    return {"scores": rep, "timing": _timing(texts, runs)}


def _print_seeds(part: dict) -> None:
    rep, tm = part["scores"], part["timing"]
    ind = rep["indicators"]
    print(f"== seeds ({len(tm['documents'])} documents)")
    print(f"indicators  precision {ind['precision']:.3f}  recall {ind['recall']:.3f}  (gold {ind['gold']})")
    print(
        "  "
        + "  ".join(
            f"{f} P{rep['fields'][f]['precision']:.2f}/R{rep['fields'][f]['recall']:.2f}" for f in FIELDS
        )
    )
    print("facts       " + "  ".join(f"{k} {v:.2f}" for k, v in rep["facts"].items()))
    for label in ("misses", "extras", "field_errors"):
        if rep[label]:
            print(f"{label}: " + "; ".join(rep[label]))
    print(f"ms/doc: wall {tm['ms_per_doc_wall']}, cpu {tm['ms_per_doc_cpu']}")


def _print_corpus(split: str, part: dict, errors: int) -> None:
    if part["scores"] is None:
        print(f"== {split}: {part['note']}")
        return
    rep, tm = part["scores"], part["timing"]
    ind, st = rep["indicators"], rep["strict"]
    print(f"== {split} ({rep['documents']} documents, {ind['gold']} gold indicators)")
    print(
        f"indicators  precision {ind['precision']:.3f}  recall {ind['recall']:.3f}  F1 {ind['f1']:.3f}  "
        f"(predicted {ind['predicted']}, matched {ind['matched']})"
    )
    print(f"strict      precision {st['precision']:.3f}  recall {st['recall']:.3f}  F1 {st['f1']:.3f}")
    print(
        "fields (accuracy on matched): "
        + "  ".join(f"{f} {v['accuracy_on_matched']:.2f}" for f, v in rep["fields"].items())
    )
    print("facts       " + "  ".join(f"{k} {v:.2f}" for k, v in rep["facts"].items()))
    print(f"{'metric':<34}{'gold':>6}{'pred':>6}{'R':>7}{'P':>7}")
    for m, v in rep["metrics"].items():
        print(f"{m:<34}{v['gold']:>6}{v['predicted']:>6}{v['recall']:>7.2f}{v['precision']:>7.2f}")
    for label in ("misses", "extras", "field_errors", "fact_errors"):
        items = rep[label]
        if items and errors:
            print(f"{label} ({len(items)}): " + "; ".join(items[:errors]))
    print(
        f"ms/doc: wall {tm['ms_per_doc_wall']}, cpu {tm['ms_per_doc_cpu']} "
        f"(cpu {tm['ms_per_1000_chars_cpu']} ms per 1000 chars)"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--split",
        choices=("dev", "seeds", "tune", "blind", "all"),
        default="dev",
        help="dev = seeds + tune (default); blind only when asked",
    )
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--runs", type=int, default=5, help="timing runs per document (default 5)")
    ap.add_argument("--errors", type=int, default=0, help="print up to N errors of each kind per split")
    args = ap.parse_args(argv)
    parts = {"dev": ["seeds", "tune"], "all": ["seeds", "tune", "blind"]}.get(args.split, [args.split])

    t0 = time.perf_counter()
    extract_text("2023年XX经济开发区营业收入1亿元。")  # load the dictionaries once
    out: dict = {"first_call_s_including_dictionary_load": round(time.perf_counter() - t0, 2)}
    for name in parts:
        out[name] = seeds_part(args.runs) if name == "seeds" else corpus_part(name, args.runs)
    if args.json:
        print(json.dumps(out, ensure_ascii=False, indent=2))
        return 0
    for name in parts:
        if name == "seeds":
            _print_seeds(out[name])
        else:
            _print_corpus(name, out[name], args.errors)
    print(f"(dictionary load excluded; first call {out['first_call_s_including_dictionary_load']} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
