"""The extract stage's pure core: CleanedDocument -> ExtractedDocument.

It calls the extraction library (``processors.extraction.extract_text``) when that package exports it;
until then a minimal fallback finds the zone and the report year.
"""

from __future__ import annotations

import importlib
import logging
import re
from collections import Counter
from collections.abc import Callable
from functools import lru_cache

from schemas import CleanedDocument, ExtractedDocument, Extraction, trace_step

logger = logging.getLogger(__name__)

STAGE = "extract"

_ZONE = re.compile(
    r"[\u4e00-\u9fa5*＊Xx]{0,14}?(?:经济技术开发区|高新技术产业开发区|经济开发区|高新区|经开区|开发区|起步区|"
    r"工业园区|产业园区|综合保税区|新区)"
)
_ZONE_NOISE = re.compile(
    r"^(?:全力推动|推动|推进|加快|围绕|全面|关于|以及|和|与|在|对|将|为|是|的|省级|国家级)+"
)
_YEAR = re.compile(r"(20\d{2})\s*年")


def fallback_extract(text: str, *, title: str | None = None) -> Extraction:
    """Zone (the most mentioned full name) and report year (from the title, else the text's head)."""
    names = Counter()
    for match in _ZONE.finditer(text[:20000]):
        name = _ZONE_NOISE.sub("", match.group(0))
        if len(name) >= 3:
            names[name] += 1
    zone = None
    if names:
        # A longer name mentioned a few times beats its bare suffix mentioned often (起步区 vs 济南…起步区).
        zone = max(names, key=lambda n: (names[n] * (3 if len(n) > 4 else 1), len(n)))
    year = None
    for source in (title or "", text[:600]):
        years = [int(y) for y in _YEAR.findall(source) if 2000 <= int(y) <= 2100]
        if years:
            year = min(years)
            break
    return Extraction(zone=zone, zones=sorted(names, key=lambda n: -names[n])[:10], year=year,
                      reason=None if zone or year else "fallback extractor found no zone or year")


@lru_cache(maxsize=1)
def extractor() -> Callable[..., Extraction]:
    """``processors.extraction.extract_text`` when it exists, else the fallback."""
    try:
        module = importlib.import_module("processors.extraction")
        fn = getattr(module, "extract_text", None)
    except ImportError as exc:
        logger.info("extraction library not importable (%s); using the fallback", exc)
        fn = None
    if callable(fn):
        return fn
    return fallback_extract


def extract_document(doc: CleanedDocument) -> ExtractedDocument:
    # The original text: indicator and entity spans index into CleanedDocument.text (the library reads
    # traditional characters itself; text_simplified is for search only).
    extraction = extractor()(doc.text, title=doc.title)
    fields = doc.model_dump(exclude={"trace"})
    return ExtractedDocument(**fields, trace=[*doc.trace, trace_step(STAGE)], extraction=extraction)
