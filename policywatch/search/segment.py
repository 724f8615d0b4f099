"""Query-side segmentation: the same jieba (and the same domain dictionary) the index side uses.

The indexed `text_seg` field holds jieba words joined by spaces under the whitespace analyzer, so a
query only matches it when it is cut the same way. The pipeline's segmentation helper is the one
source of truth; until it exists this module falls back to plain jieba with no domain dictionary.
"""

from __future__ import annotations

import importlib
import logging
import re
from collections.abc import Callable
from functools import lru_cache

logger = logging.getLogger(__name__)

# Candidates for the shared helper, first found wins: (module, function returning a list of words).
_SHARED_HELPERS = (
    ("policywatch.textseg", "segment_words"),
    ("processors.extraction.segment", "segment_words"),
    ("processors.extraction.segmentation", "segment_words"),
)

_PUNCT = re.compile(r"[\s\W_]+", re.UNICODE)


@lru_cache(maxsize=1)
def _segmenter() -> Callable[[str], list[str]]:
    for module_name, func_name in _SHARED_HELPERS:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        func = getattr(module, func_name, None)
        if callable(func):
            logger.debug("query segmentation uses %s.%s", module_name, func_name)
            return func
    logger.debug("no shared segmentation helper found; using plain jieba")
    import jieba

    jieba.setLogLevel(logging.WARNING)
    return lambda text: jieba.lcut(text)


def segment(text: str) -> list[str]:
    """Words of `text` as the index side cuts them, punctuation and blanks dropped."""
    words = _segmenter()(text)
    return [w for w in (_PUNCT.sub("", w) for w in words) if w]


def normalize(text: str) -> str:
    """Lower-case `text` with every blank and punctuation mark removed.

    The `standard` analyzer drops the same characters, so a phrase that `match_phrase` finds on the
    `text` field is always a substring of the normalized text (the alert pre-filter relies on it).
    """
    return _PUNCT.sub("", text).lower()
