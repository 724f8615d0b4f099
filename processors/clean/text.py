"""Plain-text repairs: whitespace, hard-wrapped lines, and a simplified copy of traditional text."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from functools import lru_cache

from policywatch.core.normalize import strip_pinyin_noise

_TERMINAL = set("。！？；：!?;…”’」』）)】》>")
_HEADING = re.compile(
    r"^\s*(?:[一二三四五六七八九十百]+[、.．]|[（(][一二三四五六七八九十百\d]+[)）]|\d{1,2}[、.．](?!\d)"
    r"|第[一二三四五六七八九十百\d]+[章节条部分篇]|附件|[①-⑳])"
)
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_SPACES = re.compile(r"[ \t\u00a0\u3000\u2002\u2003\u2009\u200b\ufeff]+")


class _Widths(dict[str, int]):
    """Display columns per character (2 for East Asian Width W or F), looked up once per character."""

    def __missing__(self, ch: str) -> int:
        width = self[ch] = 2 if unicodedata.east_asian_width(ch) in "WF" else 1
        return width


_WIDTHS = _Widths()


def display_width(line: str) -> int:
    """Columns of `line` in a terminal. A dict look-up per character, in C through `map`: the
    per-character `east_asian_width` call it replaces was a third of the clean stage's CPU."""
    return sum(map(_WIDTHS.__getitem__, line))


def normalize_whitespace(text: str) -> str:
    """Unify line endings, strip each line (full-width indents included), collapse blank runs."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n")
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()


def _wrap_width(widths: list[int]) -> tuple[int, float] | None:
    """The column a hard-wrapped text was broken at and the share of long lines at it, or None."""
    long_lines = [w for w in widths if w >= 24]
    if len(long_lines) < 4:
        return None
    top = max(long_lines)
    counts = Counter(long_lines)
    # Wrapped text has many lines at (or just under) the same width: the widest common one.
    for width, _ in sorted(counts.items(), key=lambda kv: -kv[0]):
        near = sum(c for w, c in counts.items() if width - 2 <= w <= width)
        if near >= 3 and near >= 0.3 * len(long_lines) and width >= 0.6 * top:
            return width, near / len(long_lines)
    return None


def _joiner(left: str, right: str) -> str:
    a, b = left[-1:], right[:1]
    return " " if a.isascii() and a.isalnum() and b.isascii() and b.isalnum() else ""


def repair_wrapped_lines(text: str) -> str:
    """Join lines that a fixed-width wrap broke in the middle of a sentence.

    A line is joined to the next when the text looks hard-wrapped (many lines of the same display
    width), the line reaches that width, does not end a sentence (or ends exactly at the column), and
    the next line is not a heading such as ``一、`` or ``（二）``. Text that is not wrapped is unchanged.
    """
    lines = text.split("\n")
    # Wrapping tools count either characters or display columns (a CJK character is two).
    best = None
    for measure in (len, display_width):
        found = _wrap_width([measure(line) for line in lines])
        if found and (best is None or found[1] > best[2]):
            best = (measure, found[0], found[1])
    if best is None:
        return text
    measure, width, _ = best
    out: list[str] = []
    carry = ""
    for i, line in enumerate(lines):
        current = carry + _joiner(carry, line) + line if carry else line
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        w = measure(line)
        full = w >= width - 3
        ends_sentence = bool(line) and line[-1] in _TERMINAL and w < width - 1
        if line and nxt and full and not ends_sentence and not _HEADING.match(nxt):
            carry = current
            continue
        out.append(current)
        carry = ""
    if carry:
        out.append(carry)
    return "\n".join(out)


@lru_cache(maxsize=2)
def _converter(config: str):  # opencc.OpenCC, loaded once per process
    import opencc

    return opencc.OpenCC(config)


def detect_script(text: str) -> tuple[str, str | None]:
    """Return ``(script, search_copy)``: the copy is simplified and free of pinyin-in-brackets noise
    (產(chǎn) → 产), as queries are normalised; None when the text is already both."""
    cjk = len(_CJK.findall(text))
    if cjk == 0:
        return "unknown", None
    simplified = _converter("t2s").convert(text)
    denoised = strip_pinyin_noise(text)
    copy = _converter("t2s").convert(denoised) if denoised != text else simplified
    if simplified == text:
        return "simplified", (copy if copy != text else None)
    changed = sum(1 for a, b in zip(text, simplified, strict=False) if a != b)
    ratio = changed / cjk
    if ratio >= 0.08:
        return "traditional", copy
    if ratio >= 0.01:
        return "mixed", copy
    return "simplified", (copy if denoised != text else None)
