"""Query and document text normalised the same way: traditional → simplified (OpenCC `t2s`, as the clean
stage converts documents) and pinyin-in-brackets noise removed (產(chǎn)業 → 产业).

Pure functions; the OpenCC converter is loaded once per process.
"""

from __future__ import annotations

import re
from functools import lru_cache

_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿ"
_SYLLABLE = rf"[a-zü]*[{_TONED}][a-zü{_TONED}]*"
# A bracketed run of pinyin syllables, at least one with a tone mark, right after a Chinese character:
# 產(chǎn), 业（yè）. A tone mark is required so that 生产总值(GDP) or 区（a） keep their brackets.
_PINYIN_NOISE = re.compile(rf"(?<=[\u3400-\u9fff])\s?[(（]\s*{_SYLLABLE}(?:\s+{_SYLLABLE})*\s*[)）]")


@lru_cache(maxsize=1)
def _t2s():  # opencc.OpenCC
    import opencc

    return opencc.OpenCC("t2s")


def strip_pinyin_noise(text: str) -> str:
    """`text` without pinyin annotations in brackets after Chinese characters."""
    return _PINYIN_NOISE.sub("", text)


def to_simplified(text: str) -> str:
    return _t2s().convert(text)


def normalize_query(text: str) -> str:
    """A query as documents are searched: pinyin noise removed, then traditional → simplified."""
    return to_simplified(strip_pinyin_noise(text))
