"""Word segmentation shared by the index side (`text_seg`) and the query side: jieba + the domain dictionary.

One function, one dictionary: a query matches `text_seg` only when it is cut exactly like the text.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from pathlib import Path

logger = logging.getLogger(__name__)

_PUNCT_ONLY = re.compile(r"[\W_]+")
_DOMAIN_DICT = Path(__file__).resolve().parents[1] / "processors" / "extraction" / "vocab" / "domain.dict"


@lru_cache(maxsize=1)
def _tokenizer():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    if _DOMAIN_DICT.exists():
        tokenizer.load_userdict(str(_DOMAIN_DICT))
    return tokenizer


def segment_words(text: str) -> list[str]:
    """jieba words of ``text`` (accurate mode, HMM for unknown words), blanks dropped."""
    return [w for w in _tokenizer().lcut(text) if w.strip()]


def segmented(text: str) -> str:
    """The words joined by single spaces, punctuation dropped: the value of a ``*_seg`` field."""
    return " ".join(w for w in segment_words(text) if not _PUNCT_ONLY.fullmatch(w))
