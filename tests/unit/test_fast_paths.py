"""The faster paths write exactly what the plain ones wrote: display widths, `*_seg` text, bulk JSON."""

from __future__ import annotations

import json
import random
import unicodedata

from policywatch.core import textseg
from policywatch.core.elasticsearch import fast_serializers
from processors.clean.text import display_width
from processors.synthetic import raw_documents, seed_texts


def test_display_width_counts_wide_and_full_width_characters_as_two():
    def plain(line: str) -> int:
        return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)

    lines = [line for text in seed_texts() for line in text.split("\n")]
    rng = random.Random(3)
    lines += ["".join(chr(rng.randrange(0x110000)) for _ in range(12)) for _ in range(2000)]
    assert display_width("ab中文，１") == 2 + 2 * 4
    assert [display_width(line) for line in lines] == [plain(line) for line in lines]


def test_segmented_is_the_words_without_punctuation_or_blanks():
    for text in [*seed_texts()[:5], " 园区 \n 2025年，产值 增长 5%。", ""]:
        words = textseg.segment_words(text)
        assert textseg.segmented(text) == " ".join(w for w in words if not textseg._PUNCT_ONLY.fullmatch(w))


def test_the_bulk_serializer_writes_the_standard_librarys_json():
    from elasticsearch.serializer import NdjsonSerializer

    from processors.clean import MemoryFingerprintStore, link_duplicates, prepare
    from processors.extract import extract_document
    from processors.index import bulk_actions

    raws = raw_documents(3, source_id="fast")
    cleaned = link_duplicates([prepare(r) for r in raws], MemoryFingerprintStore())
    docs = [extract_document(d) for d in cleaned]
    lines = [part for doc in docs for pair in bulk_actions(doc) for part in pair if part is not None]
    fast, plain = fast_serializers()["application/x-ndjson"], NdjsonSerializer()
    assert fast.dumps(lines) == plain.dumps(lines)  # byte for byte on real documents
    odd = [{"float": 0.1, "big": 1e16, 3: "int key", "nested": {"中": [1, None, True]}}]
    assert json.loads(fast.dumps(odd)) == json.loads(plain.dumps(odd))  # same values (1e16 spelt 1e16)
