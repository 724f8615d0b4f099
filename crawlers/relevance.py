"""Which listed items are zone reports: the keyword filter, with the zone vocabulary the extractor uses.

A title that passes `keywords` is kept. A title that has a report word but names no zone is not dropped
on the title alone when `require_zone` is set: the list context (the list page's column name and title,
the source's own name for a zone site) or, failing that, the article body may say it is a zone report
(`needs_body`). Every drop has a reason, which the run report lists under `filtered`.

The zone words are the extractor's zone suffixes (processors/extract/vocab/zone_suffixes.txt),
read as a data file so that the crawler does not import the processors package, plus the
listing-only words below.
"""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from crawlers.sources import KeywordFilter, Source

_VOCAB_CANDIDATES = ("extract/vocab/zone_suffixes.txt",)
# Kept here only for a tree without the processors package (a crawler-only install).
_FALLBACK_ZONE_WORDS = ("开发区", "高新区", "经开区", "保税区", "新区", "园区", "产业园", "工业园")
# Words that say "zone" in a title or list context but are not (yet) zone-name suffixes of the
# extractor's gazetteer: the loose ones (片区, 示范区, 合作区) regress its gold set, and every suffix
# there must also be a word of the segmenter's dictionary (tests/unit/test_extraction_api.py).
LISTING_ZONE_WORDS = (
    "自由贸易试验区", "综合保税港区", "保税港区", "保税物流园区", "科技园区", "科技园", "物流园区",
    "片区", "示范区", "合作区", "试验区", "集聚区", "创业园", "园区",
)


@lru_cache(maxsize=1)
def zone_words() -> tuple[str, ...]:
    """Zone and park suffixes, longest first (综合保税区, 产业集聚区, 片区, 科技园, 示范区, 合作区 …)."""
    spec = importlib.util.find_spec("processors")  # locates the package without importing it
    for root in spec.submodule_search_locations or [] if spec else []:
        for rel in _VOCAB_CANDIDATES:
            path = Path(root) / rel
            if path.is_file():
                words = [
                    line.split("\t", 1)[0].strip()
                    for line in path.read_text(encoding="utf-8").splitlines()
                    if line.strip() and not line.startswith("#")
                ]
                return tuple(sorted(set(words) | set(LISTING_ZONE_WORDS), key=len, reverse=True))
    return tuple(sorted(set(_FALLBACK_ZONE_WORDS) | set(LISTING_ZONE_WORDS), key=len, reverse=True))


@lru_cache(maxsize=1)
def zone_pattern() -> re.Pattern[str]:
    return re.compile("|".join(re.escape(w) for w in zone_words()))


def mentions_zone(text: str | None) -> bool:
    return bool(text) and bool(zone_pattern().search(text))


@dataclass(frozen=True)
class Verdict:
    keep: bool
    reason: str  # why kept ("title", "list context", "body") or dropped
    needs_body: bool = False  # undecided: fetch the article and look for a zone in its text


def judge_title(source: Source, title: str, *, context: str = "") -> Verdict:
    """Decide on a listed item from its title and list context (column name, list page title)."""
    keywords: KeywordFilter | None = source.keywords
    if keywords is None:
        return Verdict(True, "no filter")
    required, excluded = keywords.patterns()
    hit = next((p.pattern for p in excluded if p.search(title)), None)
    if hit:
        return Verdict(False, f"excluded by {hit!r}")
    missing = next((p.pattern for p in required if not p.search(title)), None)
    if missing:
        return Verdict(False, f"title lacks {missing!r}")
    if not keywords.require_zone or mentions_zone(title):
        return Verdict(True, "title")
    if mentions_zone(context):
        return Verdict(True, "list context")
    return Verdict(False, "no zone in title or list context", needs_body=True)


def judge_body(text: str) -> Verdict:
    """Second look at an item whose title named no zone: its body decides."""
    if mentions_zone(text[:20000]):
        return Verdict(True, "body")
    return Verdict(False, "no zone in title, list context or body")
