"""Normalisation: NFKC, pinyin readings dropped, simplified script, hard-wrapped lines joined, with an
offset map to the original.

The working text is what every rule reads; `Normalized.span()` maps a working-text span back into the
text that was passed in, so spans in the output always index the caller's text.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

_TERMINAL = set("。！？；：:;!?」』”）)】")
_HEADING_START = re.compile(
    r"^\s*(?:[一二三四五六七八九十]+[、.]|[(（][一二三四五六七八九十\d]+[)）]|\d+[.、．](?!\d)|[一二三四五六七八九十]+是)"
)
_CONTINUATION_START = re.compile(r"^[，,、。；;）)%％]|^(?:万|亿|元|美元|个百分点|倍)")


@dataclass(frozen=True)
class Normalized:
    original: str
    text: str  # working text: NFKC, simplified, hard wraps joined
    offsets: list[int]  # offsets[i] = index in `original` of working char i; len = len(text) + 1

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Map a working-text span [start, end) to the original text."""
        if end <= start:
            o = self.offsets[start]
            return (o, o)
        return (self.offsets[start], self.offsets[end - 1] + 1)

    @property
    def is_converted(self) -> bool:
        return self.text != self.original


@lru_cache(maxsize=1)
def _t2s():
    import opencc  # lazy: loads its dictionaries

    return opencc.OpenCC("t2s")


# NFKC maps the full-width forms (！ … ～) and the ideographic space one to one onto ASCII; a line that is
# normalised once they are mapped is its NFKC form (their decompositions are exactly these characters),
# and mapping them is much cheaper than normalising the whole line
_WIDE = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


def _nfkc_line(line: str) -> str:
    if unicodedata.is_normalized("NFKC", line):
        return line
    mapped = line.translate(_WIDE)
    return mapped if unicodedata.is_normalized("NFKC", mapped) else unicodedata.normalize("NFKC", line)


def _nfkc(text: str) -> tuple[str, list[int]]:
    out: list[str] = []
    offsets: list[int] = []
    pos = 0
    for line in text.splitlines(keepends=True):
        norm = _nfkc_line(line)
        if len(norm) == len(line):
            out.append(norm)
            offsets.extend(range(pos, pos + len(line)))
        else:
            for i, ch in enumerate(line):
                n = unicodedata.normalize("NFKC", ch)
                out.append(n)
                offsets.extend([pos + i] * len(n))
        pos += len(line)
    return "".join(out), offsets


def _simplify(text: str, offsets: list[int]) -> tuple[str, list[int]]:
    cc = _t2s()
    converted = cc.convert(text)
    if converted == text:
        return text, offsets
    if len(converted) == len(text):
        return converted, offsets
    # Length changed somewhere (a phrase mapping): convert line by line, char by char where needed.
    out: list[str] = []
    new_offsets: list[int] = []
    pos = 0
    for line in text.splitlines(keepends=True):
        c = cc.convert(line)
        if len(c) == len(line):
            out.append(c)
            new_offsets.extend(offsets[pos : pos + len(line)])
        else:
            for i, ch in enumerate(line):
                cch = cc.convert(ch)
                out.append(cch)
                new_offsets.extend([offsets[pos + i]] * len(cch))
        pos += len(line)
    return "".join(out), new_offsets


def _wrap_width(lines: list[str]) -> int | None:
    """The column at which a hard-wrapped text was broken, if the lines show one."""
    lengths = [len(x.rstrip()) for x in lines if len(x.strip()) >= 10]
    if len(lengths) < 5:
        return None
    width, _ = Counter(lengths).most_common(1)[0]
    near = sum(1 for n in lengths if width - 2 <= n <= width + 1)
    if width >= 16 and near >= 0.4 * len(lengths):
        return width
    return None


def _join_wraps(text: str, offsets: list[int]) -> tuple[str, list[int]]:
    if "\n" not in text:
        return text, offsets
    lines = text.split("\n")
    width = _wrap_width(lines)
    out: list[str] = []
    new_offsets: list[int] = []
    pos = 0
    for idx, line in enumerate(lines):
        out.append(line)
        new_offsets.extend(offsets[pos : pos + len(line)])
        pos += len(line)
        if idx == len(lines) - 1:
            break
        nxt = lines[idx + 1]
        cur = line.rstrip()
        join = False
        if cur and nxt.strip() and not _HEADING_START.match(nxt):
            # a line cut at the wrap column (whatever its last character) or a next line that can only
            # continue this one (it starts with a comma, a percent sign, a unit) is joined to the next
            full = bool(width) and len(cur) >= width - 2
            join = full or bool(_CONTINUATION_START.match(nxt.lstrip()))
        if join:
            # drop trailing spaces of this line, the newline and leading spaces of the next
            trail = len(line) - len(cur)
            if trail:
                del out[-1]
                out.append(cur)
                del new_offsets[len(new_offsets) - trail :]
            lead = len(nxt) - len(nxt.lstrip())
            if lead:
                lines[idx + 1] = nxt[lead:]
                pos += lead
            pos += 1  # the newline
        else:
            out.append("\n")
            new_offsets.append(offsets[pos])
            pos += 1
    return "".join(out), new_offsets


_TONES = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ"
# a reading in brackets after a character, left by a converter on many mirrored pages: 產(chǎn), 區(qū)
_PINYIN = re.compile(rf"(?<=[\u4e00-\u9fff])\((?=[a-zü]*[{_TONES}])[a-zü{_TONES}]{{1,7}}\)")


def _strip_pinyin(text: str, offsets: list[int]) -> tuple[str, list[int]]:
    if "(" not in text or not _PINYIN.search(text):
        return text, offsets
    out: list[str] = []
    kept: list[int] = []
    pos = 0
    for m in _PINYIN.finditer(text):
        out.append(text[pos : m.start()])
        kept.extend(offsets[pos : m.start()])
        pos = m.end()
    out.append(text[pos:])
    kept.extend(offsets[pos:])
    return "".join(out), kept


def strip_pinyin(text: str) -> str:
    """The text without the pinyin readings a converter left after characters."""
    return _PINYIN.sub("", text)


def normalize(text: str) -> Normalized:
    work, offsets = _nfkc_with_cr(text) if "\r" in text else _nfkc(text)
    work, offsets = _strip_pinyin(work, offsets)
    work, offsets = _simplify(work, offsets)
    work, offsets = _join_wraps(work, offsets)
    offsets.append(len(text))
    return Normalized(original=text, text=work, offsets=offsets)


def _nfkc_with_cr(text: str) -> tuple[str, list[int]]:
    """NFKC for text with CR/CRLF line ends: a CRLF becomes one newline mapped to the CR."""
    out: list[str] = []
    offsets: list[int] = []
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "\r":
            out.append("\n")
            offsets.append(i)
            i += 2 if i + 1 < n and text[i + 1] == "\n" else 1
            continue
        norm = unicodedata.normalize("NFKC", ch)
        out.append(norm)
        offsets.extend([i] * len(norm))
        i += 1
    return "".join(out), offsets
