"""Section outline: 一、 / （一） / 1. headings with their titles and spans."""

from __future__ import annotations

import re
from dataclasses import dataclass

_HEADINGS = (
    (1, re.compile(r"[ \t\u3000]*(?P<marker>[一二三四五六七八九十]{1,3}、)")),
    (2, re.compile(r"[ \t\u3000]*(?P<marker>\([一二三四五六七八九十]{1,3}\))")),
    (3, re.compile(r"[ \t\u3000]*(?P<marker>\d{1,2}[.、．](?!\d))")),
)
_TITLE_END = re.compile(r"[。;:!?；：！？]")


@dataclass(frozen=True)
class Heading:
    level: int
    marker: str
    title: str
    start: int  # working-text span of marker + title
    end: int
    line_end: int


def find_headings(text: str) -> list[Heading]:
    out: list[Heading] = []
    pos = 0
    n = len(text)
    while pos < n:
        end = text.find("\n", pos)
        if end < 0:
            end = n
        for level, rx in _HEADINGS:
            m = rx.match(text, pos, end)
            if not m:
                continue
            t0 = m.end()
            stop = _TITLE_END.search(text, t0, end)
            t1 = stop.start() if stop else end
            title = text[t0:t1].strip()
            if title and (t1 - t0) <= 60:
                out.append(Heading(level, m.group("marker"), title, m.start("marker"), t1, end))
            break
        pos = end + 1
    return out


def sections(headings: list[Heading], text_len: int, level: int = 1) -> list[tuple[int, int, str]]:
    """(start, end, title) for each heading of `level`, each running to the next heading of that level."""
    tops = [h for h in headings if h.level <= level]
    out = []
    for i, h in enumerate(tops):
        end = tops[i + 1].start if i + 1 < len(tops) else text_len
        out.append((h.start, end, h.title))
    return out
