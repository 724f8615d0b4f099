"""The one jieba segmenter: index side (`text_seg`), query side, alert pre-filter and extraction's POS cut.

One tokenizer, one domain dictionary (`data/domain.dict`, read with importlib.resources): a query matches
`text_seg` only when it is cut exactly like the text, and extraction sees the same dictionary words.

Speed: segmenting a whole page is the index stage's largest cost (pure-Python jieba: ~23 ms for 8,000
characters). When the ``jieba-fast`` package's C functions are importable, the two hot loops of jieba's
accurate mode run in C: the word graph with its best route (``_get_DAG_and_calc``), and the HMM Viterbi
for runs of unknown characters (``_viterbi``), over *this* tokenizer's dictionary and jieba's own HMM
tables. Everything else (block splitting, buffering of single characters, forced splits) is jieba's
code unchanged, so the words are the same (tests/unit/test_textseg.py compares both paths on the seeds and
generated pages); it is ~2x faster. Without the C module the pure-Python jieba path is used.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from functools import lru_cache
from importlib import resources

logger = logging.getLogger(__name__)

_PUNCT_ONLY = re.compile(r"[\W_]+")
_PUNCT = re.compile(r"[\s\W_]+", re.UNICODE)
DOMAIN_DICT = resources.files("policywatch.core") / "data" / "domain.dict"

try:  # the C module of the jieba-fast distribution (only its functions are used, not its dictionary)
    import _jieba_fast_functions_py3 as _C
except ImportError:  # pragma: no cover - depends on the environment
    _C = None


def _hmm_cut(sentence: str):
    """``jieba.finalseg.cut`` with the Viterbi step in C (same tables, same forced splits)."""
    from jieba import finalseg

    for blk in finalseg.re_han.split(sentence):
        if not finalseg.re_han.match(blk):
            yield from (x for x in finalseg.re_skip.split(blk) if x)
            continue
        _, states = _C._viterbi(blk, "BMES", finalseg.start_P, finalseg.trans_P, finalseg.emit_P)
        words = []
        begin = nexti = 0
        for i, state in enumerate(states):
            if state == "B":
                begin = i
            elif state == "E":
                words.append(blk[begin:i + 1])
                nexti = i + 1
            elif state == "S":
                words.append(blk[i])
                nexti = i + 1
        if nexti < len(blk):
            words.append(blk[nexti:])
        for word in words:
            if word in finalseg.Force_Split_Words:
                yield from word
            else:
                yield word


def _fast_cut_dag(self, sentence: str):
    """jieba's ``Tokenizer.__cut_DAG`` (accurate mode, HMM) with the DAG and route computed in C."""
    route: list[int] = []
    _C._get_DAG_and_calc(self.FREQ, sentence, route, float(self.total))
    freq = self.FREQ
    x, buf, n = 0, "", len(sentence)
    while x < n:
        y = route[x] + 1
        word = sentence[x:y]
        if y - x == 1:
            buf += word
            x = y
            continue
        if buf:
            yield from _single_char_run(buf, freq)
            buf = ""
        yield word
        x = y
    if buf:
        yield from _single_char_run(buf, freq)


_ENG_CHAR = re.compile("[a-zA-Z0-9]", re.U)  # jieba's re_eng


def _fast_cut_dag_no_hmm(self, sentence: str):
    """jieba's ``Tokenizer.__cut_DAG_NO_HMM`` (accurate mode, no HMM: the extraction view) with the DAG
    and route computed in C; single ASCII letters and digits run together as jieba joins them."""
    route: list[int] = []
    _C._get_DAG_and_calc(self.FREQ, sentence, route, float(self.total))
    x, buf, n = 0, "", len(sentence)
    while x < n:
        y = route[x] + 1
        word = sentence[x:y]
        if y - x == 1 and _ENG_CHAR.match(word):
            buf += word
        else:
            if buf:
                yield buf
                buf = ""
            yield word
        x = y
    if buf:
        yield buf


def _single_char_run(buf: str, freq: dict) -> Iterator[str]:
    """A run of single characters: one character as is; an unknown run through the HMM (new words);
    a dictionary word that the route split stays split, as jieba does."""
    if len(buf) == 1:
        yield buf
    elif not freq.get(buf):
        yield from _hmm_cut(buf)
    else:
        yield from buf


def _fast_words(tokenizer, text: str) -> list[str]:
    """``tokenizer.lcut(text)`` (accurate mode, HMM) as one loop that appends to a list: jieba's
    ``Tokenizer.cut`` block splitting and ``_fast_cut_dag`` inlined, without two generators resumed per
    word. The same steps in the same order, so the same words (tests/unit/test_textseg.py)."""
    import jieba

    re_han, re_skip = jieba.re_han_default, jieba.re_skip_default
    freq, total = tokenizer.FREQ, float(tokenizer.total)
    calc = _C._get_DAG_and_calc
    out: list[str] = []
    append, extend = out.append, out.extend

    def flush(buf: str) -> None:
        if len(buf) == 1:
            append(buf)
        elif not freq.get(buf):
            extend(_hmm_cut(buf))
        else:
            extend(buf)

    for blk in re_han.split(text):
        if not blk:
            continue
        if re_han.match(blk):
            route: list[int] = []
            calc(freq, blk, route, total)
            x, buf, n = 0, "", len(blk)
            while x < n:
                y = route[x] + 1
                if y - x == 1:
                    buf += blk[x]
                else:
                    if buf:
                        flush(buf)
                        buf = ""
                    append(blk[x:y])
                x = y
            if buf:
                flush(buf)
        else:
            for part in re_skip.split(blk):
                if re_skip.match(part):
                    append(part)
                else:
                    extend(part)
    return out


def _tokenizer_class(fast: bool):
    import jieba

    if not (fast and _C is not None):
        return jieba.Tokenizer

    class FastTokenizer(jieba.Tokenizer):
        _Tokenizer__cut_DAG = _fast_cut_dag  # jieba.Tokenizer.cut picks ``self.__cut_DAG`` (name-mangled)
        _Tokenizer__cut_DAG_NO_HMM = _fast_cut_dag_no_hmm

    return FastTokenizer


@lru_cache(maxsize=2)
def _tokenizer(fast: bool = True):
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = _tokenizer_class(fast)()
    tokenizer.initialize()
    with resources.as_file(DOMAIN_DICT) as path:  # package data: a missing file is an error, not a skip
        tokenizer.load_userdict(str(path))
    return tokenizer


def _words(text: str, fast: bool = True) -> list[str]:
    tokenizer = _tokenizer(fast)
    if fast and _C is not None:
        return _fast_words(tokenizer, text)
    return tokenizer.lcut(text)


def segment_words(text: str, *, fast: bool = True) -> list[str]:
    """jieba words of ``text`` (accurate mode, HMM for unknown words), blanks dropped."""
    return [w for w in _words(text, fast) if w.strip()]


def segmented(text: str) -> str:
    """The words joined by single spaces, punctuation dropped: the value of a ``*_seg`` field.

    One pass over jieba's words. ``w.isalnum()`` is the quick "has a word character" answer for almost
    every word (a word of letters, digits or Han characters); only the others go through the regex, which
    also keeps a word of punctuation mixed with ``_`` or letters exactly as before."""
    fullmatch = _PUNCT_ONLY.fullmatch
    return " ".join(w for w in _words(text) if w.isalnum() or (w.strip() and not fullmatch(w)))


def segment(text: str) -> list[str]:
    """Query-side words of `text`: cut as the index side cuts it, punctuation and blanks dropped."""
    return [w for w in (_PUNCT.sub("", w) for w in segment_words(text)) if w]


def normalize(text: str) -> str:
    """Lower-case `text` with every blank and punctuation mark removed.

    The `standard` analyzer drops the same characters, so a phrase that `match_phrase` finds on the
    `text` field is always a substring of the normalized text (the alert pre-filter relies on it).
    """
    return _PUNCT.sub("", text).lower()


def warm(*, pos: bool = False) -> None:
    """Load the tokenizer (and with ``pos`` the part-of-speech table) now: a stage calls it in ``open()``
    so its first batch does not pay seconds of dictionary loading."""
    _tokenizer(True)
    if pos:
        _pos_tokenizer()


# -- part-of-speech view for extraction (same tokenizer, dictionary tags, no HMM) ---------------------
@lru_cache(maxsize=1)
def _pos_tokenizer():
    import jieba.posseg

    tokenizer = _tokenizer(True)
    default = jieba.posseg.dt  # built when jieba.posseg is imported: it has read the same tag table
    if tokenizer.dictionary != default.tokenizer.dictionary:
        return jieba.posseg.POSTokenizer(tokenizer)
    # Share that table instead of reading jieba's 350,000-line dictionary a second time (~2 s of CPU at
    # start-up, tens of MB in the extract process, whose aim is 300 MB).
    pos = jieba.posseg.POSTokenizer.__new__(jieba.posseg.POSTokenizer)
    pos.tokenizer = tokenizer
    pos.word_tag_tab = default.word_tag_tab
    return pos


def word_info(word: str) -> tuple[str | None, int]:
    """(part-of-speech tag, frequency) of a dictionary word; (None, 0) when jieba does not know it."""
    freq = _tokenizer(True).FREQ.get(word, 0)
    if not freq:
        return None, 0
    return _pos_tokenizer().word_tag_tab.get(word, "x"), freq


def pos_cut(text: str) -> list[tuple[str, str]]:
    """Words with their dictionary tags (no HMM: fast, dictionary-driven)."""
    tags = _pos_tokenizer().word_tag_tab
    return [(w, tags.get(w, "x")) for w in _tokenizer(True).cut(text, HMM=False)]
