"""Vocabularies are data files in vocab/; this module loads each once, on first use."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

VOCAB_DIR = Path(__file__).with_name("vocab")

# jieba tags of words that never start or end a name: verbs, prepositions, conjunctions, adverbs,
# particles, pronouns, numerals, measure words, time words, interjections, adjectives-as-adverbs, idioms.
FUNCTION_TAGS = frozenset(
    {"v", "vd", "vn", "p", "c", "d", "u", "uj", "ul", "uz", "ud", "ug", "r", "m", "q", "t", "y", "e", "o",
     "ad", "l"}
)


def _lines(name: str) -> list[str]:
    out = []
    for line in (VOCAB_DIR / name).read_text(encoding="utf-8").splitlines():
        line = line.rstrip("\n")
        if line.strip() and not line.lstrip().startswith("#"):
            out.append(line)
    return out


@dataclass(frozen=True)
class MetricRule:
    metric: str
    kinds: frozenset[str]
    pattern: re.Pattern[str]
    veto: re.Pattern[str] | None


@lru_cache(maxsize=1)
def metric_rules() -> tuple[MetricRule, ...]:
    rules = []
    for line in _lines("metrics.txt"):
        parts = line.split("\t")
        metric, kinds, pattern = parts[0], parts[1], parts[2]
        veto = parts[3] if len(parts) > 3 and parts[3].strip() else None
        rules.append(
            MetricRule(
                metric=metric,
                kinds=frozenset(kinds.split(",")),
                pattern=re.compile(pattern),
                veto=re.compile(veto) if veto else None,
            )
        )
    return tuple(rules)


def _alternation(words: list[str]) -> re.Pattern[str]:
    words = sorted(set(words), key=len, reverse=True)
    return re.compile("|".join(re.escape(w) for w in words))


@lru_cache(maxsize=1)
def econ_pattern() -> re.Pattern[str]:
    return _alternation(_lines("econ_keywords.txt"))


@lru_cache(maxsize=1)
def veto_pattern() -> re.Pattern[str]:
    return _alternation(_lines("veto_keywords.txt"))


@lru_cache(maxsize=1)
def count_noun_pattern() -> re.Pattern[str]:
    return _alternation(_lines("count_nouns.txt"))


@lru_cache(maxsize=1)
def zone_suffixes() -> tuple[tuple[str, str], ...]:
    rows = [tuple(line.split("\t")[:2]) for line in _lines("zone_suffixes.txt")]
    return tuple(sorted(rows, key=lambda r: len(r[0]), reverse=True))  # type: ignore[arg-type]


@lru_cache(maxsize=1)
def industries() -> tuple[str, ...]:
    return tuple(sorted(set(_lines("industries.txt")), key=len, reverse=True))


@lru_cache(maxsize=1)
def industry_pattern() -> re.Pattern[str]:
    return _alternation(list(industries()))


def classify_metric(label: str, kind: str) -> str:
    """Label as written (simplified) + the kind of statement (money, count, growth) -> metric."""
    for rule in metric_rules():
        if kind not in rule.kinds and "any" not in rule.kinds:
            continue
        if rule.pattern.search(label) and not (rule.veto and rule.veto.search(label)):
            return rule.metric
    return "other"
