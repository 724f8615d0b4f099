"""jieba, loaded once with the domain dictionary (zone suffixes, industries, domain words)."""

from __future__ import annotations

import logging
from functools import lru_cache

from processors.extraction.vocab import VOCAB_DIR

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


@lru_cache(maxsize=1)
def tokenizer():
    import jieba
    import jieba.posseg

    jieba.setLogLevel(logging.WARNING)
    tk = jieba.Tokenizer()
    tk.initialize()
    tk.load_userdict(str(VOCAB_DIR / "domain.dict"))
    pos = jieba.posseg.POSTokenizer(tk)
    return tk, pos


def word_info(word: str) -> tuple[str | None, int]:
    """(part-of-speech tag, frequency) of a dictionary word; (None, 0) when jieba does not know it."""
    tk, pos = tokenizer()
    freq = tk.FREQ.get(word, 0)
    if not freq:
        return None, 0
    return pos.word_tag_tab.get(word, "x"), freq


def cut(text: str) -> list[tuple[str, str]]:
    """Words with their dictionary tags (no HMM: fast, dictionary-driven)."""
    tk, pos = tokenizer()
    tags = pos.word_tag_tab
    return [(w, tags.get(w, "x")) for w in tk.cut(text, HMM=False)]
