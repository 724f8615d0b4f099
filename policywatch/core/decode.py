"""The only bytes -> text in the project: government pages whose declared charset is often wrong or missing.

Chinese government sites often declare ``gb2312`` (or nothing, or ``utf-8``) and serve GBK or GB18030.
GB18030 is a superset of GB2312 and GBK, so every GB-family guess is decoded as GB18030: characters
outside GB2312 such as 喆 and 堃 survive. Two entry points with one order (BOM, strict UTF-8, the
declared charset, GB18030):

- ``decode_html`` (the crawler, on list and article pages): also says where the encoding came from;
  its last resort is the least-damaged lenient decode.
- ``decode_bytes`` (the clean stage, on any document body): ignores Western single-byte labels (a
  server default on these sites) and asks charset-normalizer before the GB18030 lenient decode.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

import charset_normalizer

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


def mojibake_score(text: str) -> float:
    """Share of U+FFFD in the text (0 = clean): the crawler hints it, the clean stage refuses above 1 %."""
    return text.count("\ufffd") / max(len(text), 1)


def decode_html(body: bytes, content_type: str | None = None) -> Decoded:
    """Decode page bytes, trusting declarations only when the bytes agree with them."""
    for bom, name in _BOMS:
        if body.startswith(bom):
            text = body.decode(name, errors="replace")
            return Decoded(text, "utf-8" if name == "utf-8-sig" else name, "bom", mojibake_score(text))

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
        key=lambda pair: mojibake_score(pair[0]),
    )
    return Decoded(best[0], best[1], "detected", mojibake_score(best[0]))


# -- the clean stage's decoder ---------------------------------------------------------------------
_WESTERN = {"latin_1", "iso8859-1", "cp1252", "ascii", "iso8859_1"}
_GB_FAMILY = {"gb2312", "gbk", "gb18030", "cp936", "euc_cn", "hz", "ms936", "x-gbk"}


def _canonical(name: str | None) -> str | None:
    if not name:
        return None
    try:
        canonical = codecs.lookup(name.strip().strip("\"'")).name
    except LookupError:
        return None
    if canonical.replace("-", "_") in {n.replace("-", "_") for n in _GB_FAMILY} or name.lower() in _GB_FAMILY:
        return "gb18030"
    return canonical


def charset_from_content_type(content_type: str | None) -> str | None:
    if not content_type:
        return None
    match = re.search(r"charset\s*=\s*([^\s;]+)", content_type, re.IGNORECASE)
    return _canonical(match.group(1)) if match else None


def charset_from_meta(data: bytes) -> str | None:
    match = _META_RE.search(data[:4096])
    return _canonical(match.group(1).decode("ascii", "ignore")) if match else None


def _strict(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


_CJK_CANDIDATES = ["gb18030", "big5", "shift_jis", "euc_kr"]


def _cjk_guess(data: bytes) -> tuple[str, str] | None:
    guess = charset_normalizer.from_bytes(data[:200_000], cp_isolation=_CJK_CANDIDATES).best()
    if guess is None or not guess.encoding:
        return None
    encoding = _canonical(guess.encoding) or guess.encoding
    text = _strict(data, encoding)
    return (text, encoding) if text is not None else None


def decode_bytes(data: bytes, *, content_type: str | None = None) -> tuple[str, str]:
    """Decode ``data`` and return ``(text, encoding)``.

    Order: a BOM; then UTF-8 if the bytes are valid UTF-8 (wrong GB labels on UTF-8 pages are common
    and valid UTF-8 is almost never an accident); then the declared charset (HTTP header, then
    ``<meta>``) if it decodes strictly; for undeclared bytes, charset-normalizer among GB18030, Big5,
    Shift-JIS and EUC-KR; then GB18030 if it decodes strictly; then charset-normalizer's best guess;
    finally GB18030 with replacement characters.
    """
    for bom, name in _BOMS:
        if data.startswith(bom):
            return data.decode(name, errors="replace"), name.removesuffix("-sig")
    text = _strict(data, "utf-8")
    if text is not None:
        return text, "utf-8"
    labels = (charset_from_content_type(content_type), charset_from_meta(data))
    for declared in labels:
        # A Western single-byte label decodes anything; on these sites it is a server default, not a fact.
        if declared and declared != "utf-8" and declared not in _WESTERN:
            text = _strict(data, declared)
            if text is not None:
                return text, declared
    if not any(labels):
        # Undeclared bytes: GB18030 decodes most Big5 (and some Shift-JIS) bytes without an error, into
        # nonsense, so ask charset-normalizer first, among the East Asian encodings these sites use.
        found = _cjk_guess(data)
        if found is not None:
            return found
    text = _strict(data, "gb18030")
    if text is not None:
        return text, "gb18030"
    guess = charset_normalizer.from_bytes(data[:200_000]).best()
    if guess is not None and guess.encoding:
        encoding = _canonical(guess.encoding) or guess.encoding
        return data.decode(encoding, errors="replace"), encoding
    return data.decode("gb18030", errors="replace"), "gb18030"
