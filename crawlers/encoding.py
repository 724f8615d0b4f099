"""Decode government pages whose declared charset is often wrong or missing.

Order: BOM, then strict UTF-8 (valid multi-byte UTF-8 is almost never accidental GBK), then the
declared charset (header, then meta), then GB18030 (a superset of GB2312/GBK, so 喆 and 堃 survive),
then the least-damaged lenient decode.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

_META_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.IGNORECASE)
_HEADER_RE = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_\-]+)", re.IGNORECASE)

# Declared names that really mean "some GB encoding": decode them all as GB18030.
_GB_ALIASES = {"gb2312", "gbk", "gb18030", "x-gbk", "cp936", "euc-cn", "hz-gb-2312", "gb_2312-80"}
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str
    source: str  # bom | header | meta | detected
    mojibake_score: float  # share of U+FFFD in the text (0 = clean)


def _normalize(name: str | None) -> str | None:
    if not name:
        return None
    name = name.strip().lower()
    if name in _GB_ALIASES:
        return "gb18030"
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def header_charset(content_type: str | None) -> str | None:
    if not content_type:
        return None
    match = _HEADER_RE.search(content_type)
    return match.group(1) if match else None


def meta_charset(body: bytes) -> str | None:
    match = _META_RE.search(body[:4096])
    return match.group(1).decode("ascii", "ignore") if match else None


def _score(text: str) -> float:
    return text.count("\ufffd") / max(len(text), 1)


def decode_html(body: bytes, content_type: str | None = None) -> Decoded:
    """Decode page bytes, trusting declarations only when the bytes agree with them."""
    for bom, name in _BOMS:
        if body.startswith(bom):
            text = body.decode(name, errors="replace")
            return Decoded(text, "utf-8" if name == "utf-8-sig" else name, "bom", _score(text))

    declared_header = _normalize(header_charset(content_type))
    declared_meta = _normalize(meta_charset(body))
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        source = (
            "header" if declared_header == "utf-8" else "meta" if declared_meta == "utf-8" else "detected"
        )
        return Decoded(text, "utf-8", source, 0.0)

    for name, source in ((declared_header, "header"), (declared_meta, "meta"), ("gb18030", "detected")):
        if not name or name == "utf-8":
            continue
        try:
            text = body.decode(name)
        except UnicodeDecodeError:
            continue
        return Decoded(text, name, source, 0.0)

    candidates = [n for n in (declared_header, declared_meta, "gb18030", "utf-8") if n]
    best = min(
        ((body.decode(n, errors="replace"), n) for n in dict.fromkeys(candidates)),
        key=lambda pair: _score(pair[0]),
    )
    return Decoded(best[0], best[1], "detected", _score(best[0]))
