"""The public API: extract_text and extract_file."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from policywatch.core.errors import ProcessingError
from processors.extract.entities import find_entities
from processors.extract.facts import doc_type, find_zones, main_zone, report_period, report_year
from processors.extract.gazetteer import find_places, resolve_region
from processors.extract.indicators import Context, extract_indicators, head_frame, to_indicators
from processors.extract.normalize import Normalized, normalize, strip_pinyin
from processors.extract.outline import find_headings, sections
from schemas.cleaned import CleanedDocument
from schemas.extracted import Entity, Extraction, Indicator, OutlineItem, Region

MIN_TEXT_CHARS = 10


def extract_text(text: str, *, title: str | None = None) -> Extraction:
    """Extract zone, region, document type, year, period, outline, entities and indicators from `text`.

    Spans index into `text` exactly as passed. Never raises on content: an empty or unusable text gives
    an empty Extraction whose `reason` says why.
    """
    if not isinstance(text, str):
        return Extraction(reason=f"expected text, got {type(text).__name__}")
    if len(text.strip()) < MIN_TEXT_CHARS:
        return Extraction(reason="empty text" if not text.strip() else "text too short to extract from")
    try:
        return _extract(text, title)
    except Exception as exc:  # a stage must never die on one document
        return Extraction(reason=f"extraction failed: {type(exc).__name__}: {exc}")


def _extract(text: str, title: str | None) -> Extraction:
    norm = normalize(text)
    work = norm.text
    title_n = normalize(title).text if title and title.strip() else None
    headings = find_headings(work)
    first_line = work.lstrip().split("\n", 1)[0][:120]
    head = work[:300]
    level1 = [h.title for h in headings if h.level == 1]

    mentions = find_zones(work)
    zone_head = (title_n or "") + "\n" + first_line
    zone, zones = main_zone(work, mentions, zone_head)
    dtype = doc_type(title_n, head, level1)
    year = report_year(title_n, head, level1)

    subjects = tuple(z for z in zones) + tuple({m.name for m in mentions if m.generic})
    ctx = Context(
        doc_year=year,
        subjects=subjects,
        sections=sections(headings, len(work), level=1),
        head_frame=head_frame(title_n, first_line),
    )
    drafts = extract_indicators(work, ctx)
    indicators = [
        _written_label(norm, i, d) for i, d in zip(to_indicators(drafts, norm.span), drafts, strict=True)
    ]
    period = report_period(dtype, [d.period for d in drafts if d.scope == "actual"])

    places = find_places(work)
    strong = "\n".join([title_n or "", first_line, zone or ""])
    province, city, county = resolve_region(work, places, strong)

    outline = [
        OutlineItem(
            level=h.level,
            marker=text[slice(*norm.span(h.start, h.start + len(h.marker)))],
            title=_orig(norm, h.end - len(h.title), h.end),
            span=norm.span(h.start, h.end),
        )
        for h in headings
    ]
    entities = _entities(norm, mentions, places)
    topics = [name for name, _ in Counter(e.name for e in entities if e.kind == "industry").most_common()]
    return Extraction(
        zone=_zone_written(norm, zone, mentions),
        zones=zones,
        region=Region(province=province, city=city, county=county),
        doc_type=dtype,
        year=year,
        period=period,
        outline=outline,
        entities=entities,
        topics=topics,
        indicators=indicators,
        reason=None if (indicators or zone or outline) else "no zone, outline or indicator found",
    )


def _orig(norm: Normalized, start: int, end: int) -> str:
    a, b = norm.span(start, end)
    return norm.original[a:b]


def _zone_written(norm: Normalized, zone: str | None, mentions) -> str | None:
    if zone is None or not norm.is_converted:
        return zone
    for m in mentions:
        if m.name == zone:
            return strip_pinyin(_orig(norm, m.start, m.end))  # 開發(fā)區 is written 開發區
    return zone


def _written_label(norm: Normalized, ind: Indicator, draft) -> Indicator:
    """Report the label as written in the original text when it is one contiguous run there."""
    if not norm.is_converted:
        return ind
    update: dict[str, str] = {}
    label = draft.label
    start = draft.start
    if norm.text.startswith(label, start):
        written = strip_pinyin(re.sub(r"\s+", "", _orig(norm, start, start + len(label))))
        if written != label:
            update["label"] = written
    unit_span = draft.extra.get("unit_span")
    if unit_span and ind.unit:
        written = re.sub(r"\s+|余|餘|多", "", _orig(norm, *unit_span))
        if written and written != ind.unit:
            update["unit"] = written
    return ind.model_copy(update=update) if update else ind


def _entities(norm: Normalized, mentions, places) -> list[Entity]:
    out: list[Entity] = []
    seen: set[tuple[str, int]] = set()

    def add(kind: str, start: int, end: int) -> None:
        if (kind, start) in seen or end <= start:
            return
        seen.add((kind, start))
        a, b = norm.span(start, end)
        out.append(Entity(kind=kind, name=norm.original[a:b], span=(a, b)))

    for f in find_entities(norm.text):
        add(f.kind, f.start, f.end)
    for m in mentions:
        if not m.generic:
            add("zone", m.start, m.end)
    for start, end, _ in places:
        add("place", start, end)
    out.sort(key=lambda e: (e.span[0], e.kind))
    return out


# ---------------------------------------------------------------- files


def clean_file(path: str | Path, *, url: str | None = None) -> CleanedDocument:
    """A local file through the clean stage's own path (``processors.clean.prepare``): the same decoder,
    the same HTML/PDF/DOCX/DOC readers and the same metadata as in the pipeline. Raises OSError when the
    file cannot be read, ProcessingError when its content gives no text."""
    from processors.clean import prepare, raw_from_file

    return prepare(raw_from_file(path, url=url))


def read_document(path: str | Path, *, url: str | None = None) -> tuple[str, str | None]:
    """Text and title of a local file, as the clean stage reads it."""
    doc = clean_file(path, url=url)
    return doc.text, doc.title


def extract_file(path: str | Path, *, url: str | None = None) -> Extraction:
    """Extract from a local file (txt, html, pdf, docx, doc). A missing or unreadable file raises
    FileNotFoundError/OSError; content that yields no text gives an empty Extraction with a reason."""
    try:
        doc = clean_file(path, url=url)
    except OSError:
        raise
    except ProcessingError as exc:
        return Extraction(reason=f"could not read {Path(path).name}: {exc}")
    return extract_text(doc.text, title=doc.title)
