"""The clean stage on real pages (tests/golden/pages, the "tune" split) against hand-checked expectations.

The "blind" third of the corpus is not read here: it is scored once, by ``bench/cleaning.py --split
blind``, so that these thresholds are not tuned on it.
"""

from __future__ import annotations

import gzip
import json
import re
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from processors.clean import prepare
from schemas import RawDocument

PAGES = Path(__file__).resolve().parent / "pages"
CST = timezone(timedelta(hours=8))
_SPACE = re.compile(r"[\s\u3000\xa0]+")
_FOOTER = re.compile(
    r"网站地图|版权所有(?!者)|主办单位|ICP备|网站标识码|公网安备|联系我们|返回顶部|关闭窗口|上一篇|下一篇|分享到"
)


def _norm(text: str | None) -> str:
    return _SPACE.sub("", text or "")


def _pages(split: str) -> list[tuple[str, dict, bytes]]:
    out = []
    for meta_path in sorted(PAGES.glob("*/*.json")):
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if meta["split"] != split:
            continue
        html = meta_path.with_suffix(".html")
        data = html.read_bytes() if html.exists() else gzip.decompress(
            meta_path.with_suffix(".html.gz").read_bytes())
        out.append((meta_path.stem, meta, data))
    return out


def _clean(slug: str, meta: dict, data: bytes):
    url = meta.get("url") or f"https://golden.invalid/{meta['family']}/{slug}.html"
    return prepare(RawDocument(
        doc_id=RawDocument.id_for_url(url), url=url, canonical_url=url, source_id="golden",
        fetched_at=datetime(2026, 12, 1, tzinfo=UTC), content_type="text/html", body=data,
    ))


@pytest.fixture(scope="module")
def results():
    pages = _pages("tune")
    assert len(pages) >= 40
    return [(slug, meta, _clean(slug, meta, data)) for slug, meta, data in pages]


def _rate(flags: list[bool]) -> float:
    return sum(flags) / len(flags)


def test_corpus_is_sixty_real_pages_with_provenance():
    metas = [{**meta, "slug": slug} for slug, meta, _ in _pages("tune") + _pages("blind")]
    assert len(metas) >= 60
    assert all(meta["source"]["repo"] and len(meta["source"]["commit"]) == 40 for meta in metas)
    assert sum(1 for meta in metas if meta["split"] == "blind") == len(metas) // 3
    # Pages added after the first sixty-two (slugs ``zzNN_…``, numbered in the order they came) continue
    # the count, every third one blind, so that adding pages never moves a page between tune and blind.
    added = re.compile(r"zz\d{2}_")
    first = sum(1 for meta in metas if not added.match(meta["slug"]))
    later = sorted((meta["slug"], meta["split"]) for meta in metas if added.match(meta["slug"]))
    assert [split for _, split in later] == [
        "blind" if (first + i) % 3 == 2 else "tune" for i in range(len(later))]
    assert {"gb2312", "gbk", "gb18030"} & {meta["encoding"] for meta in metas}


def test_titles(results):
    flags = [_norm(doc.title) == _norm(meta["expected"]["title"])
             for _, meta, doc in results if meta["expected"]["title"]]
    assert _rate(flags) >= 0.90, flags


def test_publication_dates(results):
    def ok(meta: dict, doc) -> bool:
        want = meta["expected"]["published_at"]
        got = doc.published_at.astimezone(CST).date() if doc.published_at else None
        return got == (date.fromisoformat(want[:10]) if want else None)

    misses = [slug for slug, meta, doc in results if not ok(meta, doc)]
    assert len(misses) <= 0.10 * len(results), misses


def test_first_and_last_sentence_of_the_body(results):
    def has(text: str, sentence: str) -> bool:
        return _norm(sentence).rstrip("。！？!?") in _norm(text)

    misses = [slug for slug, meta, doc in results
              if not (has(doc.text, meta["expected"]["first_sentence"])
                      and has(doc.text, meta["expected"]["last_sentence"]))]
    assert len(misses) <= 0.05 * len(results), misses


def test_no_footer_or_navigation_in_the_text(results):
    leaks = []
    for slug, meta, doc in results:
        text = _norm(doc.text)
        first = text.find(_norm(meta["expected"]["first_sentence"]).rstrip("。！？!?"))
        last = text.rfind(_norm(meta["expected"]["last_sentence"]).rstrip("。！？!?"))
        outside = text[:first] + text[last + len(_norm(meta["expected"]["last_sentence"])):] \
            if 0 <= first <= last else text
        if _FOOTER.search(outside):
            leaks.append(slug)
    assert len(leaks) <= 0.05 * len(results), leaks


def test_no_decoding_damage(results):
    # A page whose saved bytes already hold U+FFFD (one does, as found) may keep those, and no more.
    damaged = []
    data_of = {slug: data for slug, _, data in _pages("tune")}
    for slug, meta, doc in results:
        data = data_of[slug]
        encoding = "gb18030" if meta["encoding"] in ("gb2312", "gbk") else meta["encoding"]
        own = data.decode(encoding, "replace").count("\ufffd")
        if doc.text.count("\ufffd") + (doc.title or "").count("\ufffd") > own:
            damaged.append(slug)
    assert damaged == []


def test_government_metadata_table(results):
    numbered = [(meta, doc) for _, meta, doc in results if meta["expected"]["doc_number"]]
    assert numbered
    for meta, doc in numbered:
        assert doc.doc_number == meta["expected"]["doc_number"]
        assert doc.index_number == meta["expected"]["index_number"]
        if meta["expected"]["index_number"]:
            # the table's rows are fields, not text (a 文号 shown only as the body's first line has no table)
            assert "索引号" not in doc.text and meta["expected"]["index_number"] not in doc.text


def test_no_document_number_where_the_page_shows_none(results):
    # A 文号 the body cites (根据《…》（穗府办规〔2024〕13号）) is another document's, not the page's.
    wrong = [(slug, doc.doc_number, doc.index_number) for slug, meta, doc in results
             if (not meta["expected"]["doc_number"] and doc.doc_number)
             or (not meta["expected"]["index_number"] and doc.index_number)]
    assert wrong == []


def test_written_date_is_kept_apart_from_the_publication_date(results):
    dated = [(meta, doc) for _, meta, doc in results if meta["expected"].get("written_at")]
    assert dated
    for meta, doc in dated:
        want = date.fromisoformat(meta["expected"]["written_at"])
        assert doc.written_at is not None and doc.written_at.astimezone(CST).date() == want
        published = date.fromisoformat(meta["expected"]["published_at"][:10])
        assert doc.published_at.astimezone(CST).date() == published
