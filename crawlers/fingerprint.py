"""The change hash of a page: over its main content, not its bytes.

View counters, "now" clocks, session tokens and rotating script nonces change a page's bytes on every
request without changing what it says. The hash covers the visible text of the page outside scripts,
styles and counter-like elements (with counter phrases such as 浏览次数：123 removed), plus the
attachment links, so a new or replaced attachment is a change too.
"""

from __future__ import annotations

import hashlib
import re

from parsel import Selector

_COUNTER_WORDS = ("count", "hits", "visit", "click", "views", "viewnum", "browse", "readnum", "clock", "llcs")
_SKIP_TAGS = frozenset({"script", "style", "noscript", "template", "head", "title"})
_COUNTER_PHRASE = re.compile(
    r"(?:浏览|阅读|访问|点击|查看)(?:次数|量|数|人次)?\s*[:：]?\s*\d+\s*次?|(?:当前时间|今天是)\s*[:：]?\s*[\d\-/年月日:\s]+"
)
_WS = re.compile(r"\s+")
_ATTACHMENT = re.compile(r"\.(?:pdf|docx?|wps|xlsx?|et|ofd|zip|rar)(?:$|[?#])", re.I)


def _skipped(el) -> bool:
    tag = el.tag
    if not isinstance(tag, str):  # comments, processing instructions
        return True
    if tag in _SKIP_TAGS:
        return True
    marks = ((el.get("id") or "") + " " + (el.get("class") or "")).lower()
    return bool(marks.strip()) and any(word in marks for word in _COUNTER_WORDS)


def main_text(sel: Selector) -> str:
    """Visible text outside scripts, styles, comments and counter-like elements (one pass over the tree)."""
    from lxml import etree

    root = sel.root
    if not hasattr(root, "iter"):
        return ""
    out: list[str] = []
    skipping = None
    for event, el in etree.iterwalk(root, events=("start", "end")):
        if event == "start":
            if skipping is None:
                if _skipped(el):
                    skipping = el
                elif el.text:
                    out.append(el.text)
        else:
            if skipping is el:
                skipping = None
            if skipping is None and el is not root and el.tail:
                out.append(el.tail)
    text = " ".join(out)
    return _WS.sub(" ", _COUNTER_PHRASE.sub(" ", text)).strip()


def content_hash(sel: Selector | None, body: bytes) -> str:
    """sha256 over the main content of an HTML page (`sel`), or over the bytes of anything else."""
    if sel is None:
        return hashlib.sha256(body).hexdigest()
    root = sel.root
    hrefs = (a.get("href") or "" for a in root.iter("a")) if hasattr(root, "iter") else ()
    links = sorted({h.strip() for h in hrefs if _ATTACHMENT.search(h.strip())})
    payload = main_text(sel) + "\n" + "\n".join(links)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()
