"""Reposts: the earliest published copy is canonical; one template with other figures is another report."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from processors.clean import clean_batch
from processors.clean.dedup import MemoryFingerprintStore
from processors.clean.fingerprint import BANDS, MAX_DISTANCE, bands, same_numbers
from schemas import ListContext, RawDocument

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


def seed(name: str) -> str:
    return next(SEEDS.glob(f"{name}_*.txt")).read_text(encoding="utf-8")


def raw(text: str, url: str, fetched: datetime, listed: str | None = None) -> RawDocument:
    """A page with no date of its own; ``listed`` is the date its list page printed."""
    paragraphs = "".join(f"<p>{line}</p>" for line in text.split("\n") if line.strip())
    body = f"<html><head><meta charset='utf-8'><title>工作总结</title></head><body>{paragraphs}</body></html>"
    context = ListContext(list_url=url.rsplit("/", 1)[0] + "/", date_text=listed) if listed else None
    return RawDocument(doc_id=RawDocument.id_for_url(url), url=url, canonical_url=url, source_id="t",
                       fetched_at=fetched, body=body.encode(), content_type="text/html", list_context=context)


def test_band_lookup_is_exact_for_the_threshold():
    value = 0x0123456789ABCDEF
    flipped = value
    for bit in (1, 11, 20, 29, 38, 47):  # MAX_DISTANCE bits, one in each of six bands
        flipped ^= 1 << bit
    assert MAX_DISTANCE == BANDS - 1 == 6
    assert set(bands(value)) & set(bands(flipped))


def test_earliest_published_copy_is_canonical_even_when_fetched_last():
    text = seed("003")
    repost = raw("转载自XX日报\n" + text + "\n责任编辑：张三", "http://news.example.com/2.html",
                 datetime(2024, 1, 1, tzinfo=UTC), listed="2024-01-01")
    original = raw(text, "http://kfq.example.gov.cn/1.html", datetime(2024, 2, 1, tzinfo=UTC),
                   listed="2023-12-20")
    a, b = clean_batch([repost, original], MemoryFingerprintStore())
    assert b.published_at_source == "list"
    assert b.duplicate_of is None and a.duplicate_of == b.doc_id and a.cluster_id == b.cluster_id


def test_late_original_joins_the_cluster_of_its_reposts():
    store = MemoryFingerprintStore()
    text = seed("003")
    (repost,) = clean_batch([raw(text + "\n（来源：XX日报）", "http://news.example.com/2.html",
                                 datetime(2024, 1, 1, tzinfo=UTC), listed="2024-01-02")], store)
    (original,) = clean_batch([raw(text, "http://kfq.example.gov.cn/1.html", datetime(2024, 3, 1, tzinfo=UTC),
                                   listed="2023-12-20")], store)
    assert original.duplicate_of is None and original.cluster_id == repost.cluster_id


def test_same_template_with_other_figures_is_another_report():
    text = seed("000")
    next_month = re.sub(r"\d", lambda m: str((int(m.group(0)) + 3) % 10), text)
    assert not same_numbers(text, next_month)
    first = raw(text, "http://kfq.example.gov.cn/1.html", datetime(2024, 1, 1, tzinfo=UTC))
    second = raw(next_month, "http://kfq.example.gov.cn/2.html", datetime(2024, 2, 1, tzinfo=UTC))
    a, b = clean_batch([first, second], MemoryFingerprintStore())
    assert a.duplicate_of is None and b.duplicate_of is None and a.cluster_id != b.cluster_id


def test_crawler_repost_evidence_breaks_a_tie():
    text = seed("003")
    when = datetime(2024, 1, 1, tzinfo=UTC)
    repost = raw(text, "http://news.example.com/2.html", when, listed="2024-01-05")
    repost = repost.model_copy(update={"hints": {"is_repost": "true", "repost_source_name": "XX日报"}})
    original = raw(text, "http://kfq.example.gov.cn/1.html", when, listed="2024-01-05")
    a, b = clean_batch([repost, original], MemoryFingerprintStore())
    assert b.duplicate_of is None and a.duplicate_of == b.doc_id
