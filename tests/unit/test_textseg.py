"""The C-accelerated segmentation (jieba-fast's functions) cuts exactly like pure-Python jieba."""

from __future__ import annotations

from pathlib import Path

import pytest

from policywatch.core import textseg
from processors.clean import prepare
from processors.synthetic import raw_documents

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


def _texts() -> list[str]:
    texts = [prepare(raw).text for raw in raw_documents(40, source_id="textseg-test")]
    for path in sorted(SEEDS.rglob("*")):
        if path.suffix.lower() in {".txt", ".html", ".htm"}:
            texts.append(path.read_text(encoding="utf-8", errors="ignore"))
    texts += ["济南新旧动能转换起步区2024年国民经济", "生物医药 产业园 ABC123 3.5% 同比增长12.3%", "", "，。"]
    return texts


@pytest.mark.skipif(textseg._C is None, reason="jieba-fast's C functions are not installed")
def test_fast_path_cuts_like_pure_jieba() -> None:
    assert textseg._tokenizer(True).__class__.__name__ == "FastTokenizer"
    for text in _texts():
        assert textseg.segment_words(text, fast=True) == textseg.segment_words(text, fast=False)


@pytest.mark.skipif(textseg._C is None, reason="jieba-fast's C functions are not installed")
def test_fast_path_cuts_like_pure_jieba_without_hmm() -> None:
    # the extraction view (pos_cut) cuts without the HMM, on whole texts and on short name windows
    fast, pure = textseg._tokenizer(True), textseg._tokenizer(False)
    for text in _texts():
        for chunk in [text, *(text[i : i + 14] for i in range(0, min(len(text), 3000), 7))]:
            assert list(fast.cut(chunk, HMM=False)) == list(pure.cut(chunk, HMM=False)), chunk


def test_segmented_drops_punctuation() -> None:
    assert textseg.segmented("生物医药，产业园。") == "生物医药 产业园"


def test_segmented_keeps_exactly_the_words_the_regex_keeps() -> None:
    """The one-pass ``segmented`` (isalnum fast path) against its definition: jieba's non-blank words that
    are not all punctuation/underscore, on pages, seeds and words mixing letters, ``_`` and marks."""
    odd = ["a_b", "__", "_", "x-1", "——", "Ⅱ", "①", "²", "ＡＢＣ", "3.5%", "C++", "\u3000", "\t\n", "é"]
    for text in [*_texts(), " ".join(odd), "".join(odd)]:
        words = [w for w in textseg.segment_words(text) if not textseg._PUNCT_ONLY.fullmatch(w)]
        assert textseg.segmented(text) == " ".join(words)


def test_part_of_speech_table_is_the_one_jieba_reads_for_this_tokenizer() -> None:
    """The shared table (jieba.posseg's default, read once) holds exactly what a POSTokenizer built over our
    tokenizer would read itself, so word_info and pos_cut tag words as before."""
    import jieba.posseg

    own = jieba.posseg.POSTokenizer(textseg._tokenizer(True)).word_tag_tab
    assert textseg._pos_tokenizer().word_tag_tab == own
    assert textseg.word_info("济南")[0] == own["济南"]
