"""Score extractions against the development corpus (tests/golden/extraction/<split>/*.json).

Each corpus document is {"source": {...}, "text": ..., "expected": {<fields of policywatch extract --json>}};
every indicator of the excerpt is annotated, so precision counts every prediction.

Matching is on the number, not on a span: a predicted indicator matches a gold one when the value and the
unit agree (unit compared without 元, script and currency words, so 億元 = 亿元 = 亿), or, for a gold
indicator stated by its growth alone, when the growth agrees; a masked gold indicator matches a redacted
prediction of the same unit. Among candidates the one agreeing on most other fields wins, then the first.

Strict agreement of a matched pair: metric, growth, canonical period (with the indicator's year, else the
document's) and scope. Canonical periods: 截至9月底 = 1-9月 = 1至9月 = 前9个月 = 前三季度 -> (1, 9);
上半年 = 1-6月; 全年 = 1-12月 = a bare year ("2023年").
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from schemas.extracted import Extraction, Indicator

FIELDS = ("metric", "value", "unit", "growth", "period", "scope", "redacted")
FACTS = ("zone", "region", "doc_type", "year", "period")
SPLITS = ("tune", "blind")


@dataclass(frozen=True)
class CorpusDoc:
    id: str
    split: str
    text: str
    title: str | None
    url: str
    expected: dict[str, Any]


def load_corpus(root: str | Path, split: str) -> list[CorpusDoc]:
    """All documents of one split, in id order."""
    docs = []
    for path in sorted((Path(root) / split).glob("*.json")):
        raw = json.loads(path.read_text(encoding="utf-8"))
        src = raw.get("source") or {}
        docs.append(
            CorpusDoc(
                id=raw.get("id") or path.stem,
                split=split,
                text=raw["text"],
                title=src.get("title") or None,
                url=src.get("url", ""),
                expected=raw["expected"],
            )
        )
    return docs


# --- normalisation ---------------------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def simplified(s: str | None) -> str | None:
    if s is None:
        return None
    from processors.extract.normalize import normalize

    return normalize(s).text.strip()


def unit_key(unit: str | None) -> str:
    """亿元 / 億元 / 亿 -> 亿; 亿美元 -> 亿美; 万元人民币 -> 万; 新台币亿元 -> 亿; 家 -> 家."""
    u = simplified(unit) or ""
    for word in ("人民币", "新台币", "新臺幣", "台币", "港币", "元"):
        u = u.replace(word, "")
    return u


_CN_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def _month(tok: str) -> int | None:
    if tok.isdigit():
        return int(tok)
    if tok == "十":
        return 10
    if tok.startswith("十") and len(tok) == 2:
        return 10 + _CN_DIGITS.get(tok[1], 0)
    return _CN_DIGITS.get(tok)


_NAMED = {
    "全年": (1, 12),
    "上半年": (1, 6),
    "下半年": (7, 12),
    "前三季度": (1, 9),
    "一季度": (1, 3),
    "第一季度": (1, 3),
    "首季": (1, 3),
    "二季度": (4, 6),
    "第二季度": (4, 6),
    "三季度": (7, 9),
    "第三季度": (7, 9),
    "四季度": (10, 12),
    "第四季度": (10, 12),
}
_M = r"(\d{1,2}|十[一二]?|[一二三四五六七八九])"
_RANGE = re.compile(rf"^{_M}\s*(?:月份?)?\s*(?:-|—|–|~|至|到|——)\s*{_M}\s*月份?$")
_UPTO = re.compile(rf"^(?:截至|截止)(?:\d{{4}}年)?{_M}月(?:底|末)?$")
_FIRST = re.compile(rf"^前{_M}个?月$")
_ONE = re.compile(rf"^{_M}月份?$")
_YEAR = re.compile(r"^((?:19|20)\d{2})年?(?:全年|年度)?$")


def canonical_period(period: str | None, year: int | None) -> tuple[int | None, int, int] | None:
    """(year, first month, last month), or None when there is no period."""
    if not period:
        return None
    p = (simplified(period) or "").replace(" ", "")
    span: tuple[int, int] | None = None
    if p in _NAMED:
        span = _NAMED[p]
    elif m := _YEAR.match(p):
        year, span = int(m.group(1)), (1, 12)
    elif m := _RANGE.match(p):
        a, b = _month(m.group(1)), _month(m.group(2))
        span = (a, b) if a and b else None
    elif (m := _UPTO.match(p)) or (m := _FIRST.match(p)):
        b = _month(m.group(1))
        span = (1, b) if b else None
    elif m := _ONE.match(p):
        a = _month(m.group(1))
        span = (a, a) if a else None
    if span is None:
        return (year, -1, hash(p))  # unknown form: equal only to itself
    return (year, span[0], span[1])


def _num_eq(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(float(a), float(b), rel_tol=1e-6, abs_tol=1e-9)


# --- matching --------------------------------------------------------------------------------------------


def number_match(pred: Indicator, gold: dict[str, Any]) -> bool:
    gv, gg = gold.get("value"), gold.get("growth_pct")
    if gv is not None:
        return (
            pred.value is not None
            and _num_eq(pred.value, gv)
            and unit_key(pred.unit) == unit_key(gold.get("unit"))
        )
    if gg is not None:
        return pred.value is None and _num_eq(pred.growth_pct, gg)
    if gold.get("redacted"):
        return pred.redacted and unit_key(pred.unit) == unit_key(gold.get("unit"))
    return False


def field_ok(name: str, pred: Indicator, gold: dict[str, Any], doc_year: int | None, pred_doc_year) -> bool:
    if name == "metric":
        return pred.metric == gold.get("metric", "other")
    if name == "value":
        return _num_eq(pred.value, gold.get("value"))
    if name == "unit":
        return unit_key(pred.unit) == unit_key(gold.get("unit")) or gold.get("unit") is None
    if name == "growth":
        return _num_eq(pred.growth_pct, gold.get("growth_pct"))
    if name == "period":
        g = canonical_period(gold.get("period"), gold.get("year") or doc_year)
        p = canonical_period(pred.period, pred.year or pred_doc_year)
        if g is not None and p is not None and g[0] is None:  # the gold knows no year: months decide
            return g[1:] == p[1:]
        return g == p
    if name == "scope":
        return pred.scope == (gold.get("scope") or "actual")
    if name == "redacted":
        return bool(pred.redacted) == bool(gold.get("redacted"))
    raise KeyError(name)


STRICT = ("metric", "growth", "period", "scope")


def _agreement(pred: Indicator, gold: dict[str, Any], doc_year, pred_doc_year) -> int:
    return sum(field_ok(f, pred, gold, doc_year, pred_doc_year) for f in STRICT)


def match_doc(
    gold: list[dict[str, Any]], preds: list[Indicator], doc_year, pred_doc_year
) -> list[tuple[int, int]]:
    """(gold index, prediction index) pairs, one-to-one, in gold order."""
    used: set[int] = set()
    pairs = []
    for gi, g in enumerate(gold):
        best, best_score = None, -1
        for pi, p in enumerate(preds):
            if pi in used or not number_match(p, g):
                continue
            score = _agreement(p, g, doc_year, pred_doc_year)
            if score > best_score:
                best, best_score = pi, score
        if best is not None:
            used.add(best)
            pairs.append((gi, best))
    return pairs


# --- document facts --------------------------------------------------------------------------------------


def zone_ok(pred: str | None, gold: str | None) -> bool:
    """Equal after normalisation, or one name ends the other (开封片区 / 河南自贸试验区开封片区)."""
    p, g = simplified(pred), simplified(gold)
    if not p or not g:
        return not p and not g
    return p == g or p.endswith(g) or g.endswith(p)


def facts_ok(result: Extraction, expected: dict[str, Any]) -> dict[str, bool]:
    region = expected.get("region") or {}
    got_region = (result.region.province, result.region.city, result.region.county)
    want_region = tuple(simplified(region.get(k)) for k in ("province", "city", "county"))
    year = expected.get("year")
    return {
        "zone": zone_ok(result.zone, expected.get("zone")),
        "region": tuple(simplified(x) for x in got_region) == want_region,
        "doc_type": result.doc_type == expected.get("doc_type", "other"),
        "year": result.year == year,
        "period": canonical_period(result.period, result.year)
        == canonical_period(expected.get("period"), year),
    }


# --- the report ------------------------------------------------------------------------------------------


@dataclass
class Tally:
    docs: int = 0
    gold: int = 0
    pred: int = 0
    matched: int = 0
    strict: int = 0
    field_correct: Counter = field(default_factory=Counter)
    facts: Counter = field(default_factory=Counter)
    metric_gold: Counter = field(default_factory=Counter)
    metric_pred: Counter = field(default_factory=Counter)
    metric_hit: Counter = field(default_factory=Counter)  # matched and metric right, by gold metric
    misses: list[str] = field(default_factory=list)
    extras: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)
    fact_errors: list[str] = field(default_factory=list)


def _show(d: dict[str, Any] | Indicator) -> str:
    if isinstance(d, Indicator):
        v, u, g, per, sc, m = d.value, d.unit, d.growth_pct, d.period, d.scope, d.metric
        label = d.label
    else:
        v, u, g, per = d.get("value"), d.get("unit"), d.get("growth_pct"), d.get("period")
        sc, m, label = d.get("scope", "actual"), d.get("metric"), d.get("label")
    num = f"{v:g}{u or ''}" if v is not None else ""
    gr = f" {g:+g}%" if g is not None else ""
    return f"{label}={num}{gr} [{m}|{per}|{sc}]"


def score_doc(doc: CorpusDoc, result: Extraction, t: Tally) -> None:
    exp = doc.expected
    gold = exp.get("indicators") or []
    preds = list(result.indicators)
    pairs = match_doc(gold, preds, exp.get("year"), result.year)
    t.docs += 1
    t.gold += len(gold)
    t.pred += len(preds)
    t.matched += len(pairs)
    hit_gold = {gi for gi, _ in pairs}
    hit_pred = {pi for _, pi in pairs}
    for g in gold:
        t.metric_gold[g.get("metric", "other")] += 1
    for p in preds:
        t.metric_pred[p.metric] += 1
    for gi, g in enumerate(gold):
        if gi not in hit_gold:
            t.misses.append(f"{doc.id}: {_show(g)}")
    for pi, p in enumerate(preds):
        if pi not in hit_pred:
            t.extras.append(f"{doc.id}: {_show(p)}")
    for gi, pi in pairs:
        g, p = gold[gi], preds[pi]
        ok = {f: field_ok(f, p, g, exp.get("year"), result.year) for f in FIELDS}
        for f, good in ok.items():
            t.field_correct[f] += good
        if ok["metric"]:
            t.metric_hit[g.get("metric", "other")] += 1
        if all(ok[f] for f in STRICT):
            t.strict += 1
        else:
            bad = ",".join(f for f in STRICT if not ok[f])
            t.wrong.append(f"{doc.id}: {bad}: gold {_show(g)} got {_show(p)}")
    for name, good in facts_ok(result, exp).items():
        t.facts[name] += good
        if not good:
            got = {
                "zone": result.zone,
                "region": [result.region.province, result.region.city, result.region.county],
                "doc_type": result.doc_type,
                "year": result.year,
                "period": result.period,
            }[name]
            want = exp.get(name) if name != "region" else list((exp.get("region") or {}).values())
            t.fact_errors.append(f"{doc.id}: {name} want {want!r} got {got!r}")


def _ratio(a: int, b: int) -> float:
    return round(a / b, 4) if b else 1.0


def _f1(p: float, r: float) -> float:
    return round(2 * p * r / (p + r), 4) if p + r else 0.0


def report(t: Tally) -> dict[str, Any]:
    p, r = _ratio(t.matched, t.pred), _ratio(t.matched, t.gold)
    sp, sr = _ratio(t.strict, t.pred), _ratio(t.strict, t.gold)
    metrics = sorted(set(t.metric_gold) | set(t.metric_pred))
    return {
        "documents": t.docs,
        "indicators": {
            "gold": t.gold,
            "predicted": t.pred,
            "matched": t.matched,
            "precision": p,
            "recall": r,
            "f1": _f1(p, r),
        },
        "strict": {"correct": t.strict, "precision": sp, "recall": sr, "f1": _f1(sp, sr)},
        "fields": {
            f: {
                "accuracy_on_matched": _ratio(t.field_correct[f], t.matched),
                "precision": _ratio(t.field_correct[f], t.pred),
                "recall": _ratio(t.field_correct[f], t.gold),
            }
            for f in FIELDS
        },
        "metrics": {
            m: {
                "gold": t.metric_gold[m],
                "predicted": t.metric_pred[m],
                "matched_with_metric": t.metric_hit[m],
                "recall": _ratio(t.metric_hit[m], t.metric_gold[m]),
                "precision": _ratio(t.metric_hit[m], t.metric_pred[m]),
            }
            for m in metrics
        },
        "facts": {f: _ratio(t.facts[f], t.docs) for f in FACTS},
        "misses": t.misses,
        "extras": t.extras,
        "field_errors": t.wrong,
        "fact_errors": t.fact_errors,
    }


def score(docs: list[CorpusDoc], results: dict[str, Extraction]) -> dict[str, Any]:
    t = Tally()
    for doc in docs:
        score_doc(doc, results[doc.id], t)
    return report(t)
