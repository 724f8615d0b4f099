"""Vocabularies are data files in vocab/; this module loads each once, on first use."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

VOCAB_DIR = resources.files("processors.extract") / "vocab"  # package data

# jieba tags of words that never start or end a name: verbs, prepositions, conjunctions, adverbs,
# particles, pronouns, numerals, measure words, time words, interjections, adjectives-as-adverbs, idioms.
FUNCTION_TAGS = frozenset(
    {
        "v",
        "vd",
        "vn",
        "p",
        "c",
        "d",
        "u",
        "uj",
        "ul",
        "uz",
        "ud",
        "ug",
        "r",
        "m",
        "q",
        "t",
        "y",
        "e",
        "o",
        "ad",
        "l",
    }
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


@dataclass(frozen=True)
class MetricEntry:
    """One metric of the registry (vocab/metrics.yaml)."""

    id: str
    kinds: tuple[str, ...]
    pattern: str
    veto: str | None = None
    query_words: tuple[str, ...] = ()


@lru_cache(maxsize=1)
def metric_registry() -> tuple[MetricEntry, ...]:
    """vocab/metrics.yaml, in rule order: the one definition of every metric."""
    import yaml

    entries = yaml.safe_load((VOCAB_DIR / "metrics.yaml").read_text(encoding="utf-8"))
    return tuple(
        MetricEntry(
            id=e["id"],
            kinds=tuple(e["kinds"]),
            pattern=e["pattern"],
            veto=e.get("veto") or None,
            query_words=tuple(e.get("query_words") or ()),
        )
        for e in entries
    )


@lru_cache(maxsize=1)
def metric_rules() -> tuple[MetricRule, ...]:
    """The label rules of the registry; the first that applies wins, no rule -> other."""
    return tuple(
        MetricRule(
            metric=e.id,
            kinds=frozenset(e.kinds),
            pattern=re.compile(e.pattern),
            veto=re.compile(e.veto) if e.veto else None,
        )
        for e in metric_registry()
    )


def metric_query_words() -> dict[str, str]:
    """Query word -> metric id, from the registry (what policywatch.search.query.METRIC_WORDS must equal)."""
    return {w: e.id for e in metric_registry() for w in e.query_words}


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
