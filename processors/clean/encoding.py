"""Turn page bytes into text when the declared charset is wrong or missing.

Chinese government sites often declare ``gb2312`` (or nothing, or ``utf-8``) and serve GBK or GB18030.
GB18030 is a superset of GB2312 and GBK, so every GB-family guess is decoded as GB18030: characters
outside GB2312 such as 喆 and 堃 survive.
"""

from __future__ import annotations

import codecs
import re

import charset_normalizer

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.IGNORECASE)
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
    match = _META_CHARSET.search(data[:4096])
    return _canonical(match.group(1).decode("ascii", "ignore")) if match else None


def _strict(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def decode_bytes(data: bytes, *, content_type: str | None = None) -> tuple[str, str]:
    """Decode ``data`` and return ``(text, encoding)``.

    Order: a BOM; then UTF-8 if the bytes are valid UTF-8 (wrong GB labels on UTF-8 pages are common
    and valid UTF-8 is almost never an accident); then the declared charset (HTTP header, then
    ``<meta>``) if it decodes strictly; then GB18030 if it decodes strictly; then charset-normalizer's
    best guess; finally GB18030 with replacement characters.
    """
    for bom, name in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                      (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return data.decode(name, errors="replace"), name.removesuffix("-sig")
    text = _strict(data, "utf-8")
    if text is not None:
        return text, "utf-8"
    for declared in (charset_from_content_type(content_type), charset_from_meta(data)):
        # A Western single-byte label decodes anything; on these sites it is a server default, not a fact.
        if declared and declared != "utf-8" and declared not in _WESTERN:
            text = _strict(data, declared)
            if text is not None:
                return text, declared
    text = _strict(data, "gb18030")
    if text is not None:
        return text, "gb18030"
    guess = charset_normalizer.from_bytes(data[:200_000]).best()
    if guess is not None and guess.encoding:
        encoding = _canonical(guess.encoding) or guess.encoding
        return data.decode(encoding, errors="replace"), encoding
    return data.decode("gb18030", errors="replace"), "gb18030"
