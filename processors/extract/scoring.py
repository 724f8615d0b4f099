"""Score extractions against hand-written gold (tests/golden/gold/seeds.yaml): precision and recall per field.

A predicted indicator matches a gold one when its span overlaps the gold anchor (a piece of the text
that holds the value). Precision counts only documents whose gold is complete (every indicator
annotated); recall counts every gold indicator.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from schemas.extracted import Extraction, Indicator

FIELDS = ("metric", "value", "unit", "growth", "period", "scope")
FACTS = ("zone", "region", "doc_type", "year", "period")


@dataclass
class GoldIndicator:
    anchor: str
    span: tuple[int, int]
    expected: dict[str, Any]


@dataclass
class GoldDoc:
    file: str
    complete: bool
    facts: dict[str, Any]
    indicators: list[GoldIndicator]


@dataclass
class Counts:
    pred: int = 0  # predictions in complete documents
    gold: int = 0
    tp_pred: int = 0  # matched predictions in complete documents
    tp_gold: int = 0  # matched gold indicators
    field_pred: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIELDS, 0))
    field_gold: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIELDS, 0))
    facts_ok: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FACTS, 0))
    facts_n: int = 0
    misses: list[str] = field(default_factory=list)
    extras: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)


def _locate(text: str, anchor: str, nth: int = 1) -> tuple[int, int]:
    pos = -1
    for _ in range(nth):
        pos = text.find(anchor, pos + 1)
        if pos < 0:
            raise ValueError(f"gold anchor not found: {anchor!r} (#{nth})")
    return pos, pos + len(anchor)


def load_gold(path: str | Path, seeds_dir: str | Path) -> list[GoldDoc]:
    import yaml

    docs = []
    for entry in yaml.safe_load(Path(path).read_text(encoding="utf-8")):
        text = (Path(seeds_dir) / entry["file"]).read_text(encoding="utf-8")
        items = []
        for ind in entry.get("indicators") or []:
            span = _locate(text, ind["anchor"], int(ind.get("nth", 1)))
            items.append(GoldIndicator(ind["anchor"], span, ind))
        docs.append(GoldDoc(entry["file"], bool(entry.get("complete")), entry.get("facts") or {}, items))
    return docs


def _num_eq(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(float(a), float(b), rel_tol=1e-6, abs_tol=1e-9)


def field_ok(name: str, pred: Indicator, gold: dict[str, Any]) -> bool:
    if name == "metric":
        return pred.metric == gold.get("metric", "other")
    if name == "value":
        return _num_eq(pred.value, gold.get("value"))
    if name == "unit":
        return (pred.unit or None) == (gold.get("unit") or None) or (
            gold.get("value") is None and gold.get("unit") is None
        )
    if name == "growth":
        return _num_eq(pred.growth_pct, gold.get("growth"))
    if name == "period":
        return (pred.period or None) == (gold.get("period") or None)
    if name == "scope":
        return pred.scope == gold.get("scope", "actual")
    raise KeyError(name)


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> int:
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def score_doc(doc: GoldDoc, result: Extraction, counts: Counts) -> None:
    preds = list(result.indicators)
    used: set[int] = set()
    pairs: list[tuple[Indicator, GoldIndicator]] = []
    for g in doc.indicators:
        best, best_ov = None, 0
        for i, p in enumerate(preds):
            ov = _overlap(tuple(p.span), g.span)
            if i not in used and ov > best_ov:
                best, best_ov = i, ov
        if best is None:
            counts.misses.append(f"{doc.file}: {g.anchor}")
            continue
        used.add(best)
        pairs.append((preds[best], g))
    counts.gold += len(doc.indicators)
    counts.tp_gold += len(pairs)
    if doc.complete:
        counts.pred += len(preds)
        counts.tp_pred += len(pairs)
        for i, p in enumerate(preds):
            if i not in used:
                counts.extras.append(f"{doc.file}: {p.label} {p.value}{p.unit or ''} @{p.span}")
    for p, g in pairs:
        for f in FIELDS:
            if field_ok(f, p, g.expected):
                counts.field_gold[f] += 1
                if doc.complete:
                    counts.field_pred[f] += 1
            else:
                counts.wrong.append(f"{doc.file}: {g.anchor} {f}")
    counts.facts_n += 1
    facts = doc.facts
    region = [result.region.province, result.region.city, result.region.county]
    got = {
        "zone": result.zone,
        "region": region,
        "doc_type": result.doc_type,
        "year": result.year,
        "period": result.period,
    }
    for f in FACTS:
        if f in facts and (facts[f] == got[f]):
            counts.facts_ok[f] += 1


def _ratio(a: int, b: int) -> float:
    return round(a / b, 4) if b else 1.0


def report(counts: Counts) -> dict[str, Any]:
    return {
        "indicators": {
            "precision": _ratio(counts.tp_pred, counts.pred),
            "recall": _ratio(counts.tp_gold, counts.gold),
            "predicted_in_complete_docs": counts.pred,
            "gold": counts.gold,
        },
        "fields": {
            f: {
                "precision": _ratio(counts.field_pred[f], counts.pred),
                "recall": _ratio(counts.field_gold[f], counts.gold),
            }
            for f in FIELDS
        },
        "facts": {f: _ratio(counts.facts_ok[f], counts.facts_n) for f in FACTS},
        "misses": counts.misses,
        "extras": counts.extras,
        "field_errors": counts.wrong,
    }


def score(gold: list[GoldDoc], results: dict[str, Extraction]) -> dict[str, Any]:
    counts = Counts()
    for doc in gold:
        score_doc(doc, results[doc.file], counts)
    return report(counts)
